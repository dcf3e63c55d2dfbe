import { describe, expect, it } from 'vitest';
import {
  axisLabel,
  cellBackground,
  cellLevel,
  columnTotals,
  confusionCells,
  moveCell,
  pickLabel,
  pickSentence,
  rowTotals,
  samePick,
  worstConfusion,
} from '../../src-renderer/src/lib/probe-confusion';

// 3 classes: rows true, columns predicted.
const confusion = [
  [8, 2, 0],
  [1, 1, 0],
  [0, 0, 0],
];
const classes = [{ name: 'ocean' }, { name: 'forest' }, { name: 'city' }];

describe('confusion matrix heat map', () => {
  it('colours a cell by its share of the true class, so a small class reads like a big one', () => {
    const cells = confusionCells(confusion);
    expect(cells[0][0]).toMatchObject({ row: 0, col: 0, count: 8, share: 0.8, diagonal: true });
    expect(cells[1][1]).toMatchObject({ count: 1, share: 0.5, diagonal: true });
    expect(cells[0][1]).toMatchObject({ count: 2, share: 0.2, diagonal: false });
    // One of two images (50%) is stronger than two of ten (20%), though its count is lower.
    expect(cells[1][0].level).toBeGreaterThan(cells[0][1].level);
    expect(cells[2].every((c) => c.share === 0 && c.level === 0 && !c.strong)).toBe(true);
    expect(cells[0][0].strong).toBe(true);
    expect(cells[0][1].strong).toBe(false);
  });

  it('has strengths from a visible minimum to full, rising with the share', () => {
    expect(cellLevel(0, 0)).toBe(0);
    expect(cellLevel(1, 0.001)).toBeGreaterThanOrEqual(0.12);
    expect(cellLevel(5, 1)).toBe(1);
    const levels = [0.01, 0.1, 0.3, 0.6, 0.9].map((s) => cellLevel(1, s));
    expect(levels.every((l, i) => i === 0 || l > levels[i - 1])).toBe(true);
  });

  it('mixes the accent into the surface on the diagonal and the danger colour off it', () => {
    expect(cellBackground({ level: 1, diagonal: true })).toBe('color-mix(in srgb, var(--accent) 100%, var(--surface))');
    expect(cellBackground({ level: 0.25, diagonal: false })).toBe('color-mix(in srgb, var(--danger) 25%, var(--surface))');
    expect(cellBackground({ level: 0, diagonal: false })).toBe('transparent');
  });

  it('totals rows (test images per class) and columns (predictions per class)', () => {
    expect(rowTotals(confusion)).toEqual([10, 2, 0]);
    expect(columnTotals(confusion)).toEqual([9, 3, 0]);
    expect(columnTotals([])).toEqual([]);
  });
});

describe('cell selection', () => {
  it('moves with the arrow keys inside the matrix', () => {
    const at = { trueClass: 1, predictedClass: 1 };
    expect(moveCell(at, 'ArrowUp', 3)).toEqual({ trueClass: 0, predictedClass: 1 });
    expect(moveCell(at, 'ArrowDown', 3)).toEqual({ trueClass: 2, predictedClass: 1 });
    expect(moveCell(at, 'ArrowLeft', 3)).toEqual({ trueClass: 1, predictedClass: 0 });
    expect(moveCell(at, 'ArrowRight', 3)).toEqual({ trueClass: 1, predictedClass: 2 });
    expect(moveCell({ trueClass: 0, predictedClass: 2 }, 'ArrowRight', 3)).toEqual({ trueClass: 0, predictedClass: 2 });
    expect(moveCell({ trueClass: 0, predictedClass: 0 }, 'ArrowUp', 3)).toEqual({ trueClass: 0, predictedClass: 0 });
    expect(moveCell(at, 'End', 3)).toEqual({ trueClass: 1, predictedClass: 2 });
    expect(moveCell(at, 'Home', 3)).toEqual({ trueClass: 1, predictedClass: 0 });
  });

  it('starts at the corner when nothing is picked, and ignores other keys', () => {
    expect(moveCell(null, 'ArrowDown', 3)).toEqual({ trueClass: 0, predictedClass: 0 });
    expect(moveCell({ trueClass: 0, predictedClass: 0 }, 'a', 3)).toBeNull();
    expect(moveCell(null, 'ArrowDown', 0)).toBeNull();
  });

  it('labels a cell true → predicted', () => {
    expect(pickLabel(classes, { trueClass: 0, predictedClass: 1 })).toBe('ocean → forest');
    expect(pickSentence(classes, { trueClass: 0, predictedClass: 1 }, 2)).toBe('2 ocean test images predicted as forest');
    expect(pickSentence(classes, { trueClass: 1, predictedClass: 1 }, 1)).toBe('1 forest test image predicted correctly');
    expect(samePick({ trueClass: 1, predictedClass: 0 }, { trueClass: 1, predictedClass: 0 })).toBe(true);
    expect(samePick({ trueClass: 1, predictedClass: 0 }, null)).toBe(false);
  });

  it('finds the most confused pair', () => {
    expect(worstConfusion(confusion)).toEqual({ trueClass: 0, predictedClass: 1 });
    expect(
      worstConfusion([
        [3, 0],
        [0, 4],
      ]),
    ).toBeNull();
  });

  it('cuts long class names on the axis', () => {
    expect(axisLabel('short')).toBe('short');
    expect(axisLabel('a-very-long-class-name', 10)).toBe('a-very-lo…');
  });
});

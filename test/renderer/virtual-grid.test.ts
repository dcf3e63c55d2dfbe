import { describe, expect, it } from 'vitest';
import {
  gridLayout,
  isGridKey,
  moveSelection,
  scrollToReveal,
  visibleRange,
  type GridGeometry,
} from '../../src-renderer/src/lib/virtual-grid';

// 160 px cells with an 8 px gap: 168 px per column and per row.
const geo = (over: Partial<GridGeometry> = {}): GridGeometry => ({
  cellSize: 168,
  gap: 8,
  width: 1000,
  viewportHeight: 600,
  total: 100_000,
  ...over,
});

describe('gridLayout', () => {
  it('fits as many columns as the width holds, without a trailing gap', () => {
    // 6 cells need 6*160 + 5*8 = 1000 px exactly.
    expect(gridLayout(geo()).columns).toBe(6);
    expect(gridLayout(geo({ width: 999 })).columns).toBe(5);
  });
  it('always has at least one column', () => {
    expect(gridLayout(geo({ width: 0 })).columns).toBe(1);
    expect(gridLayout(geo({ width: 50 })).columns).toBe(1);
  });
  it('widens cells to fill the width when asked, keeping them square', () => {
    const l = gridLayout(geo({ width: 1100, stretch: true }));
    expect(l.columns).toBe(6);
    expect(l.cellWidth).toBeCloseTo((1100 - 5 * 8) / 6);
    expect(l.rowHeight).toBeCloseTo(l.cellWidth + 8);
    expect(l.columns * l.cellWidth + (l.columns - 1) * 8).toBeCloseTo(1100);
    // Narrower than one cell: the cell keeps its smallest size rather than shrink.
    expect(gridLayout(geo({ width: 100, stretch: true })).cellWidth).toBe(160);
  });
  it('sizes the spacer for all rows', () => {
    const l = gridLayout(geo());
    expect(l.rows).toBe(Math.ceil(100_000 / 6));
    expect(l.totalHeight).toBe(l.rows * 168 - 8);
    expect(gridLayout(geo({ total: 0 })).totalHeight).toBe(0);
  });
  it('refuses nonsense geometry with a clear message', () => {
    expect(() => gridLayout(geo({ cellSize: 0 }))).toThrow('gridLayout: expected cellSize to be a number >= 1, got 0');
    expect(() => gridLayout(geo({ total: Number.NaN }))).toThrow(/expected total/);
  });
});

describe('visibleRange', () => {
  it('covers the rows in view plus overscan at the top', () => {
    const r = visibleRange(geo(), 0, 2);
    // 600 px shows rows 0..3 (ceil(600/168) = 4); overscan adds 2 below.
    expect(r).toEqual({ firstRow: 0, endRow: 6, start: 0, end: 36 });
  });
  it('keeps only a small window deep in a list of 100,000', () => {
    const g = geo();
    const top = 10_000 * 168 + 50; // inside row 10,000
    const r = visibleRange(g, top, 2);
    expect(r.firstRow).toBe(9_998);
    // 50..650 px into row 10,000 touches rows 10,000..10,003; overscan adds 2 below.
    expect(r.endRow).toBe(10_004 + 2);
    expect(r.end - r.start).toBeLessThanOrEqual(9 * 6);
    expect(r.start).toBe(9_998 * 6);
  });
  it('clamps at the end of the list and for a short last row', () => {
    const g = geo({ total: 20 }); // 4 rows, the last with 2 cells
    const r = visibleRange(g, 10_000, 2);
    expect(r.endRow).toBe(4);
    expect(r.end).toBe(20);
    expect(r.firstRow).toBeGreaterThanOrEqual(0);
  });
  it('is empty for an empty list and ignores negative scroll (overscroll bounce)', () => {
    expect(visibleRange(geo({ total: 0 }), 0)).toEqual({ firstRow: 0, endRow: 0, start: 0, end: 0 });
    expect(visibleRange(geo(), -200, 0).firstRow).toBe(0);
  });
  it('renders at least one row in a zero-height viewport', () => {
    const r = visibleRange(geo({ viewportHeight: 0 }), 0, 0);
    expect(r.endRow).toBe(1);
  });
});

describe('visibleRange with stretched cells', () => {
  it('uses the stretched row height', () => {
    const g = geo({ width: 1100, stretch: true });
    const { rowHeight } = gridLayout(g);
    const r = visibleRange(g, rowHeight * 100 + 1, 0);
    expect(r.firstRow).toBe(100);
  });
});

describe('scrollToReveal', () => {
  const g = geo();
  it('keeps the scroll when the cell is in view', () => {
    expect(scrollToReveal(g, 0, 7)).toBe(0);
  });
  it('scrolls up to a cell above', () => {
    expect(scrollToReveal(g, 5 * 168, 6)).toBe(168);
  });
  it('scrolls down just enough to show a cell below', () => {
    // Row 5 spans 840..1000; the viewport is 600 high.
    expect(scrollToReveal(g, 0, 30)).toBe(1000 - 600);
  });
});

describe('moveSelection', () => {
  const cols = 6;
  const total = 20; // rows of 6, 6, 6, 2
  it('moves by one cell and by one row', () => {
    expect(moveSelection(7, 'ArrowRight', cols, total)).toBe(8);
    expect(moveSelection(7, 'ArrowLeft', cols, total)).toBe(6);
    expect(moveSelection(7, 'ArrowDown', cols, total)).toBe(13);
    expect(moveSelection(7, 'ArrowUp', cols, total)).toBe(1);
  });
  it('stays inside the list', () => {
    expect(moveSelection(0, 'ArrowLeft', cols, total)).toBe(0);
    expect(moveSelection(19, 'ArrowRight', cols, total)).toBe(19);
    expect(moveSelection(3, 'ArrowUp', cols, total)).toBe(3);
    expect(moveSelection(19, 'ArrowDown', cols, total)).toBe(19);
  });
  it('lands on the last cell when moving down onto a short last row', () => {
    expect(moveSelection(16, 'ArrowDown', cols, total)).toBe(19);
  });
  it('pages, and jumps to either end', () => {
    expect(moveSelection(1, 'PageDown', cols, total, 2)).toBe(13);
    expect(moveSelection(13, 'PageUp', cols, total, 2)).toBe(1);
    expect(moveSelection(13, 'PageDown', cols, total, 5)).toBe(19);
    expect(moveSelection(9, 'Home', cols, total)).toBe(0);
    expect(moveSelection(9, 'End', cols, total)).toBe(19);
  });
  it('starts a selection from nothing, and has none in an empty list', () => {
    expect(moveSelection(-1, 'ArrowDown', cols, total)).toBe(0);
    expect(moveSelection(-1, 'End', cols, total)).toBe(19);
    expect(moveSelection(4, 'ArrowDown', cols, 0)).toBe(-1);
  });
  it('knows which keys it handles', () => {
    expect(isGridKey('ArrowUp')).toBe(true);
    expect(isGridKey('Enter')).toBe(false);
  });
});

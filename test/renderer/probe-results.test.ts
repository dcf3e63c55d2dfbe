import { describe, expect, it } from 'vitest';
import type { ClassMetrics, ProbeResult } from '../../src-main/api/contract';
import {
  classRows,
  defaultResultKey,
  formatAccuracy,
  formatMetric,
  formatPoints,
  gainSentence,
  macroAverages,
  majorityBaseline,
  resultRows,
  sortClassRows,
  top5Meaningful,
} from '../../src-renderer/src/lib/probe-results';

function result(model: ProbeResult['model'], method: ProbeResult['method'], top1: number, top5 = 1): ProbeResult {
  return { model, method, metrics: { top1, top5, perClass: [], confusion: [] } };
}

// As the app may list them: in the order it computed them, not the order to show.
const results = [
  result('raw-pixels', 'knn', 0.5),
  result('pretrained', 'knn', 0.8),
  result('random-init', 'linear', 0.4),
  result('raw-pixels', 'linear', 0.55),
  result('pretrained', 'linear', 0.875),
  result('random-init', 'knn', 0.45),
];

describe('results table', () => {
  it('groups by method with the pretrained encoder first, then the baselines', () => {
    const rows = resultRows(results);
    expect(rows.map((r) => r.key)).toEqual([
      'pretrained/linear',
      'random-init/linear',
      'raw-pixels/linear',
      'pretrained/knn',
      'random-init/knn',
      'raw-pixels/knn',
    ]);
    expect(rows.filter((r) => r.best).map((r) => r.key)).toEqual(['pretrained/linear', 'pretrained/knn']);
  });

  it('says what pretraining bought over each baseline of the same method', () => {
    const rows = resultRows(results);
    const lin = rows[0];
    expect(lin.overRandom).toBeCloseTo(0.475);
    expect(lin.overPixels).toBeCloseTo(0.325);
    expect(rows[3].overRandom).toBeCloseTo(0.35);
    expect(rows.slice(1, 3).every((r) => r.overRandom === null && r.overPixels === null)).toBe(true);
    expect(gainSentence(rows)).toBe(
      'Pretraining: +47.5 pts over a random-init encoder and +32.5 pts over raw pixels in top-1 (linear probe).',
    );
  });

  it('shows no gain without baselines, and marks a baseline that beats the encoder as best', () => {
    const alone = resultRows([result('pretrained', 'linear', 0.6), result('pretrained', 'knn', 0.5)]);
    expect(alone.every((r) => r.overRandom === null && r.overPixels === null)).toBe(true);
    expect(gainSentence(alone)).toBeNull();
    const worse = resultRows([result('pretrained', 'knn', 0.3), result('raw-pixels', 'knn', 0.6)]);
    expect(worse.find((r) => r.best)!.model).toBe('raw-pixels');
    expect(gainSentence(worse)).toBe('Pretraining: −30.0 pts over raw pixels in top-1 (weighted knn).');
  });

  it('picks the pretrained linear probe to show first', () => {
    expect(defaultResultKey(results)).toEqual({ model: 'pretrained', method: 'linear' });
    expect(defaultResultKey([result('raw-pixels', 'knn', 0.1)])).toEqual({ model: 'raw-pixels', method: 'knn' });
    expect(defaultResultKey([])).toBeNull();
  });

  it('formats accuracies and differences', () => {
    expect(formatAccuracy(0.8734)).toBe('87.3%');
    expect(formatAccuracy(null)).toBe('—');
    expect(formatPoints(0.3121)).toBe('+31.2 pts');
    expect(formatPoints(-0.04)).toBe('−4.0 pts');
    expect(formatPoints(0.00001)).toBe('±0 pts');
    expect(formatMetric(0.91234)).toBe('0.912');
  });

  it('gives the chance references', () => {
    expect(majorityBaseline([{ test: 2 }, { test: 6 }, { test: 2 }])).toBe(0.6);
    expect(majorityBaseline([])).toBeNull();
    expect(top5Meaningful(3)).toBe(false);
    expect(top5Meaningful(6)).toBe(true);
  });
});

describe('per-class table', () => {
  const per: ClassMetrics[] = [
    { name: 'ocean', precision: 1, recall: 0.5, f1: 2 / 3, support: 4 },
    { name: 'forest', precision: 0.5, recall: 1, f1: 2 / 3, support: 2 },
    { name: 'city', precision: 0.8, recall: 0.8, f1: 0.8, support: 5 },
  ];

  it('sorts by a column either way, ties in class order', () => {
    const rows = classRows(per);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(sortClassRows(rows, 'name', false).map((r) => r.name)).toEqual(['city', 'forest', 'ocean']);
    expect(sortClassRows(rows, 'recall', false).map((r) => r.name)).toEqual(['ocean', 'city', 'forest']);
    expect(sortClassRows(rows, 'f1', true).map((r) => r.name)).toEqual(['city', 'ocean', 'forest']);
    expect(sortClassRows(rows, 'f1', false).map((r) => r.name)).toEqual(['ocean', 'forest', 'city']);
  });

  it('averages over classes, not images', () => {
    const m = macroAverages(per)!;
    expect(m.precision).toBeCloseTo(2.3 / 3);
    expect(m.recall).toBeCloseTo(2.3 / 3);
    expect(m.support).toBe(11);
    expect(macroAverages([])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  bestOf,
  confusionCell,
  confusionMatrix,
  evaluateRanking,
  macroAverage,
  perClassMetrics,
  rankClasses,
  topKAccuracy,
} from '../../../src-main/core/probe/metrics';

// 10 samples, 3 classes; the values below are worked out by hand from this table.
const truth = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
const predicted = Int32Array.from([0, 0, 1, 2, 1, 1, 0, 2, 2, 1]);

describe('metrics', () => {
  it('counts the confusion matrix with rows = true class', () => {
    // prettier-ignore
    expect(Array.from(confusionMatrix(truth, predicted, 3))).toEqual([
      2, 1, 1,
      1, 2, 0,
      0, 1, 2,
    ]);
  });

  it('gives per-class precision, recall, F1 and support, and their macro averages, as computed by hand', () => {
    const per = perClassMetrics(confusionMatrix(truth, predicted, 3), 3);
    // class 0: tp 2 of 3 predicted, 2 of 4 true; class 1: 2 of 4, 2 of 3; class 2: 2 of 3, 2 of 3.
    const want = [
      { precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
      { precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3 },
      { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
    ];
    per.forEach((m, c) => {
      expect(m.support).toBe(want[c].support);
      expect(m.precision).toBeCloseTo(want[c].precision, 12);
      expect(m.recall).toBeCloseTo(want[c].recall, 12);
      expect(m.f1).toBeCloseTo(want[c].f1, 12);
    });
    const macro = macroAverage(per);
    expect(macro.precision).toBeCloseTo(11 / 18, 12);
    expect(macro.recall).toBeCloseTo(11 / 18, 12);
    expect(macro.f1).toBeCloseTo(38 / 63, 12);
  });

  it('defines 0/0 as 0: a class never predicted and absent from the test split scores 0, and counts in the macro mean', () => {
    const per = perClassMetrics(confusionMatrix(truth, predicted, 4), 4);
    expect(per[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(macroAverage(per).recall).toBeCloseTo((1 / 2 + 2 / 3 + 2 / 3) / 4, 12);
    // A class predicted but never right: precision 0 (tp 0), recall 0, F1 0 (0/0).
    const wrong = perClassMetrics(confusionMatrix(Int32Array.from([0, 0]), Int32Array.from([1, 1]), 2), 2);
    expect(wrong[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(wrong[0]).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
  });

  it('ranks classes by score, ties to the lower class, and scores top-k accuracy from the ranking', () => {
    const scores = Float32Array.from([1, 3, 3, 0, /* row 2 */ 0.5, -1, 2, 2]);
    const ranked = rankClasses(scores, 2, 4, 3);
    expect(Array.from(ranked)).toEqual([1, 2, 0, /* row 2 */ 2, 3, 0]);
    expect(Array.from(bestOf(ranked, 2, 3))).toEqual([1, 2]);
    const t = Int32Array.from([0, 3]);
    expect(topKAccuracy(t, ranked, 3, 1)).toBe(0);
    expect(topKAccuracy(t, ranked, 3, 2)).toBe(0.5);
    expect(topKAccuracy(t, ranked, 3, 3)).toBe(1);
    expect(() => rankClasses(scores, 2, 4, 5)).toThrow(/expected k in \[1, 4\], got 5/);
  });

  it('evaluates a ranking into every metric at once', () => {
    // Of the 4 top-1 misses (samples 2, 3, 6, 9) the second choice is right for 2, 3 and 6.
    const second = [1, 2, 0, 0, 2, 0, 1, 0, 0, 0];
    const third = predicted.map((p, i) => 3 - p - second[i]);
    const ranked = new Int32Array(30);
    for (let i = 0; i < 10; i++) ranked.set([predicted[i], second[i], third[i]], i * 3);
    const m = evaluateRanking(truth, ranked, 3, 3);
    expect(m.n).toBe(10);
    expect(m.top1).toBeCloseTo(0.6, 12);
    expect(m.top5K).toBe(3); // fewer than 5 classes: top-5 is top-3
    expect(m.top5).toBe(1);
    expect(topKAccuracy(truth, ranked, 3, 2)).toBeCloseTo(0.9, 12);
    expect(Array.from(m.confusion)).toEqual(Array.from(confusionMatrix(truth, predicted, 3)));
    expect(m.macro.f1).toBeCloseTo(38 / 63, 12);
  });

  it('lists the samples of one confusion cell', () => {
    expect(Array.from(confusionCell(truth, predicted, 0, 1))).toEqual([2]);
    expect(Array.from(confusionCell(truth, predicted, 2, 2))).toEqual([7, 8]);
    expect(Array.from(confusionCell(truth, predicted, 1, 2))).toEqual([]);
  });

  it('refuses mismatched inputs with a readable message', () => {
    expect(() => confusionMatrix(truth, predicted.subarray(1), 3)).toThrow(/expected one prediction per sample \(10\), got 9/);
    expect(() => confusionMatrix(truth, predicted, 2)).toThrow(/expected classes in \[0, 1\], got true 0, predicted 2 at sample 3/);
  });
});

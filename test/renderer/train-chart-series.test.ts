import { describe, expect, it } from 'vitest';
import type { MetricPoint, TrainProgress } from '../../src-main/api/contract';
import {
  appendPoint,
  emptySeries,
  fromMetrics,
  hasKnn,
  mergeSeries,
  pointFromProgress,
  seriesLength,
  truncateAfter,
  type MetricSeries,
} from '../../src-renderer/src/lib/chart-series';

function pt(step: number, loss: number, knnAccuracy: number | null = null): MetricPoint {
  return { step, epoch: Math.floor((step - 1) / 3), loss, lr: 0.03, accuracy: loss / 10, imagesPerSec: 20, knnAccuracy };
}

function series(points: MetricPoint[]): MetricSeries {
  return points.reduce(appendPoint, emptySeries());
}

describe('fromMetrics', () => {
  it('orders points by step, the later point at a step winning and keeping its kNN value', () => {
    const s = fromMetrics([pt(2, 2), pt(1, 1), pt(3, 3), pt(3, 3.5, 0.8)]);
    expect(s.step).toEqual([1, 2, 3]);
    expect(s.loss).toEqual([1, 2, 3.5]);
    expect(s.knn).toEqual([null, null, 0.8]);
    expect(hasKnn(s)).toBe(true);
    expect(hasKnn(fromMetrics([pt(1, 1)]))).toBe(false);
  });
});

describe('appendPoint', () => {
  it('appends, and replaces the point at the last step without losing its kNN value', () => {
    let s = series([pt(1, 1), pt(2, 2, 0.7)]);
    s = appendPoint(s, pt(2, 2.2));
    expect(s.loss).toEqual([1, 2.2]);
    expect(s.knn).toEqual([null, 0.7]);
    s = appendPoint(s, pt(3, 3));
    expect(s.step).toEqual([1, 2, 3]);
  });
  it('goes back to an earlier step when a run resumes from a checkpoint', () => {
    const s = appendPoint(series([pt(1, 1), pt(2, 2), pt(3, 3), pt(4, 4)]), pt(3, 3.3));
    expect(s.step).toEqual([1, 2, 3]);
    expect(s.loss).toEqual([1, 2, 3.3]);
  });
  it('returns new arrays and leaves the old series as it was', () => {
    const a = series([pt(1, 1)]);
    const b = appendPoint(a, pt(2, 2));
    expect(a.step).toEqual([1]);
    expect(b.step).not.toBe(a.step);
  });
});

describe('truncateAfter and mergeSeries', () => {
  it('cuts after a step, unchanged when nothing is later', () => {
    const s = series([pt(1, 1), pt(2, 2), pt(3, 3)]);
    expect(truncateAfter(s, 1).step).toEqual([1]);
    expect(truncateAfter(s, 9)).toBe(s);
    expect(seriesLength(truncateAfter(s, 0))).toBe(0);
  });
  it('extends the stored history with the live points after it', () => {
    const stored = fromMetrics([pt(1, 1), pt(2, 2), pt(3, 3)]);
    const live = series([pt(2, 9), pt(3, 3.1), pt(4, 4), pt(5, 5, 0.6)]);
    const m = mergeSeries(stored, live);
    expect(m.step).toEqual([1, 2, 3, 4, 5]);
    expect(m.loss).toEqual([1, 2, 3.1, 4, 5]);
    expect(m.knn).toEqual([null, null, null, null, 0.6]);
    expect(mergeSeries(emptySeries(), live).step).toEqual([2, 3, 4, 5]);
  });
});

describe('pointFromProgress', () => {
  const base: TrainProgress = {
    runId: 1,
    phase: 'training',
    epoch: 0,
    epochs: 4,
    step: 0,
    totalSteps: 12,
    loss: null,
    lr: null,
    accuracy: null,
    imagesPerSec: null,
    etaSeconds: null,
    queueFill: 0,
    knnAccuracy: null,
    message: null,
  };
  const at = (step: number, over: Partial<TrainProgress> = {}): TrainProgress => ({
    ...base,
    step,
    loss: 4 + step / 100,
    lr: 0.001875,
    accuracy: 0.1,
    imagesPerSec: 20,
    ...over,
  });

  it('turns nothing but trained steps into points', () => {
    expect(pointFromProgress({ ...base, phase: 'caching', message: 'Preparing the training images: 3/49' }, null)).toBeNull();
    expect(pointFromProgress(base, null)).toBeNull();
    expect(pointFromProgress(at(5, { phase: 'paused' }), at(5))).toBeNull();
    expect(pointFromProgress(at(1), null)).toMatchObject({ step: 1, loss: 4.01, lr: 0.001875, accuracy: 0.1, knnAccuracy: null });
  });

  it('marks a kNN measurement only where the monitor ran, as the trainer reports it', () => {
    // The trainer's sequence over two epochs: steps, "kNN monitor", the result, more steps,
    // and a second measurement equal to the first.
    const events: TrainProgress[] = [
      at(1),
      at(2),
      at(3),
      at(3, { message: 'kNN monitor' }),
      at(3, { knnAccuracy: 0.9167 }),
      at(4, { knnAccuracy: 0.9167 }),
      at(5, { knnAccuracy: 0.9167 }),
      at(6, { knnAccuracy: 0.9167 }),
      at(6, { knnAccuracy: 0.9167, message: 'kNN monitor' }),
      at(6, { knnAccuracy: 0.9167 }),
      at(7, { knnAccuracy: 0.9167 }),
    ];
    let prev: TrainProgress | null = null;
    let s = emptySeries();
    for (const e of events) {
      const p = pointFromProgress(e, prev);
      if (p) s = appendPoint(s, p);
      prev = e;
    }
    expect(s.step).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s.knn).toEqual([null, null, 0.9167, null, null, 0.9167, null]);
  });

  it('does not take the kNN value a resumed run starts with, or one of another run, as new', () => {
    expect(pointFromProgress(at(4, { knnAccuracy: 0.9 }), null)?.knnAccuracy).toBeNull();
    expect(pointFromProgress(at(4, { knnAccuracy: 0.9 }), at(9, { runId: 2, knnAccuracy: 0.5 }))?.knnAccuracy).toBeNull();
    expect(pointFromProgress(at(4, { knnAccuracy: 0.9 }), at(3, { knnAccuracy: 0.8 }))?.knnAccuracy).toBe(0.9);
  });
});

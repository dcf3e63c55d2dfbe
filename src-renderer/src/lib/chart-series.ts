// A run's metric history as column arrays (what uPlot draws), built from the stored points
// and extended by live progress. Values are never mutated in place: each change returns new
// arrays, so a `$state.raw` holder sees it.
import type { MetricPoint, TrainProgress } from '$contract';

export interface MetricSeries {
  step: number[];
  loss: number[];
  lr: number[];
  accuracy: number[];
  /** kNN monitor accuracy at the steps it ran, null elsewhere */
  knn: (number | null)[];
}

export function emptySeries(): MetricSeries {
  return { step: [], loss: [], lr: [], accuracy: [], knn: [] };
}

export function seriesLength(s: MetricSeries): number {
  return s.step.length;
}

export function hasKnn(s: MetricSeries): boolean {
  return s.knn.some((v) => v !== null);
}

/** Stored points in step order; of points at one step the last wins (the kNN point replaces its step's). */
export function fromMetrics(points: readonly MetricPoint[]): MetricSeries {
  const byStep = new Map<number, MetricPoint>();
  for (const p of points) byStep.set(p.step, { ...p, knnAccuracy: p.knnAccuracy ?? byStep.get(p.step)?.knnAccuracy ?? null });
  const sorted = [...byStep.values()].sort((a, b) => a.step - b.step);
  return {
    step: sorted.map((p) => p.step),
    loss: sorted.map((p) => p.loss),
    lr: sorted.map((p) => p.lr),
    accuracy: sorted.map((p) => p.accuracy),
    knn: sorted.map((p) => p.knnAccuracy),
  };
}

/** The series cut to steps <= `step` (a resumed run redoes the steps after its checkpoint). */
export function truncateAfter(s: MetricSeries, step: number): MetricSeries {
  let n = s.step.length;
  while (n > 0 && s.step[n - 1] > step) n--;
  if (n === s.step.length) return s;
  return {
    step: s.step.slice(0, n),
    loss: s.loss.slice(0, n),
    lr: s.lr.slice(0, n),
    accuracy: s.accuracy.slice(0, n),
    knn: s.knn.slice(0, n),
  };
}

/**
 * The series with one more point. A point at the last step replaces it (keeping a kNN value
 * already there); one before the last step means the run went back to a checkpoint, so the
 * steps from there on are dropped first.
 */
export function appendPoint(s: MetricSeries, p: MetricPoint): MetricSeries {
  const base = truncateAfter(s, p.step);
  const n = base.step.length;
  if (n > 0 && base.step[n - 1] === p.step) {
    const knn = p.knnAccuracy ?? base.knn[n - 1];
    return {
      step: base.step,
      loss: [...base.loss.slice(0, n - 1), p.loss],
      lr: [...base.lr.slice(0, n - 1), p.lr],
      accuracy: [...base.accuracy.slice(0, n - 1), p.accuracy],
      knn: [...base.knn.slice(0, n - 1), knn],
    };
  }
  return {
    step: [...base.step, p.step],
    loss: [...base.loss, p.loss],
    lr: [...base.lr, p.lr],
    accuracy: [...base.accuracy, p.accuracy],
    knn: [...base.knn, p.knnAccuracy],
  };
}

/** `base` (stored history) followed by the points of `live` after its last step. */
export function mergeSeries(base: MetricSeries, live: MetricSeries): MetricSeries {
  const last = base.step.length ? base.step[base.step.length - 1] : -Infinity;
  let out = base;
  for (let i = 0; i < live.step.length; i++) {
    if (live.step[i] < last) continue;
    out = appendPoint(out, {
      step: live.step[i],
      epoch: 0,
      loss: live.loss[i],
      lr: live.lr[i],
      accuracy: live.accuracy[i],
      imagesPerSec: 0,
      knnAccuracy: live.knn[i],
    });
  }
  return out;
}

/**
 * The metric point a live progress event stands for, or null (no step trained yet, not
 * training). The event carries the latest kNN accuracy on every step; it counts as a new
 * measurement only when it changed, or right after the kNN monitor's own message.
 */
export function pointFromProgress(p: TrainProgress, prev: TrainProgress | null): MetricPoint | null {
  if (p.phase !== 'training' || p.step <= 0 || p.loss === null || p.lr === null || p.accuracy === null) return null;
  const same = prev !== null && prev.runId === p.runId;
  const measured =
    p.knnAccuracy !== null &&
    same &&
    (prev.knnAccuracy !== p.knnAccuracy || (prev.message !== null && p.message === null && prev.step === p.step));
  return {
    step: p.step,
    epoch: p.epoch,
    loss: p.loss,
    lr: p.lr,
    accuracy: p.accuracy,
    imagesPerSec: p.imagesPerSec ?? 0,
    knnAccuracy: measured ? p.knnAccuracy : null,
  };
}

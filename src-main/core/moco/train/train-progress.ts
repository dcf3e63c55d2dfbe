// What a run tells its host while it trains: the progress record (at each change of phase, and
// at most every PROGRESS_MS while stepping), the metric points (a bounded number per run, sent
// in batches with the progress) and the end. The trainer reports only through `post`, so the
// host owns the database.
import type { MetricPoint, TrainProgress } from '../../../api/contract';
import type { BuildProgress } from '../data/cache-build';
import type { EndStatus, WorkerMessage } from './train-types';

export const PROGRESS_MS = 250;
/** Metric points kept per run at most (a long run records every few steps). */
const MAX_METRIC_POINTS = 10_000;

export class ProgressReporter {
  progress: TrainProgress;
  private pending: MetricPoint[] = [];
  private lastReport = 0;
  private metricEvery = 1;

  constructor(
    runId: number,
    epochs: number,
    private readonly post: (m: WorkerMessage) => void,
  ) {
    this.progress = {
      runId,
      phase: 'preparing',
      epoch: 0,
      epochs,
      step: 0,
      totalSteps: 0,
      loss: null,
      lr: null,
      accuracy: null,
      imagesPerSec: null,
      etaSeconds: null,
      queueFill: 0,
      knnAccuracy: null,
      message: 'Starting the compute backend',
    };
  }

  /** Changes the progress without sending it. */
  update(patch: Partial<TrainProgress>): void {
    this.progress = { ...this.progress, ...patch };
  }

  /** Changes the progress and sends it now. */
  show(patch: Partial<TrainProgress> = {}): void {
    this.update(patch);
    this.post({ type: 'progress', progress: this.progress });
  }

  /** Sends the metrics gathered and the progress once PROGRESS_MS have passed since the last time. */
  tick(now: number): void {
    if (now - this.lastReport < PROGRESS_MS) return;
    this.lastReport = now;
    this.flush();
    this.post({ type: 'progress', progress: this.progress });
  }

  /** The cache build's progress as the run's message, throttled like the steps (the last one always shown). */
  cacheProgress(): (p: BuildProgress) => void {
    let last = 0;
    return (p) => {
      const now = Date.now();
      if (now - last < PROGRESS_MS && p.done < p.total) return;
      last = now;
      this.show({ message: `Preparing the training images: ${p.done}/${p.total} (${p.decoded} decoded, ${p.reused} reused)` });
    };
  }

  /** The metric stride for a run of `totalSteps`, so it records MAX_METRIC_POINTS at most. */
  planMetrics(totalSteps: number): void {
    this.metricEvery = Math.max(1, Math.ceil(totalSteps / MAX_METRIC_POINTS));
  }

  /** A step's point, kept when the step falls on the stride or is the run's last. */
  stepPoint(point: MetricPoint, totalSteps: number): void {
    if (point.step % this.metricEvery === 0 || point.step === totalSteps) this.pending.push(point);
  }

  /** A point kept whatever the stride (the kNN monitor's). */
  point(point: MetricPoint): void {
    this.pending.push(point);
  }

  flush(): void {
    if (this.pending.length) this.post({ type: 'metrics', points: this.pending });
    this.pending = [];
  }

  /** The last progress and the run's end, sent together. */
  end(status: EndStatus, error?: string): EndStatus {
    const phase = status === 'paused' ? 'paused' : status;
    this.progress = { ...this.progress, phase, etaSeconds: null, message: null, ...(error ? { error } : {}) };
    this.post({ type: 'end', status, progress: this.progress, ...(error ? { error } : {}) });
    return status;
  }
}

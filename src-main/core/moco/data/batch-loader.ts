// Epochs over a training cache: a seeded shuffle per epoch, batches of row indices with the
// last partial batch dropped (as the official MoCo loader, drop_last=True), and the next
// batch read on the thread pool while the caller trains on the current one.
import { Rng } from '../rng';
import type { FrameLayout } from './augment';
import type { TrainCache } from './train-cache';

export interface Batch {
  epoch: number;
  /** step within the epoch */
  step: number;
  rows: Int32Array;
  imageIds: number[];
  /** n slots of the cache; `frames` says where each frame is */
  data: Uint8Array;
  n: number;
  /** short side of the frames */
  size: number;
  frames: FrameLayout;
}

/** The row order of one epoch: a permutation of `rows` fixed by (seed, epoch), as set_epoch does. */
export function epochOrder(rows: Int32Array, seed: number, epoch: number): Int32Array {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`epochOrder: expected an integer seed, got ${seed}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epochOrder: expected an epoch >= 0, got ${epoch}`);
  const perm = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0).permutation(rows.length);
  return perm.map((i) => rows[i]);
}

export interface BatchLoaderOptions {
  batchSize: number;
  seed: number;
}

export class BatchLoader {
  readonly batchSize: number;
  readonly seed: number;
  /** full batches per epoch; the remainder of the shuffled rows is left out */
  readonly stepsPerEpoch: number;

  constructor(
    private readonly cache: TrainCache,
    opts: BatchLoaderOptions,
  ) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new RangeError(`BatchLoader: expected an integer batch size >= 1, got ${opts.batchSize}`);
    }
    if (cache.rows.length < opts.batchSize) {
      throw new RangeError(`BatchLoader: expected at least ${opts.batchSize} images (one batch), got ${cache.rows.length}`);
    }
    this.batchSize = opts.batchSize;
    this.seed = opts.seed;
    this.stepsPerEpoch = Math.floor(cache.rows.length / opts.batchSize);
  }

  /** The row indices of every full batch of an epoch, in order. */
  batches(epoch: number): Int32Array[] {
    const order = epochOrder(this.cache.rows, this.seed, epoch);
    return Array.from({ length: this.stepsPerEpoch }, (_, s) => order.subarray(s * this.batchSize, (s + 1) * this.batchSize));
  }

  /**
   * The batches of an epoch from `startStep` on (a run resumed mid-epoch passes its step).
   * While the caller works on one batch the next is already being read.
   */
  async *epoch(epoch: number, startStep = 0): AsyncGenerator<Batch, void, undefined> {
    if (!Number.isInteger(startStep) || startStep < 0 || startStep > this.stepsPerEpoch) {
      throw new RangeError(`BatchLoader.epoch: expected a start step in 0..${this.stepsPerEpoch}, got ${startStep}`);
    }
    const batches = this.batches(epoch);
    const load = (step: number) => {
      const p = this.cache.readBatchAsync(batches[step]).then((data) => this.batch(epoch, step, batches[step], data));
      // Marked handled so a failure during the caller's step is not an unhandled rejection;
      // it is still thrown where the batch is awaited.
      p.catch(() => undefined);
      return p;
    };
    let next = startStep < batches.length ? load(startStep) : null;
    try {
      for (let step = startStep; step < batches.length; step++) {
        const current = await next!;
        next = step + 1 < batches.length ? load(step + 1) : null;
        yield current;
      }
    } finally {
      // A consumer that stops early leaves one read in flight: let it settle before the cache
      // may be closed, and let its error, if any, reach the consumer.
      if (next) await next;
    }
  }

  private batch(epoch: number, step: number, rows: Int32Array, data: Uint8Array): Batch {
    return {
      epoch,
      step,
      rows,
      imageIds: Array.from(rows, (r) => this.cache.ids[r]),
      data,
      n: rows.length,
      size: this.cache.size,
      frames: this.cache.framesOf(data, rows.length),
    };
  }
}

// MoCo's dictionary: a FIFO queue of K keys. Each step writes the current batch of keys at the
// pointer, over the oldest entries, and moves the pointer on by the batch size.
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../api/errors';
import { queueSizeError } from '../../api/training-config';
import { l2Normalize } from './l2norm';
import type { Rng } from './rng';

/**
 * Refuses a queue the batches cannot tile, as the official code asserts (K % N == 0): the
 * enqueue writes a batch at the pointer without wrapping. `viewsPerStep` 2: the symmetric loss
 * enqueues the keys of both views, 2N per step. The wording is the app's check's own.
 */
export function checkQueueFits(K: number, batchSize: number, viewsPerStep: 1 | 2 = 1): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvariantError(`MoCo queue: expected a positive integer batch size, got ${batchSize}`);
  }
  const error = queueSizeError(K, batchSize, viewsPerStep === 2);
  if (error) throw new InvariantError(`MoCo queue: ${error}`);
}

export class KeyQueue {
  /** KxC keys; row i is the i-th slot. */
  readonly keys: tf.Variable<tf.Rank.R2>;
  private pointer = 0;
  private count = 0;

  constructor(
    readonly K: number,
    readonly dim: number,
    rng: Rng,
  ) {
    if (!Number.isInteger(K) || K < 1) throw new InvariantError(`MoCo queue: expected a positive integer K, got ${K}`);
    if (!Number.isInteger(dim) || dim < 1) throw new InvariantError(`MoCo queue: expected a positive integer dim, got ${dim}`);
    // Random unit vectors, as the official code starts its queue.
    const init = tf.tidy(() => l2Normalize(tf.tensor2d(rng.normal(K * dim), [K, dim])));
    this.keys = tf.variable(init, false);
    init.dispose();
  }

  /** Slot the next batch is written to. */
  get ptr(): number {
    return this.pointer;
  }

  /** How many slots hold real keys (0..K); the rest still hold the random start. */
  get filled(): number {
    return this.count;
  }

  /** Writes N keys (NxC) at ptr, replacing the oldest, and moves ptr to (ptr + N) % K. */
  enqueue(k: tf.Tensor2D): void {
    const [n, c] = k.shape;
    if (k.rank !== 2 || c !== this.dim) {
      throw new InvariantError(`MoCo queue: expected keys Nx${this.dim}, got [${k.shape.join(', ')}]`);
    }
    checkQueueFits(this.K, n);
    // ptr is a multiple of N (K % N == 0 and every batch has N keys), so the batch never wraps.
    if (this.pointer % n !== 0) {
      throw new InvariantError(`MoCo queue: expected every batch of the same size, got ${n} with the pointer at ${this.pointer}`);
    }
    const p = this.pointer;
    const updated = tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (p > 0) parts.push(tf.slice(this.keys, [0, 0], [p, c]));
      parts.push(k);
      if (p + n < this.K) parts.push(tf.slice(this.keys, [p + n, 0], [this.K - p - n, c]));
      return parts.length === 1 ? tf.clone(k) : tf.concat(parts, 0);
    });
    this.keys.assign(updated);
    updated.dispose();
    this.pointer = (p + n) % this.K;
    this.count = Math.min(this.K, this.count + n);
  }

  /** Restores a saved queue (a checkpoint): keys KxC, pointer and fill. */
  restore(keys: tf.Tensor2D, ptr: number, filled: number): void {
    if (keys.shape[0] !== this.K || keys.shape[1] !== this.dim) {
      throw new InvariantError(`MoCo queue restore: expected keys ${this.K}x${this.dim}, got [${keys.shape.join(', ')}]`);
    }
    if (!Number.isInteger(ptr) || ptr < 0 || ptr >= this.K) {
      throw new InvariantError(`MoCo queue restore: expected a pointer in [0, ${this.K}), got ${ptr}`);
    }
    if (!Number.isInteger(filled) || filled < 0 || filled > this.K) {
      throw new InvariantError(`MoCo queue restore: expected a fill in [0, ${this.K}], got ${filled}`);
    }
    this.keys.assign(keys);
    this.pointer = ptr;
    this.count = filled;
  }

  dispose(): void {
    this.keys.dispose();
  }
}

// MoCo's dictionary: a FIFO queue of K keys. Each step writes the current batch of keys at the
// pointer, over the oldest entries, and moves the pointer on by the batch size. Each slot also
// remembers which training image its key came from: in a library smaller than K (or near it)
// the queue holds older keys of the very images being queried, which the paper's setting
// (K a few % of an epoch) never does; the loss leaves those out rather than push an image away
// from itself (selfMask).
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
  /** The training-set index of each slot's image; -1 for the random start or unknown. */
  readonly owners: Int32Array;
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
    this.owners = new Int32Array(K).fill(-1);
  }

  /** Slot the next batch is written to. */
  get ptr(): number {
    return this.pointer;
  }

  /** How many slots hold real keys (0..K); the rest still hold the random start. */
  get filled(): number {
    return this.count;
  }

  /**
   * Writes N keys (NxC) at ptr, replacing the oldest, and moves ptr to (ptr + N) % K. `samples`:
   * the training-set index of each key's image (null: unknown).
   */
  enqueue(k: tf.Tensor2D, samples: Int32Array | null = null): void {
    const [n, c] = k.shape;
    if (k.rank !== 2 || c !== this.dim) {
      throw new InvariantError(`MoCo queue: expected keys Nx${this.dim}, got [${k.shape.join(', ')}]`);
    }
    checkQueueFits(this.K, n);
    if (samples && samples.length !== n) throw new InvariantError(`MoCo queue: expected ${n} sample indices, got ${samples.length}`);
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
    if (samples) this.owners.set(samples, p);
    else this.owners.fill(-1, p, p + n);
    this.pointer = (p + n) % this.K;
    this.count = Math.min(this.K, this.count + n);
  }

  /**
   * An additive NxK mask for the negative logits that leaves out the slots holding a key of the
   * query's own image (-1e9, 0 elsewhere); null when no slot does, as in the paper's setting.
   */
  selfMask(samples: Int32Array | null): tf.Tensor2D | null {
    if (!samples) return null;
    const rowsOf = new Map<number, number[]>();
    samples.forEach((s, row) => {
      const rows = rowsOf.get(s);
      if (rows) rows.push(row);
      else rowsOf.set(s, [row]);
    });
    let mask: Float32Array | null = null;
    this.owners.forEach((owner, slot) => {
      for (const row of rowsOf.get(owner) ?? []) (mask ??= new Float32Array(samples.length * this.K))[row * this.K + slot] = -1e9;
    });
    return mask ? tf.tensor2d(mask, [samples.length, this.K]) : null;
  }

  /** Restores a saved queue (a checkpoint): keys KxC, pointer, fill and (if saved) the owners. */
  restore(keys: tf.Tensor2D, ptr: number, filled: number, owners: Int32Array | null = null): void {
    if (keys.shape[0] !== this.K || keys.shape[1] !== this.dim) {
      throw new InvariantError(`MoCo queue restore: expected keys ${this.K}x${this.dim}, got [${keys.shape.join(', ')}]`);
    }
    if (!Number.isInteger(ptr) || ptr < 0 || ptr >= this.K) {
      throw new InvariantError(`MoCo queue restore: expected a pointer in [0, ${this.K}), got ${ptr}`);
    }
    if (!Number.isInteger(filled) || filled < 0 || filled > this.K) {
      throw new InvariantError(`MoCo queue restore: expected a fill in [0, ${this.K}], got ${filled}`);
    }
    if (owners && owners.length !== this.K) {
      throw new InvariantError(`MoCo queue restore: expected ${this.K} slot owners, got ${owners.length}`);
    }
    this.keys.assign(keys);
    if (owners) this.owners.set(owners);
    else this.owners.fill(-1);
    this.pointer = ptr;
    this.count = filled;
  }

  dispose(): void {
    this.keys.dispose();
  }
}

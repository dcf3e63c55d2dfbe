// Shuffling BN on one device: keys are permuted across the split-BN groups before the key
// encoder and put back after, so a key never shares BN statistics with its own query's group.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';

export interface BatchShuffle {
  /** Row j of the shuffled batch is row perm[j] of the original. */
  perm: Int32Array;
  /** Row i of the original is row inverse[i] of the shuffled batch. */
  inverse: Int32Array;
}

export function batchShuffle(n: number, rng: Rng): BatchShuffle {
  const perm = rng.permutation(n);
  return { perm, inverse: inversePermutation(perm) };
}

export function inversePermutation(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let j = 0; j < perm.length; j++) inv[perm[j]] = j;
  return inv;
}

/** Rows of x in the order of idx (x[idx[0]], x[idx[1]], ...). */
export function gatherRows<T extends tf.Tensor>(x: T, idx: Int32Array): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(idx, 'int32')) as T);
}

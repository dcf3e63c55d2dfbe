// Shuffling BN on one device: keys are permuted across the split-BN groups before the key
// encoder and put back after, so a key never shares BN statistics with its own query's group.
import * as tf from '@tensorflow/tfjs';
import type { ResNet } from './resnet';
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

/**
 * Rows of x (NxC) in the order of the permutation `perm`, with a gradient: the adjoint of a
 * permutation is its inverse, so the gradient is a gather too (tf.gather's own gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks). Exact in both directions on every backend.
 */
export function permuteRows(x: tf.Tensor2D, perm: Int32Array): tf.Tensor2D {
  const inverse = inversePermutation(perm);
  const f = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: gatherRows(inputs[0] as tf.Tensor, perm),
    gradFunc: (dy: tf.Tensor) => gatherRows(dy, inverse),
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * Embeddings (NxC) of a batch (NxHxWx3) in training mode under shuffling BN: the rows are
 * permuted across the BN groups before the encoder and put back after, so row i is image i's
 * embedding. Differentiable, for the end-to-end key path; under no tape it is the key
 * encoder's shuffle of the official code.
 */
export function shuffledEmbedding(encoder: ResNet, x: tf.Tensor4D, bnGroups: number, rng: Rng): tf.Tensor2D {
  return tf.tidy(() => {
    const { perm, inverse } = batchShuffle(x.shape[0], rng);
    const k = encoder.forward(gatherRows(x, perm), { training: true, bnGroups }).embedding;
    return permuteRows(k, inverse);
  });
}

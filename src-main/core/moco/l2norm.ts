import * as tf from '@tensorflow/tfjs';

/** Rows divided by their L2 norm (torch.nn.functional.normalize, eps 1e-12). x: NxC -> NxC. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12));
}

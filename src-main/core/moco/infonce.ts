// MoCo's InfoNCE loss: a (1+K)-way softmax over [q·k+, q·queue] / T, the positive at index 0.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';

export interface InfoNceResult {
  /** Nx(1+K), already divided by T. */
  logits: tf.Tensor2D;
  /** Mean cross-entropy with label 0. */
  loss: tf.Scalar;
  /** Fraction of rows whose largest logit is the positive (the pretext accuracy). */
  accuracy: tf.Scalar;
}

/** q, k: NxC (L2-normalised), queue: KxC, T: temperature. */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D, T: number): InfoNceResult {
  if (q.rank !== 2 || k.rank !== 2 || queue.rank !== 2 || k.shape[0] !== q.shape[0] || k.shape[1] !== q.shape[1] || queue.shape[1] !== q.shape[1]) {
    throw new InvalidInputError(
      `infoNce: expected q NxC, k NxC, queue KxC, got [${q.shape}], [${k.shape}], [${queue.shape}]`,
    );
  }
  if (!(T > 0)) throw new InvalidInputError(`infoNce: expected a temperature T > 0, got ${T}`);
  return tf.tidy(() => {
    const lPos = tf.sum(tf.mul(q, k), 1, true); // Nx1
    const lNeg = tf.matMul(q, queue, false, true); // NxK
    const logits = tf.div(tf.concat([lPos, lNeg], 1), T) as tf.Tensor2D; // Nx(1+K)
    // -log softmax at index 0 = logsumexp(row) - row[0]
    const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.squeeze(lPos, [1]).div(T))) as tf.Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), 0), 'float32')) as tf.Scalar;
    return { logits, loss, accuracy };
  });
}

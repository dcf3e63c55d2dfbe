// MoCo's InfoNCE loss: a (1+K)-way softmax over [q·k+, q·queue] / T, the positive at index 0;
// its end-to-end form over the keys of the batch (NxN, positives on the diagonal); and the
// sum of two directions that the symmetric loss takes.
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../api/errors';

/** A loss and its pretext accuracy, as scalars (what a training step minimises and reports). */
export type LossTerms = {
  /** Mean cross-entropy over the batch. */
  loss: tf.Scalar;
  /** Fraction of rows whose largest logit is the positive (the pretext accuracy). */
  accuracy: tf.Scalar;
};

export type InfoNceResult = LossTerms & {
  /** Nx(1+K) (queue, memory bank) or NxN (end-to-end), already divided by T. */
  logits: tf.Tensor2D;
};

/**
 * q, k: NxC (L2-normalised), queue: KxC, T: temperature. `negMask`: NxK added to q·queue before
 * the softmax (-1e9 leaves a negative out: KeyQueue.selfMask).
 */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D, T: number, negMask: tf.Tensor2D | null = null): InfoNceResult {
  if (
    q.rank !== 2 ||
    k.rank !== 2 ||
    queue.rank !== 2 ||
    k.shape[0] !== q.shape[0] ||
    k.shape[1] !== q.shape[1] ||
    queue.shape[1] !== q.shape[1]
  ) {
    throw new InvariantError(`infoNce: expected q NxC, k NxC, queue KxC, got [${q.shape}], [${k.shape}], [${queue.shape}]`);
  }
  if (negMask && (negMask.shape[0] !== q.shape[0] || negMask.shape[1] !== queue.shape[0])) {
    throw new InvariantError(`infoNce: expected a negative mask ${q.shape[0]}x${queue.shape[0]}, got [${negMask.shape}]`);
  }
  checkTemperature('infoNce', T);
  return tf.tidy(() => {
    const lPos = tf.sum(tf.mul(q, k), 1, true); // Nx1
    const dots = tf.matMul(q, queue, false, true); // NxK
    const lNeg = negMask ? tf.add(dots, negMask) : dots;
    const logits = tf.div(tf.concat([lPos, lNeg], 1), T) as tf.Tensor2D; // Nx(1+K)
    // -log softmax at index 0 = logsumexp(row) - row[0]
    const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.squeeze(lPos, [1]).div(T))) as tf.Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), 0), 'float32')) as tf.Scalar;
    return { logits, loss, accuracy };
  });
}

/**
 * End-to-end InfoNCE: query i against every key of the batch, its own key k_i the positive and
 * the other N-1 keys the negatives. q, k: NxC -> logits NxN, the positives on the diagonal.
 */
export function batchInfoNce(q: tf.Tensor2D, k: tf.Tensor2D, T: number): InfoNceResult {
  if (q.rank !== 2 || k.rank !== 2 || q.shape.join('x') !== k.shape.join('x')) {
    throw new InvariantError(`batchInfoNce: expected q NxC and k NxC, got [${q.shape}] and [${k.shape}]`);
  }
  checkTemperature('batchInfoNce', T);
  const n = q.shape[0];
  return tf.tidy(() => {
    const logits = tf.div(tf.matMul(q, k, false, true), T) as tf.Tensor2D; // NxN
    const eye = tf.eye(n); // NxN one-hot labels: row i's positive is column i
    // The diagonal taken from the logits themselves, so that the positive term is exactly the
    // entry the softmax saw (x·1 + 0s is exact).
    const lPos = tf.sum(tf.mul(logits, eye), 1); // N
    const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), lPos)) as tf.Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.range(0, n, 1, 'int32')), 'float32')) as tf.Scalar;
    return { logits, loss, accuracy };
  });
}

/**
 * The symmetric loss of two directions (view 1 as query of view 2's key and the reverse): the
 * sum of the losses, as the official MoCo CIFAR demo (loss_12 + loss_21) and MoCo v3 take it, so
 * each view's gradient has the scale of the asymmetric loss; the accuracy is their mean.
 */
export function sumDirections(terms: readonly LossTerms[]): LossTerms {
  if (terms.length === 1) return { loss: terms[0].loss, accuracy: terms[0].accuracy };
  return tf.tidy(() => ({
    loss: tf.addN(terms.map((t) => t.loss)) as tf.Scalar,
    accuracy: tf.div(tf.addN(terms.map((t) => t.accuracy)), terms.length) as tf.Scalar,
  }));
}

function checkTemperature(where: string, T: number): void {
  if (!(T > 0)) throw new InvariantError(`${where}: expected a temperature T > 0, got ${T}`);
}

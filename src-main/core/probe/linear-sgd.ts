// The linear probe's step: softmax regression on one mini-batch with its gradients written out
// and torch's SGD with momentum, on the active TF.js backend.
import * as tf from '@tensorflow/tfjs';

/** One mini-batch, laid out for the step: rows, the same transposed, labels and their one-hot. */
export interface Batch {
  B: number;
  d: number;
  C: number;
  /** Bxd */
  x: Float32Array;
  /** dxB: wasm's transposing kernels are slow, so the transpose is built here */
  xT: Float32Array;
  y: Int32Array;
  /** BxC */
  oneHot: Float32Array;
}

/**
 * One SGD step on the mean cross-entropy of a batch, gradients written out (no tape):
 * dL/dlogits = (softmax - onehot) / B, dW = xᵀ·that, db = its column sums; then torch's SGD:
 * g += wd·p, v = momentum·v + g, p -= lr·v. Returns [summed loss, correct count] of the batch,
 * computed with the weights before the update.
 */
export function sgdStep(
  W: tf.Variable,
  b: tf.Variable,
  vW: tf.Variable,
  vb: tf.Variable,
  batch: Batch,
  lr: number,
  momentum: number,
  weightDecay: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const { B, d, C } = batch;
    const x = tf.tensor2d(batch.x, [B, d]); // Bxd
    const y = tf.tensor2d(batch.oneHot, [B, C]); // BxC
    const logits = tf.fused.matMul({ a: x, b: W, bias: b }); // BxC
    const logp = tf.logSoftmax(logits); // BxC
    const lossSum = logp.mul(y).sum().neg();
    const correct = tf.argMax(logits, 1).equal(tf.tensor1d(batch.y, 'int32')).sum().toFloat();
    const g = tf
      .exp(logp)
      .sub(y)
      .mul(1 / B); // BxC
    let gW = tf.matMul(tf.tensor2d(batch.xT, [d, B]), g) as tf.Tensor; // dxC
    let gb = g.sum(0) as tf.Tensor; // C
    if (weightDecay > 0) {
      gW = gW.add(W.mul(weightDecay));
      gb = gb.add(b.mul(weightDecay));
    }
    vW.assign(vW.mul(momentum).add(gW));
    vb.assign(vb.mul(momentum).add(gb));
    W.assign(W.sub(vW.mul(lr)));
    b.assign(b.sub(vb.mul(lr)));
    return tf.stack([lossSum, correct]) as tf.Tensor1D;
  });
}

/** Rows of x and y copied into a fresh batch (a tensor may keep its typed array). */
export function batchOf(x: Float32Array, y: Int32Array, d: number, C: number, rows: Int32Array): Batch {
  const B = rows.length;
  const bx = new Float32Array(B * d);
  const xT = new Float32Array(d * B);
  const by = new Int32Array(B);
  const oneHot = new Float32Array(B * C);
  for (let i = 0; i < B; i++) {
    const r = rows[i];
    bx.set(x.subarray(r * d, (r + 1) * d), i * d);
    for (let j = 0, o = r * d; j < d; j++) xT[j * B + i] = x[o + j];
    by[i] = y[r];
    oneHot[i * C + y[r]] = 1;
  }
  return { B, d, C, x: bx, xT, y: by, oneHot };
}

export async function sumStats(stats: tf.Tensor1D[]): Promise<[number, number]> {
  const total = tf.tidy(() => tf.addN(stats));
  const v = await total.data();
  total.dispose();
  return [v[0], v[1]];
}

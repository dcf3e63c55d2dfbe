// Gaussian blur of MoCo v2's augmentation, per sample, on batched tensors.
import * as tf from '@tensorflow/tfjs';

/**
 * Separable Gaussian blur of the samples with sigma > 0, reflect padding as torchvision's
 * GaussianBlur. Only those samples are blurred (half the batch in v2): they become channels
 * of a single image so that one depthwise convolution per axis carries each sample's kernel.
 */
export function gaussianBlur(x: tf.Tensor4D, sigmas: Float32Array): tf.Tensor4D {
  const [M, H, W] = x.shape;
  const picked = Array.from(sigmas.keys()).filter((m) => sigmas[m] > 0);
  const B = picked.length;
  const maxSigma = Math.max(...picked.map((m) => sigmas[m]));
  const radius = Math.min(Math.ceil(3 * maxSigma), H - 1, W - 1); // reflect padding needs pad < side
  const taps = 2 * radius + 1;
  const kernel = new Float32Array(taps * B * 3); // taps x (B·3): channel b·3+c blurs picked sample b
  picked.forEach((m, b) => {
    const weights = gaussianWeights(sigmas[m], radius);
    for (let t = 0; t < taps; t++) for (let ch = 0; ch < 3; ch++) kernel[t * B * 3 + b * 3 + ch] = weights[t];
  });
  const sub = tf.gather(x, picked); // BxHxWx3
  const asChannels = sub.transpose([1, 2, 0, 3]).reshape([1, H, W, B * 3]) as tf.Tensor4D; // 1xHxWx(3B)
  const padded = tf.mirrorPad(
    asChannels,
    [
      [0, 0],
      [radius, radius],
      [radius, radius],
      [0, 0],
    ],
    'reflect',
  );
  const vertical = tf.depthwiseConv2d(padded, tf.tensor4d(kernel, [taps, 1, B * 3, 1]), 1, 'valid');
  const both = tf.depthwiseConv2d(vertical, tf.tensor4d(kernel, [1, taps, B * 3, 1]), 1, 'valid'); // 1xHxWx(3B)
  const blurred = both.reshape([H, W, B, 3]).transpose([2, 0, 1, 3]); // BxHxWx3
  if (B === M) return blurred as tf.Tensor4D;
  // Sample m comes from x, or from the blurred rows appended after x.
  const source = new Int32Array(M).map((_, m) => m);
  picked.forEach((m, b) => (source[m] = M + b));
  return tf.gather(tf.concat([x, blurred], 0), source) as tf.Tensor4D;
}

/** Normalised 1-D Gaussian over [-radius, radius]; sigma 0 gives the unit impulse. */
export function gaussianWeights(sigma: number, radius: number): Float32Array {
  const w = new Float32Array(2 * radius + 1);
  if (sigma <= 0) {
    w[radius] = 1;
    return w;
  }
  let sum = 0;
  for (let t = -radius; t <= radius; t++) {
    const v = Math.exp(-(t * t) / (2 * sigma * sigma));
    w[t + radius] = v;
    sum += v;
  }
  for (let t = 0; t < w.length; t++) w[t] /= sum;
  return w;
}

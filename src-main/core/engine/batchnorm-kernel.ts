// Training-mode split BatchNorm as one kernel with a hand-written gradient, optionally followed
// by a residual add and a ReLU: out = relu(bn(x) + residual). Autodiff of the same ops records
// about ten full-size tensors per BN on the tape (moments, centring, scale, shift, add, ReLU),
// each with a gradient that lives until the backward pass ends; this kernel keeps only its
// input and output, and its backward pass makes its temporaries inside one tidy.
// The kernel is built from TF.js ops, so it runs on every backend; its three outputs are
// [out, mean, variance] (per group, Gx1x1xC, biased variance), the moments being there for the
// caller's running-statistics update only: no gradient flows back through them.
import * as tf from '@tensorflow/tfjs';
import { madeByBackward } from './backward-scope';
import { registerCustomKernel } from './custom-kernel';

const KERNEL = 'MocoSplitBatchNorm';

export interface SplitBnOptions {
  /** groups that normalise on their own (split BN); 1 = ordinary BN */
  groups: number;
  epsilon: number;
  /** apply ReLU after the (optional) residual add */
  relu: boolean;
}

export interface SplitBnResult {
  /** NxHxWxC */
  y: tf.Tensor4D;
  /** Gx1x1xC */
  mean: tf.Tensor4D;
  /** Gx1x1xC, biased */
  variance: tf.Tensor4D;
}

/**
 * x: NxHxWxC, gamma/beta: C, residual (optional): NxHxWxC. N must split into `groups` equal
 * groups (the caller checks it and says why). Rank 4 throughout: WebGPU cannot index rank 5.
 */
export function splitBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  residual: tf.Tensor4D | null,
  options: SplitBnOptions,
): SplitBnResult {
  register(tf.getBackend());
  const inputs: tf.NamedTensorMap = residual ? { x, gamma, beta, residual } : { x, gamma, beta };
  const attrs = { ...options } as unknown as tf.NamedAttrMap;
  const [y, mean, variance] = tf.engine().runKernel(KERNEL, inputs, attrs) as tf.Tensor4D[];
  return { y, mean, variance };
}

/** x viewed as Gx(N/G·H)xWxC, so that each group's moments are a reduction over axes 1 and 2. */
function grouped(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [groups, (n / groups) * h, w, c]);
}

/**
 * Per-group, per-channel sums of t (Gx(N/G·H)xWxC) -> Gx1x1xC, as a product with a row of ones:
 * on wasm a Sum over axes 1 and 2 transposes the whole tensor first and runs on one thread,
 * while the matrix product reads it in place on XNNPACK's thread pool (about 5x less CPU).
 */
function groupSums(t: tf.Tensor4D): tf.Tensor4D {
  const [g, rows, w, c] = t.shape;
  const ones = tf.ones([g, 1, rows * w]) as tf.Tensor3D;
  return tf.reshape(tf.matMul(ones, tf.reshape(t, [g, rows * w, c]) as tf.Tensor3D), [g, 1, 1, c]);
}

function forward(inputs: tf.NamedTensorMap, o: SplitBnOptions): tf.Tensor4D[] {
  return tf.tidy(() => {
    const x = inputs.x as tf.Tensor4D;
    const xg = grouped(x, o.groups);
    const m = xg.shape[1] * xg.shape[2];
    const mean = tf.div(groupSums(xg), m); // Gx1x1xC
    const xc = tf.sub(xg, mean); // Gx(N/G·H)xWxC
    const variance = tf.div(groupSums(tf.square(xc) as tf.Tensor4D), m); // Gx1x1xC, biased
    const scale = tf.mul(inputs.gamma, tf.rsqrt(tf.add(variance, o.epsilon)));
    let y = tf.add(tf.mul(xc, scale), inputs.beta) as tf.Tensor4D;
    if (inputs.residual) y = tf.add(y, grouped(inputs.residual as tf.Tensor4D, o.groups));
    if (o.relu) y = tf.relu(y);
    return [tf.reshape(y, x.shape), mean, variance] as tf.Tensor4D[];
  });
}

/**
 * With g = dL/d(bn(x)) (dy masked by the ReLU), per group and channel over its M values,
 * x̂ = (x − μ)·r, r = 1/sqrt(σ² + ε):
 *   dβ = Σ g,   dγ = Σ g·x̂,   dx = γ·r·(g − Σg/M − x̂·Σ(g·x̂)/M),   d(residual) = g.
 * dγ and dβ sum the groups. Written as dx = a·g + b·(x − μ) + c with per-group a, b, c.
 */
function backward(
  dy: tf.Tensor4D,
  saved: tf.Tensor[],
  o: SplitBnOptions,
): { dx: tf.Tensor4D; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D; g: tf.Tensor4D } {
  const [x, gamma, y, mean, variance] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const m = (n / o.groups) * h * w;
    const g = o.relu ? tf.mul(dy, tf.step(y)) : dy; // NxHxWxC
    const gg = grouped(g as tf.Tensor4D, o.groups);
    const xc = tf.sub(grouped(x, o.groups), mean); // Gx(N/G·H)xWxC
    const r = tf.rsqrt(tf.add(variance, o.epsilon)); // Gx1x1xC
    const sumG = groupSums(gg); // Gx1x1xC
    const sumGXhat = tf.mul(groupSums(tf.mul(gg, xc) as tf.Tensor4D), r);
    const a = tf.mul(gamma, r);
    const b = tf.neg(tf.div(tf.mul(tf.mul(a, r), sumGXhat), m));
    const cst = tf.neg(tf.div(tf.mul(a, sumG), m));
    const dx = tf.reshape(tf.add(tf.add(tf.mul(gg, a), tf.mul(xc, b)), cst), x.shape) as tf.Tensor4D;
    return {
      dx,
      dGamma: tf.reshape(tf.sum(sumGXhat, [0, 1, 2]), [c]),
      dBeta: tf.reshape(tf.sum(sumG, [0, 1, 2]), [c]),
      g: (o.relu ? g : tf.clone(dy)) as tf.Tensor4D,
    };
  });
}

function register(backendName: string): void {
  registerCustomKernel(
    {
      kernelName: KERNEL,
      inputsToSave: ['x', 'gamma'],
      outputsToSave: [true, true, true],
      gradFunc: (dys, saved, attrs) => {
        // dys[1] and dys[2] (the moments) are zeros or feed only running statistics.
        const dy = (dys as tf.Tensor[])[0] as tf.Tensor4D;
        const d = backward(dy, saved, attrs as unknown as SplitBnOptions);
        // dL/dout has this node as its only reader (see backward-scope.ts).
        if (madeByBackward(dy)) dy.dispose();
        return { x: () => d.dx, gamma: () => d.dGamma, beta: () => d.dBeta, residual: () => d.g };
      },
    },
    backendName,
    // The outputs are tensors made by ops; the engine takes them as they are.
    () =>
      ({ inputs, attrs }) =>
        forward(inputs as tf.NamedTensorMap, attrs as unknown as SplitBnOptions) as unknown as tf.TensorInfo[],
  );
}

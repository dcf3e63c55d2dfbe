// The fused split-BN kernel (engine/batchnorm-kernel.ts) against autodiff of the plain ops it
// replaces: outputs, moments and the gradients of x, gamma, beta and the residual, on the
// exact cpu backend and on wasm, under TF.js's kernel leak check (IS_TEST).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { splitBatchNorm, type SplitBnOptions } from '../../../src-main/core/engine/batchnorm-kernel';
import { conv2d } from '../../../src-main/core/engine/conv';

type Shape4 = [number, number, number, number];
const EPS = 1e-5;

/** Deterministic values in about [-1.5, 1.5] with an offset, so the mean is not zero. */
function randomValues(size: number, seed: number, offset = 0): Float32Array {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Float32Array.from({ length: size }, () => next() + next() + next() - 1.5 + offset);
}

/** The ops the kernel replaces, differentiated by TF.js. */
function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, residual: tf.Tensor4D | null, o: SplitBnOptions) {
  const [n, h, w, c] = x.shape;
  const xg = tf.reshape(x, [o.groups, (n / o.groups) * h, w, c]);
  const { mean, variance } = tf.moments(xg, [1, 2], true);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, o.epsilon)));
  const shift = tf.sub(beta, tf.mul(mean, scale));
  let y = tf.reshape(tf.add(tf.mul(xg, scale), shift), x.shape) as tf.Tensor4D;
  if (residual) y = tf.add(y, residual);
  if (o.relu) y = tf.relu(y);
  return { y, mean: mean as tf.Tensor4D, variance: variance as tf.Tensor4D };
}

interface Case {
  shape: Shape4;
  groups: number;
  relu: boolean;
  residual: boolean;
}

const CASES: Case[] = [
  { shape: [8, 4, 4, 6], groups: 2, relu: false, residual: false },
  { shape: [8, 4, 4, 6], groups: 2, relu: true, residual: false },
  { shape: [6, 5, 3, 4], groups: 3, relu: true, residual: true },
  { shape: [4, 6, 6, 5], groups: 1, relu: false, residual: true },
];

type Fn = typeof reference;

/** Output, moments and the four gradients of sum(f(...) * probe), as arrays. */
function evaluate(f: Fn, c: Case, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const ch = c.shape[3];
    const x = tf.tensor4d(randomValues(tf.util.sizeFromShape(c.shape), seed, 0.7), c.shape);
    const gamma = tf.tensor1d(randomValues(ch, seed + 1, 1));
    const beta = tf.tensor1d(randomValues(ch, seed + 2));
    const r = tf.tensor4d(randomValues(x.size, seed + 3), c.shape);
    const probe = tf.tensor4d(randomValues(x.size, seed + 4), c.shape);
    const o: SplitBnOptions = { groups: c.groups, epsilon: EPS, relu: c.relu };
    const out = f(x, gamma, beta, c.residual ? r : null, o);
    // tf.grads needs every input on the path: the residual is one only when it is added.
    const loss = (...t: tf.Tensor[]) =>
      tf.sum(tf.mul(f(t[0] as tf.Tensor4D, t[1] as tf.Tensor1D, t[2] as tf.Tensor1D, (t[3] as tf.Tensor4D) ?? null, o).y, probe));
    const grads = tf.grads(loss)(c.residual ? [x, gamma, beta, r] : [x, gamma, beta]);
    return [out.y, out.mean, out.variance, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

const fused: Fn = (x, g, b, r, o) => splitBatchNorm(x, g, b, r, o);

/** max |a - b| / max |b| */
function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta', 'dresidual'];

describe.each(['cpu', 'wasm'])('fused split BN on %s', (backend) => {
  // float32 sums in a different order: cpu is exact to rounding, wasm's SIMD reductions a bit less so.
  const TOL = 1e-5;
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    tf.env().set('IS_TEST', true); // every kernel run is checked for leaked data ids
    await tf.setBackend(backend);
    await tf.ready();
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });

  for (const c of CASES) {
    it(`${c.shape.join('x')}, ${c.groups} groups, relu ${c.relu}, residual ${c.residual}: matches autodiff within ${TOL}`, () => {
      const want = evaluate(reference, c, 11);
      const got = evaluate(fused, c, 11);
      expect(got.length).toBe(want.length);
      const errors = got.map((g, i) => relErr(g, want[i]));
      console.log(`${backend} ${c.shape.join('x')} g${c.groups}: ${errors.map((e, i) => `${NAMES[i]} ${e.toExponential(1)}`).join(', ')}`);
      for (const [i, e] of errors.entries()) expect(e, NAMES[i]).toBeLessThan(TOL);
    });
  }

  it("leaves a dy passed to tf.grad by its caller alive (only the backward pass's own gradients are freed early)", () => {
    tf.tidy(() => {
      const x = tf.tensor4d(randomValues(4 * 2 * 2 * 3, 3, 0.2), [4, 2, 2, 3]);
      const [gamma, beta] = [tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D];
      const dy = tf.tensor4d(randomValues(x.size, 4), x.shape);
      const o = { groups: 2, epsilon: EPS, relu: true };
      const dx = tf.grad((a: tf.Tensor) => splitBatchNorm(a as tf.Tensor4D, gamma, beta, null, o).y)(x, dy);
      expect(dy.isDisposed).toBe(false);
      const want = tf.grad((a: tf.Tensor) => reference(a as tf.Tensor4D, gamma, beta, null, o).y)(x, dy);
      expect(relErr(dx.dataSync() as Float32Array, want.dataSync() as Float32Array)).toBeLessThan(1e-5);
    });
  });

  it('a residual block (conv, BN+ReLU, conv, BN+add+ReLU) has the gradients of its autodiff twin, with gradients freed early', () => {
    // Here each gradient is freed by its reader as soon as it is used (convolutions and BN):
    // the chain checks that none is freed while another node still needs it.
    const block = (f: Fn, x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => {
      const o = { groups: 2, epsilon: EPS, relu: true };
      const h = f(conv2d(x, w1, 2, 1), gamma, beta, null, o).y;
      const down = conv2d(x, tf.slice(w1, [1, 1, 0, 0], [1, 1, 3, 4]) as tf.Tensor4D, 2, 'valid');
      return f(conv2d(h, w2, 1, 'same'), gamma, beta, down, o).y;
    };
    const run = (f: Fn) =>
      tf.tidy(() => {
        const x = tf.tensor4d(randomValues(4 * 6 * 6 * 3, 31, 0.3), [4, 6, 6, 3]);
        const w1 = tf.tensor4d(randomValues(3 * 3 * 3 * 4, 32), [3, 3, 3, 4]);
        const w2 = tf.tensor4d(randomValues(3 * 3 * 4 * 4, 33), [3, 3, 4, 4]);
        const gamma = tf.tensor1d(randomValues(4, 34, 1));
        const beta = tf.tensor1d(randomValues(4, 35));
        const probe = tf.tensor4d(randomValues(4 * 3 * 3 * 4, 36), [4, 3, 3, 4]);
        const loss = (...t: tf.Tensor[]) =>
          tf.sum(
            tf.mul(
              block(f, t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, t[2] as tf.Tensor4D, t[3] as tf.Tensor1D, t[4] as tf.Tensor1D),
              probe,
            ),
          );
        return tf
          .grads(loss)([x, w1, w2, gamma, beta])
          .map((t) => t.dataSync() as Float32Array);
      });
    const want = run(reference);
    const before = tf.memory().numTensors;
    const got = run(fused);
    expect(tf.memory().numTensors).toBe(before);
    for (const [i, name] of ['dx', 'dw1', 'dw2', 'dgamma', 'dbeta'].entries()) expect(relErr(got[i], want[i]), name).toBeLessThan(1e-5);
  });

  it('needs at most half the peak memory of autodiff for the gradients of a stack of conv + BN + ReLU layers', async () => {
    const o = { groups: 2, epsilon: EPS, relu: true };
    const shape: Shape4 = [8, 12, 12, 8];
    const grads = (f: Fn) => {
      const x = tf.tensor4d(randomValues(tf.util.sizeFromShape(shape), 41, 0.3), shape);
      const w = tf.tensor4d(randomValues(3 * 3 * 8 * 8, 42), [3, 3, 8, 8]);
      const gamma = tf.tensor1d(randomValues(8, 43, 1));
      const beta = tf.tensor1d(randomValues(8, 44));
      const loss = (wt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        let h = x;
        for (let layer = 0; layer < 4; layer++)
          h = f(conv2d(h, wt as tf.Tensor4D, 1, 'same'), g as tf.Tensor1D, b as tf.Tensor1D, null, o).y;
        return tf.sum(h);
      };
      tf.dispose([x, w, gamma, beta, ...tf.grads(loss)([w, gamma, beta])]);
    };
    const peak = async (f: Fn) => {
      const base = tf.memory().numBytes;
      return (await tf.profile(() => grads(f))).peakBytes - base;
    };
    const [autodiff, kernel] = [await peak(reference), await peak(fused)];
    console.log(`${backend}: peak bytes of the gradients, autodiff ${autodiff}, fused kernel ${kernel}`);
    expect(kernel).toBeLessThan(0.5 * autodiff);
  });

  it('keeps tf.memory().numTensors flat across forward and backward passes', () => {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      evaluate(fused, CASES[2], 20 + i);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
  });
});

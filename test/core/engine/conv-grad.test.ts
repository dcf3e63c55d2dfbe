// The forward-convolution gradients against tfjs-backend-cpu's own Conv2D gradients.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2d, type ConvPadding } from '../../../src-main/core/engine/conv';
import { nativeConv, useNativeConv } from '../../../src-main/core/engine/native-route';

type Shape4 = [number, number, number, number];
interface Case {
  k: number;
  s: number;
  padding: ConvPadding;
  h: number;
  w: number;
}

/** Deterministic normal-ish values (sum of uniforms) so every backend sees the same data. */
function randomValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Float32Array.from({ length: size }, () => next() + next() + next() - 1.5);
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const relErr = (a: Float32Array, b: Float32Array) => {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
};

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** y = conv(x, w), loss = sum(y * dyData): returns y, dx, dw as plain arrays. */
function run(conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D, xShape: Shape4, wShape: Shape4, seed: number): Result {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(sizeOf(xShape), seed), xShape);
    const w = tf.tensor4d(randomValues(sizeOf(wShape), seed + 1), wShape);
    const y = conv(x, w);
    const dyData = tf.tensor(randomValues(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      conv(a as tf.Tensor4D, b as tf.Tensor4D)
        .mul(dyData)
        .sum(),
    )([x, w]);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

const cases: Case[] = [];
for (const k of [1, 3, 7])
  for (const s of [1, 2])
    for (const padding of ['same', 'valid', (k - 1) / 2] as const) {
      cases.push({ k, s, padding, h: 9, w: 12 }); // odd x even
      cases.push({ k, s, padding, h: 10, w: 7 }); // even x odd
    }
// Strides past the kernel (phases without taps), even kernels, pads that leave rows unread.
for (const [k, s, padding] of [
  [2, 3, 'valid'],
  [2, 3, 'same'],
  [3, 3, 1],
  [1, 3, 'same'],
  [2, 2, 1],
  [3, 2, 2],
  [1, 2, 1],
] as const) {
  cases.push({ k, s, padding, h: 9, w: 12 });
  cases.push({ k, s, padding, h: 10, w: 7 });
}

describe('conv2d gradients made of forward convolutions', () => {
  const reference = new Map<string, Result>();
  const key = (c: Case) => JSON.stringify(c);
  const shapes = (c: Case): [Shape4, Shape4] => [
    [3, c.h, c.w, 4],
    [c.k, c.k, 4, 5],
  ]; // batch 3, Ci 4, Co 5

  beforeAll(async () => {
    await tf.setBackend('cpu');
    cases.forEach((c, i) => {
      const [xs, ws] = shapes(c);
      reference.set(
        key(c),
        run((x, w) => tf.conv2d(x, w, c.s, c.padding), xs, ws, 100 * i),
      );
    });
  });

  for (const [backend, native] of [
    ['wasm', true],
    ['wasm', false],
    ['cpu', false],
  ] as const) {
    it(`match tfjs-backend-cpu's Conv2D gradients to 1e-4 on ${backend}${native ? ' with native convolutions' : ''}`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      useNativeConv(native);
      const before = nativeConv()?.runs.forward ?? 0;
      const worst = { y: 0, dx: 0, dw: 0 };
      cases.forEach((c, i) => {
        const [xs, ws] = shapes(c);
        const got = run((x, w) => conv2d(x, w, c.s, c.padding), xs, ws, 100 * i);
        const want = reference.get(key(c))!;
        for (const part of ['y', 'dx', 'dw'] as const) {
          const e = relErr(got[part], want[part]);
          expect(got[part].length, `${part} size ${key(c)}`).toBe(want[part].length);
          expect(e, `${part} ${key(c)}`).toBeLessThan(1e-4);
          worst[part] = Math.max(worst[part], e);
        }
      });
      console.log(`${backend}${native ? ' with native convolutions' : ''}: worst relative error`, worst);
      // The native route really ran (onnxruntime loads wherever the tests run).
      if (native) expect(nativeConv()!.runs.forward - before).toBeGreaterThanOrEqual(cases.length);
    });
  }

  it('leaves no tensor behind after a forward and backward pass in tidy', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randomValues(2 * 16 * 16 * 8, 7), [2, 16, 16, 8]);
    const w = tf.variable(tf.tensor4d(randomValues(3 * 3 * 8 * 16, 8), [3, 3, 8, 16]));
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => conv2d(x, w, 2, 'same').square().mean() as tf.Scalar);
        w.assign(w.sub(grads[w.name].mul(0.1)));
        value.dataSync();
      });
    step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, w]);
  });

  it('computes no input gradient when only the filter needs one', async () => {
    await tf.setBackend('wasm');
    useNativeConv(false);
    const x = tf.tensor4d(randomValues(2 * 12 * 12 * 3, 9), [2, 12, 12, 3]);
    const w = tf.tensor4d(randomValues(7 * 7 * 3 * 8, 10), [7, 7, 3, 8]);
    const profile = await tf.profile(() => tf.grad((b: tf.Tensor) => conv2d(x, b as tf.Tensor4D, 2, 'same').sum())(w));
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('Conv2D'); // the filter gradient
    const convs = (kernels: { name: string }[]) => kernels.filter((k) => k.name === 'Conv2D').length;
    expect(convs(profile.kernels)).toBe(1); // the filter gradient; the forward is MocoConv2D
    const full = await tf.profile(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]),
    );
    expect(convs(full.kernels)).toBe(1 + 4); // and one per phase of the stride-2 input gradient
    tf.dispose([x, w]);
  });

  it('computes no input gradient when only the filter needs one, on native convolutions', async () => {
    await tf.setBackend('wasm');
    useNativeConv(true);
    const native = nativeConv()!;
    const x = tf.tensor4d(randomValues(2 * 12 * 12 * 3, 9), [2, 12, 12, 3]);
    const w = tf.tensor4d(randomValues(7 * 7 * 3 * 8, 10), [7, 7, 3, 8]);
    const count = (f: () => unknown) => {
      const before = { ...native.runs };
      tf.dispose(f() as tf.Tensor[]);
      return { forward: native.runs.forward - before.forward, filterGrad: native.runs.filterGrad - before.filterGrad };
    };
    expect(count(() => tf.grad((b: tf.Tensor) => conv2d(x, b as tf.Tensor4D, 2, 'same').sum())(w))).toEqual({ forward: 1, filterGrad: 1 });
    const both = count(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]));
    expect(both).toEqual({ forward: 1 + 4, filterGrad: 1 }); // and one per phase of the stride-2 input gradient
    tf.dispose([x, w]);
  });

  it('rejects bad arguments with a clear message', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
    expect(() => conv2d(x, tf.zeros([3, 3, 4, 8]) as tf.Tensor4D, 1, 'same')).toThrow('conv2d: expected x with 4 channels');
    expect(() => conv2d(x, tf.zeros([7, 7, 3, 8]) as tf.Tensor4D, 1, 'valid')).toThrow('at least 7');
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 8]) as tf.Tensor4D, 0, 'same')).toThrow('positive integer stride, got 0');
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 8]) as tf.Tensor4D, 1, 'full' as ConvPadding)).toThrow(
      "padding 'same', 'valid' or a pixel count >= 0, got full",
    );
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 8]) as tf.Tensor4D, 1, -1)).toThrow('a pixel count >= 0, got -1');
    expect(() => conv2d(x, tf.zeros([7, 7, 3, 8]) as tf.Tensor4D, 1, 0)).toThrow('at least 7');
  });
});

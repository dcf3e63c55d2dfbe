// The max pool with a one-pass gradient against TF.js's own MaxPool gradient.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { maxPool, maxPoolGradFirstMax } from '../../../src-main/core/engine/maxpool-kernel';

/** Distinct values in a fixed order, so no window has a tie. */
function distinct(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: size }, (_, i) => i).sort(
    (a, b) => (((a * 2654435761 + seed) >>> 0) % 9973) - (((b * 2654435761 + seed) >>> 0) % 9973) || a - b,
  );
  return tf.tensor4d(
    Float32Array.from(perm, (v) => v / size),
    shape,
  );
}

function poolAndGrads(pool: (x: tf.Tensor4D) => tf.Tensor4D, x: tf.Tensor4D, dy: tf.Tensor4D) {
  return tf.tidy(() => {
    const y = pool(x);
    const dx = tf.grad((a: tf.Tensor) =>
      pool(a as tf.Tensor4D)
        .mul(dy)
        .sum(),
    )(x);
    return { y: y.arraySync(), dx: dx.arraySync() };
  });
}

describe('maxPool with a one-pass gradient', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`gives TF.js's pool and gradient on ${backend} (3x3 stride 2 and 2x2 stride 2)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      for (const [size, stride, shape] of [
        [3, 2, [2, 9, 11, 5]],
        [2, 2, [3, 8, 8, 4]],
        [3, 1, [1, 6, 7, 3]],
      ] as const) {
        const x = distinct([...shape], size * 31 + stride);
        const [, oh, ow, c] = tf.maxPool(x, size, stride, 'valid').shape;
        const dy = tf.randomNormal([shape[0], oh, ow, c], 0, 1, 'float32', 5) as tf.Tensor4D;
        const ours = poolAndGrads((a) => maxPool(a, size, stride), x, dy);
        const theirs = poolAndGrads((a) => tf.maxPool(a, size, stride, 'valid'), x, dy);
        expect(ours.y).toEqual(theirs.y);
        const flat = (v: unknown) => (v as number[][][][]).flat(3);
        flat(ours.dx).forEach((v, i) => expect(v, `dx[${i}] size ${size} stride ${stride}`).toBeCloseTo(flat(theirs.dx)[i], 5));
        tf.dispose([x, dy]);
      }
    });
  }

  it("sends a window's gradient to its first maximum when several tie (torch's choice)", async () => {
    await tf.setBackend('wasm');
    // One 3x3 window of zeros but two 5s (positions 1 and 5 in row-major order).
    const x = tf.tensor4d([0, 5, 0, 0, 0, 5, 0, 0, 0], [1, 3, 3, 1]);
    const y = maxPool(x, 3, 1);
    const dx = maxPoolGradFirstMax(x, y, tf.ones([1, 1, 1, 1]) as tf.Tensor4D, 3, 1);
    expect(Array.from(dx.dataSync())).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('leaves no tensor behind', async () => {
    await tf.setBackend('wasm');
    const x = distinct([2, 9, 9, 3], 1);
    const run = () =>
      tf.tidy(() =>
        tf
          .grad((a: tf.Tensor) => maxPool(a as tf.Tensor4D, 3, 2).sum())(x)
          .dataSync(),
      );
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

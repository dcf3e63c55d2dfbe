// Models whose BatchNorm layers do something in eval mode, so that folding them is really tested,
// and the comparisons of exported and TF.js outputs.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { ResNet, type ResNetOptions } from '../../../src-main/core/moco/resnet';
import { Rng } from '../../../src-main/core/moco/rng';

/**
 * A seeded ResNet whose every BN has its own γ, β, running mean and variance (the ranges of
 * test/core/moco/fixtures/torch_parity.py): eval BN is then a different affine map per channel.
 */
export function modelWithBnStats(opts: Partial<ResNetOptions> & Pick<ResNetOptions, 'arch'>, seed: number): ResNet {
  const model = new ResNet(opts, new Rng(seed));
  const rng = new Rng(seed + 1000);
  const ranges: Record<string, [number, number]> = {
    weight: [0.8, 1.2],
    bias: [-0.1, 0.1],
    running_mean: [-0.1, 0.1],
    running_var: [0.5, 1],
  };
  for (const map of [model.params, model.buffers]) {
    for (const [name, v] of map) {
      const kind = name.slice(name.lastIndexOf('.') + 1);
      const range = ranges[kind];
      if (v.rank !== 1 || !range || name.startsWith('fc')) continue;
      tf.tidy(() => v.assign(tf.tensor1d(rng.uniform(v.shape[0], range[0], range[1]))));
    }
  }
  return model;
}

/** n NHWC images of size x size, values N(0,1) as after ImageNet normalisation. */
export function randomImages(n: number, size: number, seed: number): Float32Array {
  return new Rng(seed).normal(n * size * size * 3);
}

/**
 * Features: max |Δ| at most 1e-4 of the largest |reference| (relative to the tensor's scale).
 * Embedding rows are unit vectors: max |Δ| at most 1e-4 absolute, and every row has norm 1.
 */
export function expectSameOutputs(
  actual: { features: Float32Array; embedding: Float32Array },
  expected: { features: ArrayLike<number>; embedding: ArrayLike<number> },
  outDim: number,
): void {
  expect(actual.features.length).toBe(expected.features.length);
  expect(actual.embedding.length).toBe(expected.embedding.length);
  const scale = maxAbs(expected.features);
  expect(scale).toBeGreaterThan(0);
  expect(maxAbsDiff(actual.features, expected.features) / scale).toBeLessThanOrEqual(1e-4);
  expect(maxAbsDiff(actual.embedding, expected.embedding)).toBeLessThanOrEqual(1e-4);
  for (let r = 0; r < actual.embedding.length / outDim; r++) {
    const row = actual.embedding.subarray(r * outDim, (r + 1) * outDim);
    expect(Math.hypot(...row)).toBeCloseTo(1, 5);
  }
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

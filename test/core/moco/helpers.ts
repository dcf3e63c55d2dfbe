// Shared pieces of the MoCo tests: the exact cpu backend, tiny configs and comparisons.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { MomentumQueue } from '../../../src-main/core/moco/dictionary/momentum-queue';
import type { MocoModel } from '../../../src-main/core/moco/moco';
import type { ResNetOptions } from '../../../src-main/core/moco/resnet';

/** tfjs-backend-cpu computes in float32 one op at a time: the reference for exact checks. */
export async function useCpuBackend(): Promise<void> {
  tf.env().set('IS_TEST', true); // keeps tfjs from printing its "use tfjs-node" hint
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A ResNet-18 small enough to train in a test: small stem, base width 8. */
export const TINY: Omit<ResNetOptions, 'outDim' | 'mlpHead'> & Partial<ResNetOptions> = {
  arch: 'resnet18',
  stem: 'small',
  widthMultiplier: 1 / 8,
};

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (excess > worst) {
      worst = excess;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    throw new Error(`expectAllClose: index ${worstAt}: expected ${expected[worstAt]}, got ${actual[worstAt]}`);
  }
}

/** Array.from for typed arrays, so toEqual compares plain numbers. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** The queue mechanism of a model built with dictionary 'queue' (its key encoder and queue). */
export function queueOf(model: MocoModel): MomentumQueue {
  if (!(model.dictionary instanceof MomentumQueue)) throw new Error(`queueOf: expected a queue model, got ${model.dictionary.kind}`);
  return model.dictionary;
}

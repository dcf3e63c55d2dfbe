// Cleanup after a failed step must not hide the failure, nor leave half a model undisposed.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { describeFailure } from '../../../src-main/core/moco/train/trainer';
import { MocoModel } from '../../../src-main/core/moco/moco';
import { TINY } from './helpers';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('MocoModel.dispose', () => {
  it('disposes the dictionary even when the query encoder fails to, then throws the first error', () => {
    const model = new MocoModel({ ...TINY, K: 8, seed: 1 });
    const before = tf.memory().numTensors;
    const encoderDispose = model.encoderQ.dispose.bind(model.encoderQ);
    vi.spyOn(model.encoderQ, 'dispose').mockImplementation(() => {
      encoderDispose();
      throw new Error('table index is out of bounds');
    });
    const dict = vi.spyOn(model.dictionary, 'dispose');
    expect(() => model.dispose()).toThrow('table index is out of bounds');
    expect(dict).toHaveBeenCalledOnce();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('reads a wasm abort as running out of memory', () => {
    expect(describeFailure(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 128, 32)).toMatch(
      /ran out of memory.*smaller batch \(e\.g\. 64\)/,
    );
  });
});

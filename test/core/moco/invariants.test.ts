// A tensor kernel that meets a shape or a setting it cannot take reports a broken invariant of
// the app (a bug, an internal error), not bad input from the caller: the API sends bad input
// back as a 400 and an invariant failure as a 500.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_METHODS } from '../../../src-main/api/contract';
import { InvariantError } from '../../../src-main/api/errors';
import { checkBnGroups } from '../../../src-main/core/moco/batchnorm';
import { batchInfoNce, infoNce } from '../../../src-main/core/moco/infonce';
import { checkQueueFits, KeyQueue } from '../../../src-main/core/moco/queue';
import { MocoModel } from '../../../src-main/core/moco/moco';
import { Rng } from '../../../src-main/core/moco/rng';
import type { CoreApi } from '../../../src-main/core/studio-types';
import { createDispatch, statusForError } from '../../../src-main/hosts/dispatch';
import { TINY, useCpuBackend } from './helpers';

beforeAll(useCpuBackend);

const nameOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
};

describe('invariant failures in tensor code', () => {
  it('are InvariantError, named Invariant', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 4]) as tf.Tensor2D;
    const q = new KeyQueue(4, 3, new Rng(1));
    try {
      const failures = [
        () => infoNce(a, b, a, 0.07),
        () => batchInfoNce(a, b, 0.07),
        () => checkBnGroups(8, 3, 'test'),
        () => checkQueueFits(10, 4),
        () => q.enqueue(b),
        () => new MocoModel({ ...TINY, K: 8, T: -1 }),
      ];
      expect(failures.map(nameOf)).toEqual(failures.map(() => 'Invariant'));
      expect(() => checkQueueFits(10, 4)).toThrow(InvariantError);
    } finally {
      tf.dispose([a, b]);
      q.dispose();
    }
  });

  it('cross the API as an internal error (500), not bad input (400)', async () => {
    const core = Object.fromEntries(
      API_METHODS.map((m) => [
        m,
        async () => {
          throw new InvariantError('infoNce: expected q NxC, got [2, 3]');
        },
      ]),
    ) as unknown as CoreApi;
    const err = (await createDispatch(core, { pickFolder: async () => null })('listRuns', []).catch((e: Error) => e)) as Error;
    expect(err.name).toBe('Invariant');
    expect(statusForError(err.name)).toBe(500);
    expect(statusForError('InvalidInput')).toBe(400);
  });
});

// The config check before a run, for each dictionary mechanism and the symmetric loss: what
// fits is accepted, a bad combination is refused with a message that says why.
import { describe, expect, it } from 'vitest';
import { checkDictionary, checkTrainConfig } from '../../../../src-main/core/moco/train/check-config';
import { tinyConfig } from './pattern-library';

const check =
  (over: Parameters<typeof tinyConfig>[0], images = 100) =>
  () =>
    checkTrainConfig(tinyConfig(over), images);

describe('checkTrainConfig: dictionary mechanisms', () => {
  it('queue: K must tile the keys of a step, N or 2N with the symmetric loss', () => {
    expect(check({ K: 32 })).not.toThrow();
    expect(check({ K: 4 })).toThrow('startTraining: expected queue size K >= batch size 8, got K = 4');
    expect(check({ K: 20 })).toThrow('startTraining: expected queue size K a multiple of the batch size 8, got K = 20 (try 24)');
    expect(check({ K: 32, symmetric: true })).not.toThrow();
    expect(check({ K: 8, symmetric: true })).toThrow(
      'startTraining: expected queue size K >= 2 x batch size = 16 (the symmetric loss enqueues the keys of both views), got K = 8',
    );
    expect(check({ K: 24, symmetric: true })).toThrow(
      'startTraining: expected queue size K a multiple of 2 x batch size = 16 (the symmetric loss enqueues the keys of both views), got K = 24 (try 32)',
    );
  });

  it('end-to-end: K plays no part, symmetric is accepted', () => {
    expect(check({ dictionary: 'end-to-end', K: 5 })).not.toThrow();
    expect(check({ dictionary: 'end-to-end', K: 5, symmetric: true })).not.toThrow();
  });

  it('memory bank: K other images per step, m < 1, not symmetric', () => {
    expect(check({ dictionary: 'memory-bank', K: 92, m: 0.5 })).not.toThrow();
    expect(check({ dictionary: 'memory-bank', K: 93, m: 0.5 })).toThrow(
      "startTraining: expected K <= images - batch size = 92 with the memory bank (its negatives are K other images' entries), got K = 93",
    );
    expect(check({ dictionary: 'memory-bank', K: 16, m: 1 })).toThrow(/expected m < 1 with the memory bank/);
    expect(check({ dictionary: 'memory-bank', K: 16, m: 0.5, symmetric: true })).toThrow(/expected symmetric false with the memory bank/);
    // The defaults of a memory-bank config take Wu et al.'s m.
    expect(tinyConfig({ dictionary: 'memory-bank' }).m).toBe(0.5);
    expect(tinyConfig().m).toBe(0.999);
  });

  it('refuses an unknown mechanism, and checks again against the images actually read', () => {
    expect(check({ dictionary: 'bank' as never })).toThrow(
      "startTraining: expected dictionary queue | end-to-end | memory-bank, got 'bank'",
    );
    expect(() => checkDictionary(tinyConfig({ dictionary: 'memory-bank', K: 16 }), 20, 'training')).toThrow(
      'training: expected K <= images - batch size = 12 with the memory bank',
    );
  });
});

// The training-config module: its tables, the paper's defaults and derived values, and the
// wording of the rules between fields that the app, the CLI and the Train form all show.
import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import {
  ARCHS,
  BANK_MOMENTUM,
  CHOICE_FIELDS,
  CONFIG_FIELDS,
  defaultConfig,
  DICTIONARIES,
  expectation,
  KEY_MOMENTUM,
  keysPerStep,
  momentumFor,
  NUMBER_FIELDS,
  queueSizeError,
  scaledLr,
  scaleLrSteps,
  trainingConfigIssues,
} from '../../src-main/api/training-config';

const quick = TRAIN_PRESETS.find((p) => p.id === 'cpu-quick')!.config;
// v1 with the step schedule, so that the v2 and milestone hints below have something to say.
const tiny: TrainConfig = { ...quick, augmentation: 'v1', mlpHead: false, schedule: 'step', batchSize: 16, K: 64, lr: scaledLr(16) };
const errorsOf = (c: Partial<TrainConfig>, images: number | null = 1000) =>
  trainingConfigIssues({ ...tiny, ...c }, { images }).errors.map((e) => `${e.field}: ${e.message}`);

describe('field tables', () => {
  it('lists each choice once, as the table offers it', () => {
    expect(CHOICE_FIELDS.arch.choices.map((c) => c.value)).toEqual([...ARCHS]);
    expect(CHOICE_FIELDS.dictionary.choices.map((c) => c.value)).toEqual([...DICTIONARIES]);
  });

  it('has sane bounds, a label, help and a distinct flag for every number', () => {
    const flags = new Set<string>();
    for (const [field, s] of Object.entries(NUMBER_FIELDS)) {
      expect(s.min, field).toBeLessThan(s.max);
      expect(s.label && s.help, field).toBeTruthy();
      expect(flags.has(s.flag), s.flag).toBe(false);
      flags.add(s.flag);
    }
    expect(NUMBER_FIELDS.K).toMatchObject({ integer: true, min: 1, max: 1 << 20 });
    expect(expectation(NUMBER_FIELDS.batchSize)).toBe('an integer from 2 to 8192');
    expect(expectation(NUMBER_FIELDS.m)).toBe('a number from 0 to 1');
  });

  it('keeps every preset inside the bounds, with no error', () => {
    for (const p of TRAIN_PRESETS) {
      for (const [field, s] of Object.entries(NUMBER_FIELDS)) {
        const v = p.config[field as keyof typeof NUMBER_FIELDS];
        expect(v >= s.min && v <= s.max && (!s.integer || Number.isInteger(v)), `${p.id}.${field}`).toBe(true);
      }
      expect(trainingConfigIssues(p.config).errors, p.id).toEqual([]);
    }
  });
});

describe("the paper's defaults and derived values", () => {
  it('starts from MoCo v1 on ImageNet', () => {
    const c = defaultConfig();
    expect(Object.keys(c).sort()).toEqual(CONFIG_FIELDS.filter((f) => f !== 'minutes').sort());
    expect(c).toMatchObject({ arch: 'resnet50', batchSize: 256, K: 65536, m: 0.999, T: 0.07, lr: 0.03, lrSteps: [120, 160] });
    expect(c).toMatchObject({ sgdMomentum: 0.9, weightDecay: 1e-4, schedule: 'step', mlpHead: false });
    expect(defaultConfig({ augmentation: 'v2' })).toMatchObject({ T: 0.2, mlpHead: true, schedule: 'cosine' });
    expect(defaultConfig({ batchSize: 64 }).lr).toBe(0.0075);
    expect(defaultConfig({ dictionary: 'memory-bank' }).m).toBe(0.5);
  });

  it('scales the lr, the milestones, and picks m for each dictionary', () => {
    expect([scaledLr(256), scaledLr(16), scaledLr(512)]).toEqual([0.03, 0.001875, 0.06]);
    expect(scaleLrSteps([120, 160], 200, 100)).toEqual([60, 80]);
    expect(scaleLrSteps([20, 25], 30, 4)).toEqual([3]);
    expect(scaleLrSteps([20, 25], 30, 1)).toEqual([]);
    expect([momentumFor('queue'), momentumFor('end-to-end'), momentumFor('memory-bank')]).toEqual([
      KEY_MOMENTUM,
      KEY_MOMENTUM,
      BANK_MOMENTUM,
    ]);
    expect([keysPerStep({ batchSize: 16, symmetric: false }), keysPerStep({ batchSize: 16, symmetric: true })]).toEqual([16, 32]);
  });
});

describe('trainingConfigIssues', () => {
  it('words K against the keys per step once, with the next multiple', () => {
    expect(queueSizeError(64, 16, false)).toBeNull();
    expect(queueSizeError(8, 16, false)).toBe('expected queue size K >= batch size 16, got K = 8');
    expect(queueSizeError(100, 16, false)).toBe('expected queue size K a multiple of the batch size 16, got K = 100 (try 112)');
    expect(queueSizeError(48, 16, true)).toBe(
      'expected queue size K a multiple of 2 x batch size = 32 (the symmetric loss enqueues the keys of both views), got K = 48 (try 64)',
    );
    const [k] = trainingConfigIssues({ ...tiny, K: 100 }).errors;
    expect(k).toEqual({
      field: 'K',
      level: 'error',
      message: queueSizeError(100, 16, false),
      fix: { label: 'Use K = 112', patch: { K: 112 } },
    });
  });

  it('refuses a library smaller than a batch, or empty', () => {
    expect(errorsOf({}, 12)).toEqual([
      'batchSize: expected at least batch size 16 images present on disk, got 12 (lower the batch size or add images)',
    ]);
    expect(errorsOf({}, 0)).toEqual(['batchSize: expected a library with images to train on, got an empty library (add a folder first)']);
    expect(errorsOf({}, null)).toEqual([]); // images unknown: nothing to say yet
  });

  it('reads K and m for each dictionary', () => {
    expect(errorsOf({ dictionary: 'end-to-end', K: 5 })).toEqual([]);
    expect(errorsOf({ dictionary: 'memory-bank', K: 985, m: 0.5 })).toEqual([
      "K: expected K <= images - batch size = 984 with the memory bank (its negatives are K other images' entries), got K = 985",
    ]);
    expect(errorsOf({ dictionary: 'memory-bank', m: 1, symmetric: true })).toEqual([
      'symmetric: expected symmetric false with the memory bank (its positive is the stored entry, there is no key view to swap), got true',
      'm: expected m < 1 with the memory bank (the momentum of the stored features; 1 never updates them), got 1',
    ]);
    expect(errorsOf({ dictionary: 'bank' as never })).toEqual([
      "dictionary: expected dictionary queue | end-to-end | memory-bank, got 'bank'",
    ]);
  });

  it('refuses BN groups that do not split the batch, the small stem above 64 px, milestones out of order', () => {
    expect(errorsOf({ bnGroups: 3, inputSize: 96, lrSteps: [25, 20] })).toEqual([
      'bnGroups: expected bnGroups dividing the batch size 16 into groups of 2 or more images, got 3',
      "stem: expected input size <= 64 px with the small stem, got 96 (use stem 'imagenet')",
      'lrSteps: expected lrSteps in increasing order, got [25, 20]',
    ]);
  });

  it('keeps hints apart from errors: they never block a start', () => {
    const { errors, hints } = trainingConfigIssues(
      { ...tiny, batchSize: 32, m: 0.5, augmentation: 'v2', stem: 'imagenet' },
      { images: 40 },
    );
    expect(errors).toEqual([]);
    expect(hints.map((h) => [h.field, h.level])).toEqual([
      ['K', 'warning'],
      ['m', 'warning'],
      ['stem', 'warning'],
      ['lr', 'info'],
      ['augmentation', 'info'],
    ]);
    expect(hints.find((h) => h.field === 'lr')!.message).toBe("The paper's rule for batch 32 gives lr 0.03 × 32/256 = 0.00375.");
  });
});

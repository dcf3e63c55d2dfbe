import { describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { defaultConfig } from '../../src-main/api/training-config';
import {
  changedFields,
  CONFIG_FIELDS,
  configHints,
  configToForm,
  fieldOfServerError,
  formToConfig,
  NUMBER_FIELDS,
  parseLrSteps,
  parseMinutes,
  parseNumberField,
  patchForm,
  scaledLr,
  scaleLrSteps,
  type Hint,
} from '../../src-renderer/src/lib/train-form';

const quick = TRAIN_PRESETS.find((p) => p.id === 'cpu-quick')!.config;
// v1 with the step schedule, so that the v2 and milestone hints below have something to say.
const tiny: TrainConfig = {
  ...quick,
  augmentation: 'v1',
  mlpHead: false,
  schedule: 'step',
  widthMultiplier: 0.125,
  inputSize: 32,
  batchSize: 16,
  K: 64,
  lr: scaledLr(16),
  epochs: 30,
};

function byField(hints: Hint[], field: keyof TrainConfig): Hint[] {
  return hints.filter((h) => h.field === field);
}

describe('form <-> config', () => {
  it('round-trips every preset, field for field', () => {
    for (const p of TRAIN_PRESETS) {
      const back = formToConfig(configToForm(p.config));
      expect(back.errors).toEqual({});
      expect(back.config).toEqual(p.config);
    }
  });

  it('takes "train for N minutes": empty trains for the epochs, a number becomes config.minutes', () => {
    const form = configToForm(quick);
    expect(form.minutes).toBe('');
    expect(formToConfig(form).config!.minutes).toBeUndefined();
    const timed = formToConfig({ ...form, minutes: ' 30 ' });
    expect(timed.config!.minutes).toBe(30);
    expect(configToForm(timed.config!).minutes).toBe('30');
    expect(patchForm(form, { minutes: 5 }).minutes).toBe('5');
    expect(changedFields(timed.config!, quick)).toEqual(['minutes']);
    const bad = formToConfig({ ...form, minutes: 'soon' });
    expect(bad.config).toBeNull();
    expect(bad.errors.minutes).toBe('Train for: expected minutes from 0.05 to 100000, or nothing to train for the epochs, got "soon"');
    expect(parseMinutes('0')).toEqual({ error: expect.stringContaining('got "0"') });
    expect(parseMinutes('')).toEqual({ value: null });
  });

  it('has a form field for every config field', () => {
    const form = configToForm(quick);
    for (const f of CONFIG_FIELDS) expect(Object.keys(form)).toContain(f);
    expect(Object.keys(form).sort()).toEqual([...CONFIG_FIELDS].sort());
  });

  it('reads what people type: exponents, spaces, milestone lists, folders in order', () => {
    const form = { ...configToForm(quick), weightDecay: ' 5e-4 ', lrSteps: '10 20,30', folderIds: [3, 1] };
    const { config } = formToConfig(form);
    expect(config?.weightDecay).toBe(5e-4);
    expect(config?.lrSteps).toEqual([10, 20, 30]);
    expect(config?.folderIds).toEqual([1, 3]);
  });

  it('gives no config and one message per field that does not parse', () => {
    const form = { ...configToForm(quick), batchSize: '16.5', m: 'fast', T: '', K: '0', lrSteps: '20, x' };
    const r = formToConfig(form);
    expect(r.config).toBeNull();
    expect(r.errors).toEqual({
      batchSize: 'Batch size: expected an integer from 2 to 8192, got 16.5',
      m: 'm (key momentum): expected a number from 0 to 1, got "fast"',
      T: 'T (temperature): expected a number from 0.0001 to 10, got nothing',
      K: 'K (queue size): expected an integer from 1 to 1048576, got 0',
      lrSteps: 'LR milestones: expected epochs as integers from 1 to 10000, separated by commas, got "x"',
    });
  });

  it('keeps to the app’s bounds on each number', () => {
    expect(parseNumberField('widthMultiplier', '0.0625')).toEqual({ value: 0.0625 });
    expect(parseNumberField('widthMultiplier', '0.05')).toEqual({
      error: 'Width multiplier: expected a number from 0.0625 to 4, got 0.05',
    });
    expect(parseNumberField('inputSize', '1e3')).toEqual({ value: 1000 });
    expect(parseNumberField('seed', 'Infinity')).toEqual({ error: 'Seed: expected an integer from 0 to 2147483647, got "Infinity"' });
    for (const spec of Object.values(NUMBER_FIELDS)) expect(spec.min).toBeLessThan(spec.max);
  });

  it('parses milestones, refusing more than sixteen', () => {
    expect(parseLrSteps('')).toEqual({ value: [] });
    expect(parseLrSteps(' 120 ; 160 ')).toEqual({ value: [120, 160] });
    expect(parseLrSteps(Array.from({ length: 17 }, (_, i) => i + 1).join(','))).toEqual({
      error: 'LR milestones: expected at most 16, got 17',
    });
  });

  it('patches config values into the form as text', () => {
    const form = patchForm(configToForm(quick), { K: 112, lrSteps: [3], mlpHead: true, schedule: 'cosine', folderIds: [2] });
    expect(form.K).toBe('112');
    expect(form.lrSteps).toBe('3');
    expect(form.mlpHead).toBe(true);
    expect(form.schedule).toBe('cosine');
    expect(form.folderIds).toEqual([2]);
  });

  it('names the fields a config changed from its preset, folders aside', () => {
    expect(changedFields({ ...quick, folderIds: [4] }, quick)).toEqual([]);
    expect(changedFields({ ...quick, K: 64, lrSteps: [3] }, quick)).toEqual(['K', 'lrSteps']);
  });
});

describe('scaling rules', () => {
  it('scales the lr linearly from 0.03 at batch 256', () => {
    expect(scaledLr(256)).toBe(0.03);
    expect(scaledLr(16)).toBe(0.001875);
    expect(scaledLr(1024)).toBeCloseTo(0.12, 12);
  });
  it('moves milestones with the run length, dropping those past the end', () => {
    expect(scaleLrSteps([120, 160], 200, 100)).toEqual([60, 80]);
    expect(scaleLrSteps([20, 25], 30, 4)).toEqual([3]);
    expect(scaleLrSteps([20, 25], 30, 1)).toEqual([]);
  });
});

describe('configHints', () => {
  it('says nothing about the paper’s own setting on ImageNet', () => {
    expect(configHints(defaultConfig(), { images: 1_281_167 })).toEqual([]);
  });

  it('flags K that is not a multiple of the batch, with the next multiple as fix', () => {
    const [h] = byField(configHints({ ...tiny, K: 100 }), 'K');
    expect(h.level).toBe('error');
    // In the app's own words: the form shows what startTraining would answer.
    expect(h.message).toBe('expected queue size K a multiple of the batch size 16, got K = 100 (try 112)');
    expect(h.fix?.patch).toEqual({ K: 112 });
    expect(byField(configHints({ ...tiny, K: 8 }), 'K')[0].fix?.patch).toEqual({ K: 16 });
  });

  it('warns when the queue is as large as the training set', () => {
    const [h] = byField(configHints(tiny, { images: 49 }), 'K');
    expect(h.level).toBe('warning');
    expect(h.message).toContain('K = 64 ≥ 49 training images');
    expect(byField(configHints(tiny, { images: 5000 }), 'K')).toEqual([]);
  });

  it('flags a training set smaller than one batch', () => {
    expect(byField(configHints(tiny, { images: 12 }), 'batchSize')[0]).toMatchObject({
      level: 'error',
      message: 'expected at least batch size 16 images present on disk, got 12 (lower the batch size or add images)',
    });
  });

  it('checks BN groups, the stem against the input size, and milestone order', () => {
    expect(byField(configHints({ ...tiny, bnGroups: 3 }), 'bnGroups')[0].fix?.patch).toEqual({ bnGroups: 0 });
    expect(byField(configHints({ ...tiny, bnGroups: 16 }), 'bnGroups')).toHaveLength(1); // groups of one image
    expect(byField(configHints({ ...tiny, bnGroups: 8 }), 'bnGroups')).toEqual([]);
    expect(byField(configHints({ ...tiny, inputSize: 96 }), 'stem')[0]).toMatchObject({
      level: 'error',
      fix: { patch: { stem: 'imagenet' } },
    });
    expect(byField(configHints({ ...tiny, stem: 'imagenet' }), 'stem')[0]).toMatchObject({
      level: 'warning',
      fix: { patch: { stem: 'small' } },
    });
    expect(byField(configHints({ ...tiny, lrSteps: [25, 20, 20] }), 'lrSteps')[0]).toMatchObject({
      level: 'error',
      fix: { patch: { lrSteps: [20, 25] } },
    });
  });

  it('offers to scale the preset’s milestones when the epochs shrink', () => {
    const [h] = byField(configHints({ ...tiny, epochs: 4 }, { preset: quick }), 'lrSteps');
    expect(h.level).toBe('warning');
    expect(h.fix).toEqual({ label: 'Use 3', patch: { lrSteps: [3] } });
    // Without the preset to scale from, the milestones past the end go.
    expect(byField(configHints({ ...tiny, epochs: 22 }), 'lrSteps')[0].fix?.patch).toEqual({ lrSteps: [20] });
    // The cosine schedule has no milestones to worry about.
    expect(byField(configHints({ ...tiny, epochs: 4, schedule: 'cosine' }), 'lrSteps')).toEqual([]);
  });

  it('offers the scaled lr when the batch changed', () => {
    const [h] = byField(configHints({ ...quick, batchSize: 16 }), 'lr');
    expect(h.level).toBe('info');
    expect(h.message).toBe("The paper's rule for batch 16 gives lr 0.03 × 16/256 = 0.001875.");
    expect(h.fix?.patch).toEqual({ lr: 0.001875 });
    expect(byField(configHints(tiny), 'lr')).toEqual([]);
  });

  it('suggests the v2 companions of the v2 augmentation, and warns on a fast-moving key encoder', () => {
    const [v2] = byField(configHints({ ...tiny, augmentation: 'v2' }), 'augmentation');
    expect(v2.fix?.patch).toEqual({ mlpHead: true, T: 0.2, schedule: 'cosine' });
    expect(byField(configHints({ ...tiny, augmentation: 'v2', mlpHead: true, T: 0.2, schedule: 'cosine' }), 'augmentation')).toEqual([]);
    expect(byField(configHints({ ...tiny, m: 0.5 }), 'm')[0]).toMatchObject({ level: 'warning', fix: { patch: { m: 0.999 } } });
    expect(byField(configHints({ ...tiny, m: 0.99 }), 'm')).toEqual([]);
  });

  it('tiles the queue by both views’ keys with the symmetric loss', () => {
    const [h] = byField(configHints({ ...tiny, symmetric: true, K: 48 }), 'K');
    expect(h.message).toContain('a multiple of 2 x batch size = 32');
    expect(h.fix?.patch).toEqual({ K: 64 });
    expect(byField(configHints({ ...tiny, symmetric: true, K: 64 }), 'K')).toEqual([]);
  });

  it('reads K and m as each dictionary does', () => {
    const e2e = configHints({ ...tiny, dictionary: 'end-to-end', K: 100, m: 0 });
    expect(byField(e2e, 'dictionary')[0].message).toContain('K and m are not used');
    expect(byField(e2e, 'K')).toEqual([]);
    expect(byField(e2e, 'm')).toEqual([]);

    const bank = configHints({ ...tiny, dictionary: 'memory-bank', K: 64, m: 0.999, symmetric: true }, { images: 49 });
    expect(byField(bank, 'K')[0]).toMatchObject({ level: 'error', fix: { patch: { K: 33 } } });
    expect(byField(bank, 'm')[0]).toMatchObject({ level: 'info', fix: { patch: { m: 0.5 } } });
    expect(byField(bank, 'symmetric')[0]).toMatchObject({ level: 'error', fix: { patch: { symmetric: false } } });
    expect(byField(configHints({ ...tiny, dictionary: 'memory-bank', m: 1 }), 'm')[0].level).toBe('error');
    // The bank's own m is no slow key encoder to warn about.
    expect(byField(configHints({ ...tiny, dictionary: 'memory-bank', K: 16, m: 0.5 }, { images: 49 }), 'm')).toEqual([]);
  });

  it('has fixes that clear their own hint', () => {
    const bad: TrainConfig[] = [
      { ...quick, batchSize: 16, K: 100, bnGroups: 3, inputSize: 96, epochs: 4, augmentation: 'v2', m: 0.5 },
      { ...quick, batchSize: 16, K: 4096, dictionary: 'memory-bank', m: 1, symmetric: true },
    ];
    for (const c of bad) {
      const hints = configHints(c, { preset: quick, images: 200 });
      expect(hints.filter((h) => h.fix).length).toBeGreaterThanOrEqual(3);
      for (const h of hints) {
        if (!h.fix) continue;
        const fixed = formToConfig(patchForm(configToForm(c), h.fix.patch)).config!;
        expect(
          configHints(fixed, { preset: quick, images: 200 }).map((x) => x.message),
          h.message,
        ).not.toContain(h.message);
      }
    }
  });
});

describe('fieldOfServerError', () => {
  it('finds the config field an argument check names', () => {
    expect(fieldOfServerError('startTraining argument 0.K: Number must be less than or equal to 1048576')).toBe('K');
    expect(fieldOfServerError('startTraining argument 0.nope: Unrecognized key')).toBeNull();
    expect(fieldOfServerError('startTraining: expected queue size K a multiple of the batch size 16, got K = 100')).toBeNull();
  });
});

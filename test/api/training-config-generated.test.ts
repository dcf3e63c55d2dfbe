// The API's schema, the CLI's train flags and the Train form are generated from the one table
// of fields in training-config: every field of it appears in each, with the same bounds.
import { describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../src-main/api/train-schema';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { BOOLEAN_FIELDS, CHOICE_FIELDS, CONFIG_FIELDS, LR_STEPS, MINUTES, NUMBER_FIELDS } from '../../src-main/api/training-config';
import { validateArgs } from '../../src-main/api/validate';
import { CONFIG_OPTIONS, configFromFlags } from '../../src-main/hosts/cli/train-flags';
import { configToForm, formToConfig, parseNumberField } from '../../src-renderer/src/lib/train-form';
import { FORM_SECTIONS } from '../../src-renderer/src/lib/train-form-layout';

const quick = TRAIN_PRESETS.find((p) => p.id === 'cpu-quick')!.config;
const tabled = [...Object.keys(NUMBER_FIELDS), ...Object.keys(CHOICE_FIELDS), ...Object.keys(BOOLEAN_FIELDS), 'lrSteps', 'minutes'];
const flagOf = (field: string): string =>
  ({ ...NUMBER_FIELDS, ...CHOICE_FIELDS, ...BOOLEAN_FIELDS, lrSteps: LR_STEPS, minutes: MINUTES })[field as 'K'].flag;

describe('one table, three doors', () => {
  it('names every config field in the table, the schema, the CLI flags and the form', () => {
    expect([...tabled, 'folderIds'].sort()).toEqual([...CONFIG_FIELDS].sort());
    const shape = (trainConfigSchema as unknown as { shape: Record<string, unknown> }).shape;
    expect(Object.keys(shape).sort()).toEqual([...CONFIG_FIELDS].sort());
    for (const field of tabled) expect(Object.keys(CONFIG_OPTIONS), field).toContain(flagOf(field));
    expect(Object.keys(CONFIG_OPTIONS)).toHaveLength(tabled.length);
    expect(Object.keys(configToForm(quick)).sort()).toEqual([...CONFIG_FIELDS].sort());
    // The advanced form shows every field but the time budget, which sits above Start.
    expect(FORM_SECTIONS.flatMap((s) => s.fields).sort()).toEqual(CONFIG_FIELDS.filter((f) => f !== 'minutes').sort());
  });

  it('holds every number to the same bounds in the schema, the CLI and the form', () => {
    for (const [field, s] of Object.entries(NUMBER_FIELDS)) {
      const f = field as keyof typeof NUMBER_FIELDS;
      for (const [v, ok] of [
        [s.min, true],
        [s.max, true],
        [s.max + 1, false],
        [s.min - (s.integer ? 1 : s.min || 0.5), false],
      ] as const) {
        const config = { ...quick, [field]: v };
        const api = () => validateArgs('startTraining', [config]);
        if (ok) expect(api, `${field} ${v}`).not.toThrow();
        else expect(api, `${field} ${v}`).toThrow(`startTraining argument 0.${field}`);
        expect('value' in parseNumberField(f, String(v)), `${field} ${v}`).toBe(ok);
      }
      // The CLI reads the number and hands it to the API, which holds it to the bounds.
      expect(configFromFlags({ [s.flag]: String(s.max) })[f]).toBe(s.max);
    }
  });

  it('offers the same choices in the schema, the CLI and the form', () => {
    for (const [field, s] of Object.entries(CHOICE_FIELDS)) {
      for (const c of s.choices) {
        expect(configFromFlags({ [s.flag]: c.value })[field as keyof typeof CHOICE_FIELDS]).toBe(c.value);
        expect(() => validateArgs('startTraining', [{ ...quick, [field]: c.value }])).not.toThrow();
      }
      expect(() => configFromFlags({ [s.flag]: 'nope' })).toThrow(
        `train: --${s.flag}: expected ${s.choices.map((c) => c.value).join(' | ')}`,
      );
      expect(() => validateArgs('startTraining', [{ ...quick, [field]: 'nope' }])).toThrow(`startTraining argument 0.${field}`);
      expect(formToConfig({ ...configToForm(quick), [field]: s.choices[0].value }).config![field as 'arch']).toBe(s.choices[0].value);
    }
  });

  it("applies the paper's derived values on the command line, the flags given still winning", () => {
    expect(configFromFlags({ 'batch-size': '128' })).toMatchObject({ batchSize: 128, lr: 0.015 });
    expect(configFromFlags({ 'batch-size': '128', lr: '0.1' })).toMatchObject({ batchSize: 128, lr: 0.1 });
    expect(configFromFlags({ epochs: '4' })).toMatchObject({ epochs: 4, lrSteps: [3] });
    expect(configFromFlags({ epochs: '4', 'lr-steps': '2,3' })).toMatchObject({ epochs: 4, lrSteps: [2, 3] });
    expect(configFromFlags({ dictionary: 'memory-bank' }).m).toBe(0.5);
    expect(configFromFlags({ dictionary: 'memory-bank', m: '0.9' }).m).toBe(0.9);
    expect(configFromFlags({ aug: 'v2' })).toMatchObject({ augmentation: 'v2', T: 0.2, schedule: 'cosine' });
    expect(configFromFlags({ aug: 'v2', schedule: 'step' })).toMatchObject({ T: 0.2, schedule: 'step' });
    expect(configFromFlags({ 'mlp-head': true, symmetric: true })).toMatchObject({ mlpHead: true, symmetric: true });
    expect(configFromFlags({ minutes: '30' }).minutes).toBe(30);
    expect(() => configFromFlags({ minutes: '0' })).toThrow('train: --minutes: expected minutes from 0.05 to 100000, got 0');
    expect(() => configFromFlags({ epochs: 'many' })).toThrow('train: --epochs: expected an integer, got "many"');
    expect(configFromFlags({})).toEqual(quick);
  });
});

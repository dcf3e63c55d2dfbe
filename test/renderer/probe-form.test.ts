import { describe, expect, it } from 'vitest';
import type { ProbeConfig } from '../../src-main/api/contract';
import {
  changedFromProtocol,
  configToProbeForm,
  DEFAULT_PROBE,
  defaultProbeForm,
  formToProbeConfig,
  labelSourceKey,
  parseLabelSourceKey,
  parseProbeLrSteps,
  parseProbeNumber,
  previewRequest,
} from '../../src-renderer/src/lib/probe-form';

const custom: ProbeConfig = {
  runId: 7,
  labels: { kind: 'folder', level: -1 },
  testFraction: 0.3,
  minPerClass: 4,
  seed: 12,
  inputSize: 48,
  linear: { epochs: 20, lr: 0.5, momentum: 0.8, weightDecay: 1e-4, batchSize: 64, lrSteps: [0.5], standardize: false },
  knn: { k: 20, T: 0.07 },
  baselines: { randomInit: false, rawPixels: true },
  folderIds: [9, 2],
};

describe('probe form <-> config', () => {
  it('starts from the linear classification protocol: lr 30, momentum 0.9, no weight decay, steps at 60% and 80%, kNN k 200 T 0.1', () => {
    const { config, errors } = formToProbeConfig(defaultProbeForm(3));
    expect(errors).toEqual({});
    expect(config).toEqual({ ...DEFAULT_PROBE, runId: 3 });
    expect(config!.linear).toEqual({
      epochs: 100,
      lr: 30,
      momentum: 0.9,
      weightDecay: 0,
      batchSize: 256,
      lrSteps: [0.6, 0.8],
      standardize: true,
    });
    expect(config!.knn).toEqual({ k: 200, T: 0.1 });
    expect(config!.baselines).toEqual({ randomInit: true, rawPixels: true });
    expect(config!.inputSize).toBeNull();
  });

  it('round-trips a config with every field changed (folders sorted)', () => {
    const back = formToProbeConfig(configToProbeForm(custom));
    expect(back.errors).toEqual({});
    expect(back.config).toEqual({ ...custom, folderIds: [2, 9] });
  });

  it('names each field that does not parse, and gives no config', () => {
    const form = { ...defaultProbeForm(1), testFraction: '1.5', epochs: '2.5', k: '', lr: 'abc', lrSteps: '0.8, 0.6' };
    const { config, errors } = formToProbeConfig(form);
    expect(config).toBeNull();
    expect(errors.testFraction).toBe('Test fraction: expected a number from 0.05 to 0.95, got "1.5"');
    expect(errors.epochs).toBe('Epochs: expected an integer from 1 to 10000, got "2.5"');
    expect(errors.k).toBe('k (neighbours): expected an integer from 1 to 10000, got nothing');
    expect(errors.lr).toMatch(/^Learning rate: expected a number .* got "abc"$/);
    expect(errors.lrSteps).toBe('LR steps: expected ascending fractions, got 0.6 after 0.8');
    expect(Object.keys(errors).sort()).toEqual(['epochs', 'k', 'lr', 'lrSteps', 'testFraction']);
  });

  it('refuses a form without an encoder', () => {
    const { config, errors } = formToProbeConfig(defaultProbeForm(null));
    expect(config).toBeNull();
    expect(errors).toEqual({ runId: 'Encoder: expected a run to evaluate, got none' });
  });

  it('reads an empty input size as the run’s own and refuses one out of range', () => {
    expect(formToProbeConfig({ ...defaultProbeForm(1), inputSize: '  ' }).config!.inputSize).toBeNull();
    expect(formToProbeConfig({ ...defaultProbeForm(1), inputSize: '64' }).config!.inputSize).toBe(64);
    expect(formToProbeConfig({ ...defaultProbeForm(1), inputSize: '8' }).errors.inputSize).toBe(
      'Input size: expected an integer from 16 to 1024, got "8"',
    );
  });

  it('needs two images per class at least, which the split requires', () => {
    expect(parseProbeNumber('minPerClass', '1')).toEqual({ error: 'Min images per class: expected an integer from 2 to 100000, got "1"' });
    expect(parseProbeNumber('minPerClass', ' 3 ')).toEqual({ value: 3 });
  });

  it('parses lr steps as fractions of the epochs', () => {
    expect(parseProbeLrSteps('0.6, 0.8')).toEqual({ value: [0.6, 0.8] });
    expect(parseProbeLrSteps('0.3 0.6;0.9')).toEqual({ value: [0.3, 0.6, 0.9] });
    expect(parseProbeLrSteps('')).toEqual({ value: [] });
    expect(parseProbeLrSteps('60, 80')).toEqual({
      error: 'LR steps: expected fractions of the epochs between 0 and 1 (e.g. 0.6, 0.8), got "60"',
    });
    expect(parseProbeLrSteps('0')).toHaveProperty('error');
  });

  it('lists the settings that differ from the protocol', () => {
    expect(changedFromProtocol({ ...DEFAULT_PROBE })).toEqual([]);
    expect(changedFromProtocol(custom)).toEqual([
      'epochs 20',
      'lr 0.5',
      'momentum 0.8',
      'weight decay 0.0001',
      'batch 64',
      'lr steps 0.5',
      'not standardised',
      'k 20',
      'T 0.07',
      '48 px',
    ]);
    expect(changedFromProtocol({ ...DEFAULT_PROBE, linear: { ...DEFAULT_PROBE.linear, lrSteps: [] } })).toEqual(['constant lr']);
  });
});

describe('class preview request', () => {
  it('carries the labels and split options, and changes key only when they change', () => {
    const form = defaultProbeForm(1);
    const a = previewRequest(form)!;
    expect(a.labels).toEqual({ kind: 'folder', level: 0 });
    expect(a.options).toEqual({ folderIds: [], minPerClass: 5, testFraction: 0.2, seed: 0 });
    // Settings of the probe itself do not change the classes.
    expect(previewRequest({ ...form, epochs: '3', k: '5' })!.key).toBe(a.key);
    expect(previewRequest({ ...form, seed: '1' })!.key).not.toBe(a.key);
    expect(previewRequest({ ...form, folderIds: [3, 1] })!.options.folderIds).toEqual([1, 3]);
    expect(previewRequest({ ...form, labels: { kind: 'tag' } })!.key).not.toBe(a.key);
  });

  it('waits while a split field does not parse', () => {
    expect(previewRequest({ ...defaultProbeForm(1), testFraction: '' })).toBeNull();
  });
});

describe('label source keys', () => {
  it('round-trip folder levels (negative too) and tags, and refuse anything else', () => {
    for (const s of [{ kind: 'folder', level: 0 }, { kind: 'folder', level: -1 }, { kind: 'folder', level: 3 }, { kind: 'tag' }] as const) {
      expect(parseLabelSourceKey(labelSourceKey(s))).toEqual(s);
    }
    expect(parseLabelSourceKey('folder:x')).toBeNull();
    expect(parseLabelSourceKey('tags')).toBeNull();
  });
});

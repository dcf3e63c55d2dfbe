import { describe, expect, it } from 'vitest';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { CONFIG_FIELDS } from '../../src-renderer/src/lib/train-form';
import {
  backendLabel,
  configRows,
  configSummary,
  engineLine,
  epochText,
  formatLoss,
  formatLr,
  formatPercent,
  phaseLabel,
  queueFillText,
  runStatusLabel,
  statusTone,
  stepText,
} from '../../src-renderer/src/lib/train-text';

// The paper's v1 at the CPU quick size (what cpu-quick was before it was tuned for short runs).
const quick = TRAIN_PRESETS.find((p) => p.id === 'cpu-moco-v1')!.config;

describe('metric formats', () => {
  it('writes learning rates as people do', () => {
    expect(formatLr(0.03)).toBe('0.03');
    expect(formatLr(0.0075)).toBe('0.0075');
    expect(formatLr(0.001875)).toBe('0.001875');
    expect(formatLr(0.00018750001)).toBe('1.88e-4');
    expect(formatLr(3e-6)).toBe('3e-6');
    expect(formatLr(30)).toBe('30');
    expect(formatLr(0)).toBe('0');
    expect(formatLr(null)).toBe('—');
    expect(formatLr(Number.NaN)).toBe('—');
  });
  it('gives loss three decimals and accuracy as a percentage', () => {
    expect(formatLoss(4.15888)).toBe('4.159');
    expect(formatLoss(null)).toBe('—');
    expect(formatPercent(0.8958)).toBe('89.6%');
    expect(formatPercent(1, 0)).toBe('100%');
    expect(formatPercent(undefined)).toBe('—');
  });
  it('counts epochs from one and steps out of the total', () => {
    expect(epochText(0, 4)).toBe('1/4');
    expect(epochText(4, 4)).toBe('4/4');
    expect(stepText(7, 12)).toBe('7/12');
    expect(stepText(7, 0)).toBe('7');
  });
  it('shows the queue filling, then full', () => {
    const queue = { K: 64, dictionary: 'queue' } as const;
    expect(queueFillText({ queueFill: 0.25 }, queue, 300)).toBe('16 / 64 (25%)');
    expect(queueFillText({ queueFill: 1 }, queue, 300)).toBe('full (64)');
    expect(queueFillText({ queueFill: 0.5 }, { K: 64, dictionary: 'memory-bank' }, 300)).toBe('150 / 300 images seen (50%)');
    expect(queueFillText({ queueFill: 1 }, { K: 64, dictionary: 'memory-bank' }, 300)).toBe('all 300 images seen');
    expect(queueFillText({ queueFill: 1 }, { K: 64, dictionary: 'end-to-end' }, 300)).toBe('the batch (no queue)');
  });
});

describe('labels', () => {
  it('names phases, statuses and their tones', () => {
    expect(phaseLabel('caching')).toBe('Caching images');
    expect(phaseLabel('cancelled')).toBe('Stopped');
    expect(runStatusLabel('interrupted')).toBe('Interrupted');
    expect(statusTone('done')).toBe('ok');
    expect(statusTone('failed')).toBe('error');
    expect(statusTone('paused')).toBe('warning');
    expect(statusTone('training')).toBe('active');
  });
  it('names backends and the device in use', () => {
    expect(backendLabel('wasm')).toBe('WebAssembly');
    expect(backendLabel('tensorflow-gpu')).toBe('TensorFlow, CUDA GPU');
    expect(backendLabel('webgpu')).toBe('WebGPU');
    expect(backendLabel('metal')).toBe('metal');
    expect(engineLine({ backend: 'wasm', device: 'wasm SIMD, 1 thread', adapter: null, gpu: false, skipped: [] })).toBe(
      'WebAssembly · wasm SIMD, 1 thread',
    );
  });
});

describe('configs in words', () => {
  it('sums a config up in one line', () => {
    expect(configSummary(quick)).toBe(
      'ResNet-18 small ×0.25 · 32 px · batch 64 · 30 epochs · K 4096 · m 0.999 · T 0.07 · MoCo v1 · lr 0.0075 step @20,25',
    );
    const v2 = TRAIN_PRESETS.find((p) => p.id === 'gpu-resnet50-v2')!.config;
    expect(configSummary(v2)).toBe(
      'ResNet-50 · 224 px · batch 256 · 200 epochs · K 65536 · m 0.999 · T 0.2 · MoCo v2 + MLP · lr 0.03 cosine',
    );
    expect(configSummary({ ...quick, dictionary: 'memory-bank', symmetric: true, lrSteps: [], epochs: 1 })).toContain(
      '1 epoch · memory-bank K 4096',
    );
    expect(configSummary({ ...quick, symmetric: true, lrSteps: [] })).toContain('MoCo v1 sym · lr 0.0075 constant');
  });
  it("leaves a preset's numbers to its config: the cards show them from it, so no description restates one", () => {
    for (const p of TRAIN_PRESETS) {
      expect(p.description, p.id).not.toMatch(/\b(K|batch|lr|m|T|width) \d|\d+ (px|epochs)|\d+ ?%/);
      expect(configSummary(p.config)).toMatch(/ · K \d+ · /);
    }
  });
  it('lists every field of a config, folders by name', () => {
    const rows = configRows({ ...quick, folderIds: [2, 5] }, (id) => `f${id}`);
    expect(rows).toHaveLength(CONFIG_FIELDS.length);
    const get = (label: string) => rows.find(([l]) => l === label)?.[1];
    expect(get('Input size')).toBe('32 px');
    expect(get('Width multiplier')).toBe('0.25');
    expect(get('BN groups')).toBe('automatic');
    expect(get('LR milestones')).toBe('20, 25');
    expect(get('kNN monitor every')).toBe('5 epochs');
    expect(get('Checkpoint every')).toBe('2 min');
    expect(get('Folders')).toBe('f2, f5');
    expect(configRows(quick).find(([l]) => l === 'Folders')?.[1]).toBe('whole library');
  });
});

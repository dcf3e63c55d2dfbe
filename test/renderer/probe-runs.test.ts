import { describe, expect, it } from 'vitest';
import { finishedRun } from './fixtures';
import type { ProbeProgress, ProbeRun, RunSummary } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { DEFAULT_PROBE } from '../../src-renderer/src/lib/probe-form';
import { encoderSummary, hasWeights, isProbeable, pickRun, probeableRuns, runChoiceLabel } from '../../src-renderer/src/lib/probe-runs';
import {
  defaultProbeId,
  historyRow,
  isProbeActive,
  methodSummary,
  probeFraction,
  probeProgressLine,
  splitSummary,
} from '../../src-renderer/src/lib/probe-text';
import { encoderChoices } from '../../src-renderer/src/lib/search-sets';

const quick = TRAIN_PRESETS.find((p) => p.id === 'cpu-quick')!.config;

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return finishedRun(id, {
    config: { ...quick, arch: 'resnet18', stem: 'small', widthMultiplier: 0.125, inputSize: 16, dim: 128, mlpHead: false },
    totalSteps: 3,
    images: 36,
    final: { loss: 3.2, accuracy: 0.4, knnAccuracy: null },
    ...over,
  });
}

describe('encoders to evaluate', () => {
  it('offers finished, paused and imported runs, newest first', () => {
    const runs = [
      run(1),
      run(2, { status: 'running' }),
      run(3, { status: 'paused' }),
      run(4, { status: 'imported', step: 0, totalSteps: 0 }),
      run(5, { status: 'failed' }),
      run(6, { status: 'paused', step: 0 }),
    ];
    expect(probeableRuns(runs).map((r) => r.id)).toEqual([4, 3, 1]);
    expect(isProbeable(run(1, { status: 'cancelled' }))).toBe(false);
    // An imported encoder has weights though it never trained a step here.
    expect(hasWeights({ status: 'imported', step: 0 })).toBe(true);
    expect(hasWeights({ status: 'failed', step: 0 })).toBe(false);
    expect(hasWeights({ status: 'cancelled', step: 12 })).toBe(true);
  });

  it('keeps the chosen run while it can be probed, else takes the newest', () => {
    const runs = [run(1), run(2), run(3, { status: 'running' })];
    expect(pickRun(runs, 1)).toBe(1);
    expect(pickRun(runs, 3)).toBe(2);
    expect(pickRun(runs, null)).toBe(2);
    expect(pickRun([], null)).toBeNull();
  });

  it('describes an encoder by architecture and size', () => {
    expect(encoderSummary(run(1).config)).toBe('ResNet-18 small stem ×0.125 · 16 px · 128-d');
    expect(encoderSummary({ arch: 'resnet50', stem: 'imagenet', widthMultiplier: 1, inputSize: 224, dim: 128, mlpHead: true })).toBe(
      'ResNet-50 · 224 px · 128-d MLP',
    );
    expect(runChoiceLabel(run(1))).toBe('Run 1 · run-1 · ResNet-18 small stem ×0.125 · 16 px · 128-d · step 3');
    expect(runChoiceLabel(run(4, { status: 'imported', step: 0 }))).toBe(
      'Run 4 · run-4 · ResNet-18 small stem ×0.125 · 16 px · 128-d · imported',
    );
  });

  it('lets the Search view embed with an imported encoder', () => {
    const choices = encoderChoices([run(4, { status: 'imported', step: 0, totalSteps: 0 })], []);
    expect(choices).toHaveLength(1);
    expect(choices[0]).toMatchObject({ key: 'run:4', canCompute: true, newerCheckpoint: false });
    const set = {
      id: 9,
      runId: 4,
      name: 'run-4',
      checkpointStep: 0,
      status: 'done' as const,
      engine: 'tfjs',
      featureDim: 64,
      outDim: 128,
      inputSize: 16,
      count: 36,
      stale: 0,
      createdAt: '2024-02-01T00:00:00Z',
      updatedAt: '2024-02-01T00:00:00Z',
      error: null,
    };
    expect(encoderChoices([run(4, { status: 'imported', step: 0 })], [set])[0]).toMatchObject({
      key: 'set:9',
      canCompute: true,
      newerCheckpoint: false,
    });
  });
});

function probeRun(id: number, over: Partial<ProbeRun> = {}): ProbeRun {
  return {
    id,
    runId: 1,
    runName: 'run-1',
    status: 'done',
    config: { ...DEFAULT_PROBE, runId: 1 },
    createdAt: '2024-03-01T10:00:00Z',
    updatedAt: '2024-03-01T10:01:00Z',
    classes: [
      { name: 'a', train: 10, test: 2 },
      { name: 'b', train: 10, test: 3 },
    ],
    leftOut: [],
    results: [{ model: 'pretrained', method: 'linear', metrics: { top1: 0.8, top5: 1, perClass: [], confusion: [] } }],
    error: null,
    ...over,
  };
}

describe('probe wording', () => {
  it('says what a probe was run on and with what', () => {
    const c = { ...DEFAULT_PROBE, runId: 1, folderIds: [2, 5] };
    expect(splitSummary(c)).toBe('folder level 0 · 20% test · min 5 · seed 0 · 2 folders');
    expect(methodSummary({ ...DEFAULT_PROBE, runId: 1 })).toBe(
      'linear 100 epochs, lr 30, standardised · kNN k 200, T 0.1 · baselines: random-init, raw pixels · protocol defaults',
    );
    expect(
      methodSummary({
        ...DEFAULT_PROBE,
        runId: 1,
        linear: { ...DEFAULT_PROBE.linear, epochs: 1 },
        baselines: { randomInit: false, rawPixels: false },
      }),
    ).toBe('linear 1 epoch, lr 30, standardised · kNN k 200, T 0.1 · no baselines');
  });

  it('makes a history row with the headline result', () => {
    const row = historyRow(probeRun(3));
    expect(row).toMatchObject({
      id: 3,
      title: 'Probe 3 · run 1 run-1',
      status: 'Done',
      tone: 'ok',
      classes: '2 classes · 5 test images',
      headline: 'linear top-1 80.0%',
    });
    const failed = historyRow(probeRun(4, { status: 'failed', results: [], error: 'boom', classes: [] }));
    expect(failed).toMatchObject({ status: 'Failed', tone: 'error', headline: null, error: 'boom', classes: '' });
  });

  it('shows the running probe first, else the newest with results', () => {
    expect(defaultProbeId([probeRun(3, { status: 'failed', results: [] }), probeRun(2), probeRun(1)])).toBe(2);
    expect(defaultProbeId([probeRun(3), probeRun(4, { status: 'running', results: [] })])).toBe(4);
    expect(defaultProbeId([])).toBeNull();
  });

  it('reads the live progress', () => {
    const p: ProbeProgress = { probeId: 1, phase: 'features', model: 'raw-pixels', done: 12, total: 36, loss: null, message: null };
    expect(probeProgressLine(p)).toBe('Raw pixels · 12 / 36 images');
    expect(probeFraction(p)).toBeCloseTo(1 / 3);
    expect(isProbeActive(p)).toBe(true);
    const lin = { ...p, phase: 'linear' as const, model: 'pretrained' as const, done: 5, total: 20, loss: 0.53217 };
    expect(probeProgressLine(lin)).toBe('Pretrained (MoCo) · epoch 5 / 20 · loss 0.532');
    expect(isProbeActive({ phase: 'done' })).toBe(false);
    expect(probeFraction({ ...p, phase: 'done', done: 0, total: 0 })).toBe(1);
    expect(probeProgressLine({ ...p, phase: 'preparing', model: null, total: 0 })).toBe('');
    expect(probeProgressLine({ ...p, phase: 'done' })).toBe('');
    expect(probeProgressLine({ ...p, phase: 'knn', model: 'random-init', done: 0, total: 1 })).toBe('Random-init encoder');
  });
});

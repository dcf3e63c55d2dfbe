import { describe, expect, it } from 'vitest';
import { runSummary } from './fixtures';
import type { RunSummary, TrainProgress } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import {
  defaultRunId,
  isActivePhase,
  isResumable,
  runActions,
  runNumbers,
  runPanel,
  tabProgress,
} from '../../src-renderer/src/lib/train-run';

const config = { ...TRAIN_PRESETS[0].config, K: 64, batchSize: 16, epochs: 4 };

function run(over: Partial<RunSummary> = {}): RunSummary {
  return runSummary({ config, backend: 'wasm (wasm SIMD, 1 thread)', ...over });
}

function progress(over: Partial<TrainProgress> = {}): TrainProgress {
  return {
    runId: 1,
    phase: 'training',
    epoch: 1,
    epochs: 4,
    step: 5,
    totalSteps: 12,
    loss: 4.0123,
    lr: 0.001875,
    accuracy: 0.0625,
    imagesPerSec: 23.4,
    etaSeconds: 95,
    queueFill: 0.5,
    knnAccuracy: 0.9,
    message: null,
    ...over,
  };
}

describe('runActions', () => {
  it('pauses and stops a training run, resumes none while it runs', () => {
    expect(runActions(run(), progress(), true, null)).toEqual({ pause: true, stop: true, resume: false });
    // Before the first event (just started) the stored status decides.
    expect(runActions(run(), null, true, null)).toEqual({ pause: true, stop: true, resume: false });
  });
  it('resumes a paused or interrupted run once nothing else runs', () => {
    expect(runActions(run({ status: 'paused' }), progress({ phase: 'paused' }), false, null)).toEqual({
      pause: false,
      stop: false,
      resume: true,
    });
    expect(runActions(run({ status: 'interrupted' }), null, false, null).resume).toBe(true);
    expect(runActions(run({ status: 'paused' }), null, true, null).resume).toBe(false);
    expect(runActions(run({ status: 'done' }), null, false, null).resume).toBe(false);
  });
  it('offers nothing while a call is on its way, or a run has ended but its row is not yet updated', () => {
    expect(runActions(run(), progress(), true, 'pause')).toEqual({ pause: false, stop: false, resume: false });
    expect(runActions(run(), progress({ phase: 'done' }), true, null)).toEqual({ pause: false, stop: false, resume: false });
    expect(runActions(null, null, false, null)).toEqual({ pause: false, stop: false, resume: false });
  });
  it('ignores progress of another run', () => {
    expect(runActions(run({ id: 2, status: 'paused' }), progress({ runId: 1 }), true, null).resume).toBe(false);
    expect(runActions(run({ id: 2 }), progress({ runId: 1, phase: 'done' }), true, null).pause).toBe(true);
  });
});

describe('runPanel', () => {
  const fact = (p: ReturnType<typeof runPanel>, id: string) => p.facts.find((f) => f.id === id)?.value;

  it('shows the live numbers of the run', () => {
    const p = runPanel(run(), progress({ message: 'kNN monitor' }));
    expect(p.phase).toBe('Training');
    expect(p.tone).toBe('active');
    expect(fact(p, 'epoch')).toBe('2/4');
    expect(fact(p, 'step')).toBe('5/12');
    expect(fact(p, 'loss')).toBe('4.012');
    expect(fact(p, 'lr')).toBe('0.001875');
    expect(fact(p, 'accuracy')).toBe('6.3%');
    expect(fact(p, 'knn')).toBe('90.0%');
    expect(fact(p, 'rate')).toBe('23.4 img/s');
    expect(fact(p, 'eta')).toBe('1 min 35 s');
    expect(fact(p, 'queue')).toBe('32 / 64 (50%)');
    expect(p.message).toBe('kNN monitor');
    expect(p.fraction).toBeCloseTo(5 / 12);
    expect(p.error).toBeNull();
  });
  it('shows the failure, and no ETA once the run is over', () => {
    const p = runPanel(run(), progress({ phase: 'failed', error: 'training: the device ran out of memory' }));
    expect(p.error).toBe('training: the device ran out of memory');
    expect(fact(p, 'eta')).toBe('—');
  });
  it('falls back to the stored summary without live progress for the run', () => {
    const done = run({ status: 'done', step: 12, epoch: 3, final: { loss: 4.19, accuracy: 0, knnAccuracy: 0.898 } });
    const p = runPanel(done, progress({ runId: 7 }));
    expect(p.phase).toBe('Done');
    expect(fact(p, 'step')).toBe('12/12');
    expect(fact(p, 'epoch')).toBe('4/4');
    expect(fact(p, 'loss')).toBe('4.190');
    expect(fact(p, 'knn')).toBe('89.8%');
    expect(fact(p, 'backend')).toBe('wasm (wasm SIMD, 1 thread)');
    expect(p.fraction).toBe(1);
  });
});

describe('run helpers', () => {
  it('knows active phases and resumable statuses', () => {
    expect(['preparing', 'caching', 'training'].every((p) => isActivePhase(p as TrainProgress['phase']))).toBe(true);
    expect(isActivePhase('paused')).toBe(false);
    expect(isActivePhase(null)).toBe(false);
    expect(isResumable({ status: 'cancelled' })).toBe(true);
    expect(isResumable({ status: 'running' })).toBe(false);
  });
  it('selects the running run, else the newest', () => {
    expect(defaultRunId([run({ id: 3, status: 'done' }), run({ id: 2 }), run({ id: 1, status: 'done' })])).toBe(2);
    expect(defaultRunId([run({ id: 3, status: 'done' }), run({ id: 2, status: 'paused' })])).toBe(3);
    expect(defaultRunId([])).toBeNull();
  });
  it('puts the progress of a running run on its tab', () => {
    expect(tabProgress(run(), progress())).toBe('41%');
    expect(tabProgress(run(), progress({ phase: 'caching' }))).toBe('caching images');
    expect(tabProgress(run({ step: 6 }), null)).toBe('50%');
    expect(tabProgress(run({ totalSteps: 0, step: 0 }), null)).toBe('starting');
  });
});

describe('runNumbers', () => {
  it('takes the live numbers of a training run, else the stored ones', () => {
    expect(runNumbers(run(), progress())).toEqual({ step: 5, totalSteps: 12, loss: 4.0123, accuracy: 0.0625, knnAccuracy: 0.9 });
    const done = run({ status: 'done', step: 12, final: { loss: 4.19, accuracy: 0, knnAccuracy: 0.898 } });
    expect(runNumbers(done, progress())).toEqual({ step: 12, totalSteps: 12, loss: 4.19, accuracy: 0, knnAccuracy: 0.898 });
    expect(runNumbers(run(), progress({ runId: 2 })).step).toBe(3);
    expect(runNumbers(run(), progress({ phase: 'caching', loss: null })).loss).toBeNull();
  });
});

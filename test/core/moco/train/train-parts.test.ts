// The trainer's bookkeeping without a model: the checkpoint policy, the time budget and the
// progress reporter, on a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointPolicy } from '../../../../src-main/core/moco/train/checkpoint-policy';
import { BUDGET_WARMUP_STEPS } from '../../../../src-main/core/moco/train/schedule';
import { TrainBudget } from '../../../../src-main/core/moco/train/train-budget';
import { PROGRESS_MS, ProgressReporter } from '../../../../src-main/core/moco/train/train-progress';
import type { WorkerMessage } from '../../../../src-main/core/moco/train/train-types';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('CheckpointPolicy', () => {
  it('writes once the period has passed, at the epoch boundary when that was the last step, never after the last epoch', () => {
    const policy = new CheckpointPolicy(1);
    expect(policy.afterStep(59_999, false)).toBe('none');
    expect(policy.afterStep(60_000, false)).toBe('write');
    expect(policy.afterStep(60_000, true)).toBe('at-epoch-end');
    vi.setSystemTime(60_000);
    expect(policy.atEpochEnd(1, 3)).toBe(true);
    expect(policy.atEpochEnd(3, 3)).toBe(false);
    policy.written();
    expect(policy.afterStep(60_001, false)).toBe('none');
    expect(policy.atEpochEnd(2, 3)).toBe(false);
  });
});

describe('TrainBudget', () => {
  it('fixes the step count once the warm-up steps are timed, the first left out', () => {
    const budget = new TrainBudget(600, undefined);
    expect(budget.firstTotal(10, 0)).toBe(Math.max(10, BUDGET_WARMUP_STEPS + 1));
    expect(budget.firstTotal(2, 0)).toBe(BUDGET_WARMUP_STEPS + 1);
    let planned: number | null = null;
    for (let step = 1; step <= BUDGET_WARMUP_STEPS + 1; step++) {
      vi.setSystemTime(step * 1000);
      planned = budget.timeStep(step === 1 ? 30 : 1, step, () => 0);
      if (step <= BUDGET_WARMUP_STEPS) expect(planned).toBeNull();
    }
    // 1 s a step measured, 6 s spent of 600: 6 steps done and 594 more at that pace.
    expect(planned).toBe(BUDGET_WARMUP_STEPS + 1 + 594);
    expect(budget.plannedSteps).toBe(planned);
    expect(budget.over(planned! - 1)).toBe(false);
    expect(budget.over(planned!)).toBe(true);
    // Carried by a checkpoint, the fit is not redone and the seconds spent go on counting.
    const saved = budget.saved();
    expect(saved).toEqual({ plannedSteps: planned, spentSeconds: 6 });
    const resumed = new TrainBudget(600, saved);
    expect(resumed.firstTotal(10, 100)).toBe(planned);
    expect(resumed.timeStep(1, 101, () => 0)).toBeNull();
    vi.setSystemTime(6000 + 594_000);
    expect(resumed.over(101)).toBe(true);
  });

  it('fits the count again from the wall-clock pace every tenth of the budget, until three quarters of it', () => {
    vi.setSystemTime(0);
    const budget = new TrainBudget(1000, undefined);
    let step = 0;
    const run = (seconds: number, secondsPerStep: number) => {
      const fits: number[] = [];
      for (let t = 0; t < seconds; t += secondsPerStep) {
        step++;
        vi.setSystemTime(Date.now() + secondsPerStep * 1000);
        const planned = budget.timeStep(secondsPerStep, step, () => 0);
        if (planned !== null) fits.push(planned);
      }
      return fits;
    };
    // A warm-up timed at 1 s a step fits 1000 steps in all...
    expect(run(BUDGET_WARMUP_STEPS + 1, 1)).toEqual([1000]);
    // ...the machine then slows to 2 s a step: after a tenth of the budget the count follows.
    expect(run(100, 2)).toEqual([6 + 50 + (1000 - 106) / 2]);
    expect(budget.over(step)).toBe(false);
    // Past three quarters of the budget the count stays, whatever the pace.
    run(650 - 6, 2);
    const fixed = budget.plannedSteps;
    expect(run(100, 4)).toEqual([]);
    expect(budget.plannedSteps).toBe(fixed);
  });
});

describe('ProgressReporter', () => {
  it('sends progress at most every PROGRESS_MS with the metric points gathered, keeps one point per stride and the last', () => {
    const sent: WorkerMessage[] = [];
    const r = new ProgressReporter(3, 2, (m) => sent.push(m));
    r.planMetrics(25_000); // a point every 3 steps
    const point = (step: number) => ({ step, epoch: 0, loss: 1, lr: 0.1, accuracy: 0, imagesPerSec: 1, knnAccuracy: null });
    for (let step = 1; step <= 7; step++) {
      r.stepPoint(point(step), 7);
      r.update({ step });
      r.tick(step * 100);
    }
    const kinds = sent.map((m) =>
      m.type === 'metrics' ? `metrics ${m.points.map((p) => p.step)}` : `${m.type} ${m.type === 'progress' ? m.progress.step : ''}`,
    );
    // Sent at 300 ms (steps 1-3, as 300 - 0 >= 250) and 600 ms (steps 4-6); step 7 waits.
    expect(PROGRESS_MS).toBe(250);
    expect(kinds).toEqual(['metrics 3', 'progress 3', 'metrics 6', 'progress 6']);
    r.flush();
    expect(sent.at(-1)).toEqual({ type: 'metrics', points: [point(7)] });
    expect(r.end('failed', 'training: broke')).toBe('failed');
    expect(sent.at(-1)).toMatchObject({
      type: 'end',
      status: 'failed',
      error: 'training: broke',
      progress: { phase: 'failed', step: 7, etaSeconds: null, message: null },
    });
  });
});

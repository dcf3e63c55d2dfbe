// The learning rate of an epoch, as the official adjust_learning_rate: step decay (x0.1 at
// each milestone passed) or a half-cosine from lr to 0 over the run.
import type { TrainConfig } from '../../../api/contract';

export function learningRate(config: Pick<TrainConfig, 'lr' | 'schedule' | 'lrSteps' | 'epochs'>, epoch: number): number {
  if (config.schedule === 'cosine') return config.lr * 0.5 * (1 + Math.cos((Math.PI * epoch) / config.epochs));
  const passed = config.lrSteps.filter((milestone) => epoch >= milestone).length;
  return config.lr * 0.1 ** passed;
}

/**
 * The learning rate at a fraction `progress` (0..1) of a run whose length is a number of steps
 * fixed by a time budget: the same schedules over the run's fraction, the step milestones
 * taken as fractions of `epochs` (120 and 160 of 200 -> 0.6 and 0.8 of the run).
 */
export function learningRateAt(config: Pick<TrainConfig, 'lr' | 'schedule' | 'lrSteps' | 'epochs'>, progress: number): number {
  const p = Math.min(Math.max(progress, 0), 1);
  if (config.schedule === 'cosine') return config.lr * 0.5 * (1 + Math.cos(Math.PI * p));
  const passed = config.lrSteps.filter((milestone) => p >= milestone / config.epochs).length;
  return config.lr * 0.1 ** passed;
}

export interface BudgetFit {
  /** seconds the whole run may take */
  budgetSeconds: number;
  /** seconds spent so far (warm-up steps included) */
  elapsedSeconds: number;
  stepsDone: number;
  /** measured seconds per step after the warm-up */
  secondsPerStep: number;
  /** seconds to keep for the end: the final kNN monitor and checkpoint */
  reserveSeconds: number;
}

/**
 * The total step count of a time-budgeted run: the steps done plus as many as fit in the time
 * left at the measured pace; at least one more than done, so a run always ends on a step.
 */
export function fitStepsToBudget(f: BudgetFit): number {
  for (const [k, v] of Object.entries(f)) {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`fitStepsToBudget: expected ${k} >= 0, got ${v}`);
  }
  if (!(f.secondsPerStep > 0)) throw new RangeError(`fitStepsToBudget: expected secondsPerStep > 0, got ${f.secondsPerStep}`);
  const left = f.budgetSeconds - f.elapsedSeconds - f.reserveSeconds;
  return f.stepsDone + Math.max(1, Math.floor(left / f.secondsPerStep));
}

/** Steps timed before a budget is fitted: the first step (compilation, caches) is left out of the pace. */
export const BUDGET_WARMUP_STEPS = 5;
/** ...unless they would take more than this share of the budget. */
export const BUDGET_WARMUP_SHARE = 0.1;
/** A budgeted run fits its step count again after each such share of the budget... */
export const BUDGET_REFIT_SHARE = 0.1;
/** ...until this share of it is spent. */
export const BUDGET_REFIT_UNTIL = 0.75;

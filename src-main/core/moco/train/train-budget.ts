// A time budget (config.minutes) in place of an epoch count: the run's step count is provisional
// until the warm-up steps have measured the pace, then fitted so that the steps, the final kNN
// monitor and the last checkpoint fit. The pace of a few warm-up steps is a rough guess (a
// machine busy with other work at the start, data loading between steps), so the count is
// fitted again from the wall-clock pace since the last fit every BUDGET_REFIT_SHARE of the
// budget, until BUDGET_REFIT_UNTIL of it is spent: late changes would jolt the lr schedule. A
// pause carries the fitted count and the seconds spent in the checkpoint.
import { BUDGET_REFIT_SHARE, BUDGET_REFIT_UNTIL, BUDGET_WARMUP_SHARE, BUDGET_WARMUP_STEPS, fitStepsToBudget } from './schedule';

export interface SavedBudget {
  plannedSteps: number | null;
  spentSeconds: number;
}

export class TrainBudget {
  /** the fitted step count, null until the warm-up is timed */
  plannedSteps: number | null;
  private readonly spentBefore: number;
  private readonly startedAt = Date.now();
  /** wall seconds of this session's steps until the fit */
  private readonly stepTimes: number[] = [];
  /** seconds spent and steps done at the last fit (or this session's first step after one) */
  private lastFit: { seconds: number; step: number } | null = null;

  constructor(
    private readonly seconds: number,
    saved: SavedBudget | undefined,
  ) {
    this.plannedSteps = saved?.plannedSteps ?? null;
    this.spentBefore = saved?.spentSeconds ?? 0;
  }

  spentSeconds(): number {
    return this.spentBefore + (Date.now() - this.startedAt) / 1000;
  }

  /** The step count to announce before the fit: the fitted one, or one past the warm-up. */
  firstTotal(epochSteps: number, step: number): number {
    return this.plannedSteps ? this.plannedSteps : Math.max(epochSteps, step + BUDGET_WARMUP_STEPS + 1);
  }

  over(step: number): boolean {
    return (this.plannedSteps !== null && step >= this.plannedSteps) || this.spentSeconds() >= this.seconds;
  }

  /**
   * Records a step's wall time. Once the warm-up steps are timed (the first one left out), fits
   * the step count and returns it; later, returns a count fitted again (null when unchanged).
   * `reserveFor` gives the seconds the end needs at that pace.
   */
  timeStep(seconds: number, stepsDone: number, reserveFor: (secondsPerStep: number) => number): number | null {
    if (this.plannedSteps !== null) return this.refit(stepsDone, reserveFor);
    this.stepTimes.push(seconds);
    const timed = this.stepTimes.slice(1);
    const warmupDone =
      timed.length >= BUDGET_WARMUP_STEPS || (timed.length >= 1 && this.spentSeconds() >= BUDGET_WARMUP_SHARE * this.seconds);
    if (!warmupDone) return null;
    return this.fit(stepsDone, timed.reduce((a, b) => a + b, 0) / timed.length, reserveFor);
  }

  /** Fits the count again from the pace since the last fit; null until due, or when unchanged. */
  private refit(stepsDone: number, reserveFor: (secondsPerStep: number) => number): number | null {
    const spent = this.spentSeconds();
    // A resumed run measures its pace from its own first step.
    if (!this.lastFit) this.lastFit = { seconds: spent, step: stepsDone };
    const since = spent - this.lastFit.seconds;
    const steps = stepsDone - this.lastFit.step;
    if (since < BUDGET_REFIT_SHARE * this.seconds || steps < 1 || spent > BUDGET_REFIT_UNTIL * this.seconds) return null;
    const before = this.plannedSteps;
    const planned = this.fit(stepsDone, since / steps, reserveFor);
    return planned === before ? null : planned;
  }

  private fit(stepsDone: number, secondsPerStep: number, reserveFor: (secondsPerStep: number) => number): number {
    const spent = this.spentSeconds();
    this.plannedSteps = fitStepsToBudget({
      budgetSeconds: this.seconds,
      elapsedSeconds: spent,
      stepsDone,
      secondsPerStep,
      reserveSeconds: reserveFor(secondsPerStep),
    });
    this.lastFit = { seconds: spent, step: stepsDone };
    return this.plannedSteps;
  }

  saved(): SavedBudget {
    return { plannedSteps: this.plannedSteps, spentSeconds: this.spentSeconds() };
  }
}

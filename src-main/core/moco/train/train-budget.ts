// A time budget (config.minutes) in place of an epoch count: the run's step count is provisional
// until the warm-up steps have measured the pace, then fixed so that the steps, the final kNN
// monitor and the last checkpoint fit. A pause carries the fitted count and the seconds spent
// in the checkpoint.
import { BUDGET_WARMUP_SHARE, BUDGET_WARMUP_STEPS, fitStepsToBudget } from './schedule';

export interface SavedBudget {
  plannedSteps: number | null;
  spentSeconds: number;
}

export class TrainBudget {
  /** the fitted step count, null until the warm-up is timed */
  plannedSteps: number | null;
  private readonly spentBefore: number;
  private readonly startedAt = Date.now();
  /** wall seconds of the steps since the first of this session */
  private readonly stepTimes: number[] = [];

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
   * Records a step's wall time. Once the warm-up steps are timed (the first one left out), fixes
   * the step count and returns it; `reserveFor` gives the seconds the end needs at that pace.
   */
  timeStep(seconds: number, stepsDone: number, reserveFor: (secondsPerStep: number) => number): number | null {
    this.stepTimes.push(seconds);
    if (this.plannedSteps !== null) return null;
    const timed = this.stepTimes.slice(1);
    const warmupDone =
      timed.length >= BUDGET_WARMUP_STEPS || (timed.length >= 1 && this.spentSeconds() >= BUDGET_WARMUP_SHARE * this.seconds);
    if (!warmupDone) return null;
    const secondsPerStep = timed.reduce((a, b) => a + b, 0) / timed.length;
    const reserveSeconds = reserveFor(secondsPerStep);
    this.plannedSteps = fitStepsToBudget({
      budgetSeconds: this.seconds,
      elapsedSeconds: this.spentSeconds(),
      stepsDone,
      secondsPerStep,
      reserveSeconds,
    });
    return this.plannedSteps;
  }

  saved(): SavedBudget {
    return { plannedSteps: this.plannedSteps, spentSeconds: this.spentSeconds() };
  }
}

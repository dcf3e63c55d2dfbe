import { describe, expect, it } from 'vitest';
import { fitStepsToBudget, learningRate, learningRateAt } from '../../../../src-main/core/moco/train/schedule';

const step = { lr: 0.1, schedule: 'step' as const, lrSteps: [120, 160], epochs: 200 };
const cosine = { ...step, schedule: 'cosine' as const };

describe('learningRateAt (a budgeted run)', () => {
  it('follows the cosine over the fraction of the run, from lr to 0', () => {
    expect(learningRateAt(cosine, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(cosine, 0.5)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(cosine, 1)).toBeCloseTo(0, 12);
    // The same curve as the epoch schedule at the same fraction.
    expect(learningRateAt(cosine, 50 / 200)).toBeCloseTo(learningRate(cosine, 50), 12);
  });

  it('puts the step milestones at their fraction of the epochs', () => {
    expect(learningRateAt(step, 0.59)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(step, 0.6)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(step, 0.8)).toBeCloseTo(0.001, 12);
    expect(learningRateAt(step, 2)).toBeCloseTo(0.001, 12); // clamped
  });
});

describe('fitStepsToBudget', () => {
  it('fills the time left at the measured pace, keeping the reserve', () => {
    // 10 min budget, 30 s spent on 6 steps, 2 s a step, 20 s kept for the end: (600-30-20)/2 = 275 more.
    expect(fitStepsToBudget({ budgetSeconds: 600, elapsedSeconds: 30, stepsDone: 6, secondsPerStep: 2, reserveSeconds: 20 })).toBe(281);
  });

  it('always plans at least one more step, and refuses nonsense', () => {
    expect(fitStepsToBudget({ budgetSeconds: 10, elapsedSeconds: 30, stepsDone: 6, secondsPerStep: 2, reserveSeconds: 0 })).toBe(7);
    expect(() => fitStepsToBudget({ budgetSeconds: 10, elapsedSeconds: 0, stepsDone: 0, secondsPerStep: 0, reserveSeconds: 0 })).toThrow(
      /secondsPerStep > 0, got 0/,
    );
    expect(() => fitStepsToBudget({ budgetSeconds: NaN, elapsedSeconds: 0, stepsDone: 0, secondsPerStep: 1, reserveSeconds: 0 })).toThrow(
      /budgetSeconds >= 0, got NaN/,
    );
  });
});

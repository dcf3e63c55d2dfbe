// Stratified train/test split: each class is shuffled on its own and its first
// round(count * testFraction) members (at least 1, at most count - 1, so each class of two or
// more is in both splits) go to test. One Rng drives all classes in class order, so a seed
// fixes the split.
import { InvalidInputError } from '../../api/errors';
import { Rng } from '../moco/rng';

export const DEFAULT_TEST_FRACTION = 0.2;

export interface SplitOptions {
  /** share of each class held out for testing, in (0, 1) (default 0.2) */
  testFraction?: number;
  /** seed of the shuffle (default 0) */
  seed?: number;
}

export interface Split {
  /** positions into the labels given, ascending */
  train: Int32Array;
  test: Int32Array;
  /** per class */
  trainCounts: number[];
  testCounts: number[];
}

export function stratifiedSplit(labels: Int32Array, numClasses: number, opts: SplitOptions = {}): Split {
  const f = opts.testFraction ?? DEFAULT_TEST_FRACTION;
  if (!(f > 0 && f < 1)) throw new InvalidInputError(`stratifiedSplit: expected testFraction in (0, 1), got ${f}`);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`stratifiedSplit: expected an integer seed, got ${seed}`);
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < numClasses))
      throw new InvalidInputError(`stratifiedSplit: expected labels in [0, ${numClasses - 1}], got ${c} at ${i}`);
    members[c].push(i);
  }
  const rng = new Rng(seed);
  const isTest = new Uint8Array(labels.length);
  const trainCounts: number[] = [];
  const testCounts: number[] = [];
  for (const m of members) {
    const nTest = m.length < 2 ? 0 : Math.min(m.length - 1, Math.max(1, Math.round(m.length * f)));
    const perm = rng.permutation(m.length);
    for (let j = 0; j < nTest; j++) isTest[m[perm[j]]] = 1;
    testCounts.push(nTest);
    trainCounts.push(m.length - nTest);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < labels.length; i++) (isTest[i] ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test), trainCounts, testCounts };
}

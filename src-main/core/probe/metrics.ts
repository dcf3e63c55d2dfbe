// Classification metrics shared by the linear probe and the kNN classifier. Both rank the
// classes of each test sample; everything here is computed from that ranking and the truth.
// Conventions: the confusion matrix is C x C, row-major, rows = true class, columns =
// predicted class; a ratio whose denominator is 0 (precision of a class never predicted,
// recall of a class absent from the test split, F1 when both are 0) is defined as 0.
import { InvalidInputError } from '../../api/errors';

/** Classes ranked per sample in the results: top-5, or all of them when there are fewer. */
export const TOP_K = 5;

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** test samples of this class */
  support: number;
}

export interface ClassificationMetrics {
  numClasses: number;
  /** test samples scored */
  n: number;
  /** fraction whose best class is the true one */
  top1: number;
  /** fraction whose true class is among the best `top5K` */
  top5: number;
  /** min(5, numClasses): with fewer than 5 classes top-5 is top-C, which is 1 */
  top5K: number;
  /** one per class, indexed by class */
  perClass: ClassMetrics[];
  /** unweighted means over all numClasses classes */
  macro: { precision: number; recall: number; f1: number };
  /** numClasses x numClasses counts, row-major, rows = true class */
  confusion: Int32Array;
}

/** What a classifier returns for the test split (samples in the order of testY). */
export interface ClassifierResult {
  metrics: ClassificationMetrics;
  /** nTest x k classes per sample, best first (k = metrics.top5K) */
  ranked: Int32Array;
  /** the best class per sample (ranked[i * k]) */
  predicted: Int32Array;
  /** the best class's share: softmax probability (probe) or fraction of the vote weight (kNN) */
  confidence: Float32Array;
}

/**
 * The k best classes of each of n rows of an n x C score matrix, best first; equal scores rank
 * the lower class first, so results are deterministic.
 */
export function rankClasses(scores: ArrayLike<number>, n: number, C: number, k: number): Int32Array {
  if (scores.length !== n * C) throw new InvalidInputError(`rankClasses: expected ${n} x ${C} = ${n * C} scores, got ${scores.length}`);
  if (!Number.isInteger(k) || k < 1 || k > C) throw new InvalidInputError(`rankClasses: expected k in [1, ${C}], got ${k}`);
  const out = new Int32Array(n * k);
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    const r = i * k;
    let size = 0;
    // Insertion into a sorted list of k: C x k work, small for k = 5.
    for (let c = 0; c < C; c++) {
      const s = scores[o + c];
      if (size === k && !(s > best[k - 1])) continue;
      let j = size < k ? size++ : k - 1;
      while (j > 0 && s > best[j - 1]) {
        best[j] = best[j - 1];
        out[r + j] = out[r + j - 1];
        j--;
      }
      best[j] = s;
      out[r + j] = c;
    }
  }
  return out;
}

/** C x C counts, rows = true class. */
export function confusionMatrix(truth: Int32Array, predicted: Int32Array, C: number): Int32Array {
  if (predicted.length !== truth.length)
    throw new InvalidInputError(`confusionMatrix: expected one prediction per sample (${truth.length}), got ${predicted.length}`);
  const m = new Int32Array(C * C);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < C && p >= 0 && p < C))
      throw new InvalidInputError(`confusionMatrix: expected classes in [0, ${C - 1}], got true ${t}, predicted ${p} at sample ${i}`);
    m[t * C + p]++;
  }
  return m;
}

/** Fraction of samples whose true class is among the first k of its `width` ranked classes. */
export function topKAccuracy(truth: Int32Array, ranked: Int32Array, width: number, k: number): number {
  if (ranked.length !== truth.length * width)
    throw new InvalidInputError(`topKAccuracy: expected ${truth.length} x ${width} ranked classes, got ${ranked.length}`);
  if (!Number.isInteger(k) || k < 1 || k > width) throw new InvalidInputError(`topKAccuracy: expected k in [1, ${width}], got ${k}`);
  if (truth.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let j = 0; j < k; j++) {
      if (ranked[i * width + j] === truth[i]) {
        hits++;
        break;
      }
    }
  }
  return hits / truth.length;
}

/** Precision, recall, F1 and support of each class from a confusion matrix (rows = true). */
export function perClassMetrics(confusion: Int32Array, C: number): ClassMetrics[] {
  if (confusion.length !== C * C) throw new InvalidInputError(`perClassMetrics: expected ${C} x ${C} counts, got ${confusion.length}`);
  return Array.from({ length: C }, (_, c) => {
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < C; j++) {
      support += confusion[c * C + j];
      predictedAs += confusion[j * C + c];
    }
    const tp = confusion[c * C + c];
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
}

/** Unweighted means over the classes given. */
export function macroAverage(perClass: readonly ClassMetrics[]): { precision: number; recall: number; f1: number } {
  const mean = (f: (m: ClassMetrics) => number) =>
    ratio(
      perClass.reduce((s, m) => s + f(m), 0),
      perClass.length,
    );
  return { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) };
}

/** Every metric of a ranking (n x width classes, best first) against the truth. */
export function evaluateRanking(truth: Int32Array, ranked: Int32Array, width: number, C: number): ClassificationMetrics {
  const n = truth.length;
  if (ranked.length !== n * width)
    throw new InvalidInputError(`evaluateRanking: expected ${n} x ${width} ranked classes, got ${ranked.length}`);
  const predicted = bestOf(ranked, n, width);
  const confusion = confusionMatrix(truth, predicted, C);
  const perClass = perClassMetrics(confusion, C);
  const top5K = Math.min(TOP_K, C, width);
  return {
    numClasses: C,
    n,
    top1: topKAccuracy(truth, ranked, width, 1),
    top5: topKAccuracy(truth, ranked, width, top5K),
    top5K,
    perClass,
    macro: macroAverage(perClass),
    confusion,
  };
}

/** The first class of each ranked row. */
export function bestOf(ranked: Int32Array, n: number, width: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = ranked[i * width];
  return out;
}

/** Test samples (indices into testY) in one confusion cell: true class t predicted as p. */
export function confusionCell(truth: Int32Array, predicted: Int32Array, t: number, p: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < truth.length; i++) if (truth[i] === t && predicted[i] === p) out.push(i);
  return Int32Array.from(out);
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

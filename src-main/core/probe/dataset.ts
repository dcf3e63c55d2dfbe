// The input both classifiers share: train and test feature matrices (row-major float32) with
// a class per row, plus the column standardisation either may apply (fit on train only, so the
// test split never informs the features it is scored on).
import { InvalidInputError } from '../../api/errors';
import { checkFinite, checkInt, checkMatrix } from '../search/vec-math';

export interface ProbeData {
  /** feature dimension */
  d: number;
  numClasses: number;
  /** nTrain x d */
  trainX: Float32Array;
  /** class per train row, in [0, numClasses) */
  trainY: Int32Array;
  /** nTest x d */
  testX: Float32Array;
  /** class per test row */
  testY: Int32Array;
}

/** Validates `data` and returns its row counts. */
export function checkProbeData(where: string, data: ProbeData): { nTrain: number; nTest: number } {
  const { d, numClasses, trainX, trainY, testX, testY } = data;
  checkInt(where, 'd', d, 1);
  checkInt(where, 'numClasses', numClasses, 2);
  for (const [name, y] of [
    ['trainY', trainY],
    ['testY', testY],
  ] as const) {
    if (!(y instanceof Int32Array))
      throw new InvalidInputError(`${where}: expected ${name} to be an Int32Array, got ${y === null ? 'null' : typeof y}`);
  }
  const nTrain = trainY.length;
  const nTest = testY.length;
  if (nTrain === 0) throw new InvalidInputError(`${where}: expected at least one train row, got 0`);
  if (nTest === 0) throw new InvalidInputError(`${where}: expected at least one test row, got 0`);
  checkMatrix(where, 'trainX', trainX, nTrain, d);
  checkMatrix(where, 'testX', testX, nTest, d);
  checkFinite(where, 'trainX', trainX, d);
  checkFinite(where, 'testX', testX, d);
  for (const [name, y] of [
    ['trainY', trainY],
    ['testY', testY],
  ] as const) {
    for (let i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= numClasses)
        throw new InvalidInputError(`${where}: expected ${name} in [0, ${numClasses - 1}], got ${y[i]} at row ${i}`);
    }
  }
  return { nTrain, nTest };
}

/** The rows `rows` of an n x d matrix, copied into a new rows.length x d matrix. */
export function gatherRows(matrix: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  checkInt('gatherRows', 'd', d, 1);
  const n = Math.floor(matrix.length / d);
  checkMatrix('gatherRows', 'the matrix', matrix, n, d);
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    checkInt('gatherRows', `rows[${i}]`, r, 0, n - 1);
    out.set(matrix.subarray(r * d, (r + 1) * d), i * d);
  }
  return out;
}

/** Per-column mean and standard deviation of a train matrix. */
export interface Standardization {
  mean: Float32Array;
  std: Float32Array;
}

/** Column means and (population) standard deviations of an n x d matrix, in double precision. */
export function fitStandardization(x: Float32Array, n: number, d: number): Standardization {
  checkMatrix('fitStandardization', 'the matrix', x, n, d);
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0, o = 0; i < n; i++, o += d) {
    for (let j = 0; j < d; j++) sum[j] += x[o + j];
  }
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) mean[j] = n > 0 ? sum[j] / n : 0;
  for (let i = 0, o = 0; i < n; i++, o += d) {
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mean[j];
      sq[j] += c * c;
    }
  }
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) std[j] = n > 0 ? Math.sqrt(sq[j] / n) : 0;
  return { mean: Float32Array.from(mean), std };
}

/**
 * (x - mean) / std per column into a new matrix, times `scale`. A constant column (std 0)
 * becomes 0: it carries no information and must not blow up.
 */
export function applyStandardization(x: Float32Array, d: number, s: Standardization, scale = 1): Float32Array {
  if (s.mean.length !== d || s.std.length !== d)
    throw new InvalidInputError(`applyStandardization: expected statistics of ${d} columns, got ${s.mean.length}`);
  const out = new Float32Array(x.length);
  const inv = s.std.map((v) => (v > 0 ? scale / v : 0));
  for (let o = 0; o < x.length; o += d) {
    for (let j = 0; j < d; j++) out[o + j] = (x[o + j] - s.mean[j]) * inv[j];
  }
  return out;
}

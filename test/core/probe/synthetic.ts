// Feature matrices with known structure for the classifier tests.
import { Rng } from '../../../src-main/core/moco/rng';
import type { ProbeData } from '../../../src-main/core/probe/dataset';

/** n rows: class i % C, each its class centre (unit random direction x `spread`) plus N(0, noise²) per dimension. */
export function clusters(
  rng: Rng,
  centres: Float32Array,
  n: number,
  d: number,
  C: number,
  noise: number,
): { x: Float32Array; y: Int32Array } {
  const x = rng.normal(n * d, 0, noise);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    y[i] = c;
    for (let j = 0; j < d; j++) x[i * d + j] += centres[c * d + j];
  }
  return { x, y };
}

/** C unit-length random directions in d dimensions, scaled by `spread`. */
export function centresOf(rng: Rng, C: number, d: number, spread: number): Float32Array {
  const c = rng.normal(C * d);
  for (let k = 0; k < C; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += c[k * d + j] ** 2;
    for (let j = 0; j < d; j++) c[k * d + j] *= spread / Math.sqrt(s);
  }
  return c;
}

/** Separable Gaussian clusters, split into train and test with the same centres. */
export function clusterData(seed: number, nTrain: number, nTest: number, d: number, C: number, spread: number, noise: number): ProbeData {
  const rng = new Rng(seed);
  const centres = centresOf(rng, C, d, spread);
  const train = clusters(rng, centres, nTrain, d, C, noise);
  const test = clusters(rng, centres, nTest, d, C, noise);
  return { d, numClasses: C, trainX: train.x, trainY: train.y, testX: test.x, testY: test.y };
}

/** Pure noise features with labels drawn independently of them. */
export function randomLabelData(seed: number, nTrain: number, nTest: number, d: number, C: number): ProbeData {
  const rng = new Rng(seed);
  const labels = (n: number) => Int32Array.from({ length: n }, () => rng.int(C));
  return { d, numClasses: C, trainX: rng.normal(nTrain * d), trainY: labels(nTrain), testX: rng.normal(nTest * d), testY: labels(nTest) };
}

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';
import type { ProbeData } from '../../../src-main/core/probe/dataset';
import { kCap, knnClassify } from '../../../src-main/core/probe/knn-classifier';
import { clusterData } from './synthetic';

/**
 * knn_predict of the MoCo CIFAR demo, written out: cosine similarity in float64 to every train
 * row, a full sort (ties by lower row), the k best vote exp(sim / T) for their class, classes
 * sorted by summed weight (ties by lower class).
 */
function bruteForceKnn(data: ProbeData, k: number, T: number): { ranked: number[][]; accuracy: number } {
  const { d, numClasses: C, trainX, trainY, testX, testY } = data;
  const unit = (x: Float32Array, i: number) => {
    const row = Array.from(x.subarray(i * d, (i + 1) * d));
    const norm = Math.hypot(...row);
    return row.map((v) => v / norm);
  };
  const bank = Array.from({ length: trainY.length }, (_, i) => unit(trainX, i));
  const ranked = Array.from({ length: testY.length }, (_, q) => {
    const query = unit(testX, q);
    const sims = bank.map((row, r) => ({ r, sim: row.reduce((s, v, j) => s + v * query[j], 0) }));
    sims.sort((a, b) => b.sim - a.sim || a.r - b.r);
    const votes = new Array<number>(C).fill(0);
    for (const { r, sim } of sims.slice(0, k)) votes[trainY[r]] += Math.exp(sim / T);
    return votes
      .map((v, c) => ({ v, c }))
      .sort((a, b) => b.v - a.v || a.c - b.c)
      .slice(0, Math.min(5, C))
      .map((e) => e.c);
  });
  const accuracy = ranked.filter((r, q) => r[0] === testY[q]).length / testY.length;
  return { ranked, accuracy };
}

function randomData(seed: number, nTrain: number, nTest: number, d: number, C: number): ProbeData {
  const rng = new Rng(seed);
  // Balanced train classes so the cap (half the median class size) is known: nTrain / C / 2.
  return {
    d,
    numClasses: C,
    trainX: rng.normal(nTrain * d),
    trainY: Int32Array.from({ length: nTrain }, (_, i) => i % C),
    testX: rng.normal(nTest * d),
    testY: Int32Array.from({ length: nTest }, () => rng.int(C)),
  };
}

describe.each(['js', 'onnx'] as const)('knnClassify (%s search engine)', (engine) => {
  it('equals a brute-force knn_predict on random data: same rankings, predictions and accuracy', async () => {
    const data = randomData(1, 600, 150, 24, 7);
    for (const k of [1, 10, 42]) {
      const want = bruteForceKnn(data, k, 0.1);
      const got = await knnClassify(data, { k, engine });
      expect(got.k).toBe(k);
      expect(got.ranked.length).toBe(150 * 5);
      const ranked = Array.from({ length: 150 }, (_, q) => Array.from(got.ranked.subarray(q * 5, q * 5 + 5)));
      expect(ranked).toEqual(want.ranked);
      expect(Array.from(got.predicted)).toEqual(want.ranked.map((r) => r[0]));
      expect(got.metrics.top1).toBe(want.accuracy);
    }
  });

  it('uses T in the weights: a large T turns the vote into a plain count', async () => {
    const data = randomData(2, 300, 80, 16, 4);
    const want = bruteForceKnn(data, 30, 1000);
    const got = await knnClassify(data, { k: 30, T: 1000, engine });
    expect(Array.from(got.predicted)).toEqual(want.ranked.map((r) => r[0]));
  });

  it('classifies separable clusters almost perfectly with the defaults', async () => {
    const got = await knnClassify(clusterData(3, 1000, 200, 32, 5, 1, 0.1), { engine });
    expect(got.k).toBe(100); // 200 per class: the cap is 100
    expect(got.metrics.top1).toBeGreaterThanOrEqual(0.99);
    got.confidence.forEach((c) => expect(c).toBeGreaterThan(0.5));
  });
});

describe('knnClassify', () => {
  it('caps k at half the median train class size', () => {
    const y = (sizes: number[]) => Int32Array.from(sizes.flatMap((n, c) => Array.from({ length: n }, () => c)));
    expect(kCap(y([4, 40, 40]), 3)).toBe(20);
    expect(kCap(y([4, 10, 40, 40]), 4)).toBe(12); // median of 4 sizes: (10 + 40) / 2 = 25
    expect(kCap(y([1, 1]), 2)).toBe(1);
    expect(kCap(y([5000, 5000]), 2)).toBe(2500);
  });

  it('leaves the caller’s matrices as they were, and standardises only when asked', async () => {
    const data = randomData(4, 200, 40, 8, 2);
    const trainX = data.trainX.slice();
    const plain = await knnClassify(data, { k: 20 });
    const std = await knnClassify(data, { k: 20, standardize: true });
    expect(Array.from(data.trainX)).toEqual(Array.from(trainX));
    expect(Array.from(plain.predicted)).toEqual(bruteForceKnn(data, 20, 0.1).ranked.map((r) => r[0]));
    expect(Array.from(std.predicted)).not.toEqual(Array.from(plain.predicted));
  });

  it('stops when cancelled and refuses bad options', async () => {
    const data = randomData(5, 50, 10, 4, 2);
    await expect(knnClassify(data, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(knnClassify(data, { k: 0 })).rejects.toThrow(/knnClassify: expected k to be an integer >= 1, got 0/);
    await expect(knnClassify(data, { T: 0 })).rejects.toThrow(/expected T to be a finite number > 0, got 0/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';
import type { ProbeData } from '../../../src-main/core/probe/dataset';
import { trainLinearProbe, type ProbeEpoch } from '../../../src-main/core/probe/linear-probe';
import { useCpuBackend } from '../moco/helpers';
import { clusterData, randomLabelData } from './synthetic';

beforeAll(useCpuBackend);

/**
 * The protocol written out in plain loops (float64): N(0, 0.01²) weights drawn from Rng(seed)
 * as a d x C matrix, one permutation per epoch from the same Rng, batches in that order, mean
 * cross-entropy, torch's SGD (g += wd·p; v = m·v + g; p -= lr·v), lr x0.1 per milestone passed.
 */
function referenceProbe(
  data: ProbeData,
  o: { epochs: number; batchSize: number; lr: number; momentum: number; weightDecay: number; schedule: number[]; seed: number },
) {
  const { d, numClasses: C, trainX: x, trainY: y } = data;
  const n = y.length;
  const rng = new Rng(o.seed);
  const W = Float64Array.from(rng.normal(d * C, 0, 0.01)); // d x C
  const b = new Float64Array(C);
  const vW = new Float64Array(d * C);
  const vb = new Float64Array(C);
  const losses: number[] = [];
  for (let e = 0; e < o.epochs; e++) {
    const lr = o.lr * 0.1 ** o.schedule.filter((m) => e >= m).length;
    const order = rng.permutation(n);
    let lossSum = 0;
    for (let s = 0; s < n; s += o.batchSize) {
      const rows = Array.from(order.subarray(s, Math.min(n, s + o.batchSize)));
      const gW = new Float64Array(d * C);
      const gb = new Float64Array(C);
      for (const r of rows) {
        const z = Array.from({ length: C }, (_, c) => {
          let v = b[c];
          for (let j = 0; j < d; j++) v += x[r * d + j] * W[j * C + c];
          return v;
        });
        const max = Math.max(...z);
        const sum = z.reduce((a, v) => a + Math.exp(v - max), 0);
        lossSum -= z[y[r]] - max - Math.log(sum);
        for (let c = 0; c < C; c++) {
          const g = (Math.exp(z[c] - max) / sum - (c === y[r] ? 1 : 0)) / rows.length;
          gb[c] += g;
          for (let j = 0; j < d; j++) gW[j * C + c] += g * x[r * d + j];
        }
      }
      for (const [p, v, g] of [
        [W, vW, gW],
        [b, vb, gb],
      ] as const) {
        for (let i = 0; i < p.length; i++) {
          v[i] = o.momentum * v[i] + g[i] + o.weightDecay * p[i];
          p[i] -= lr * v[i];
        }
      }
    }
    losses.push(lossSum / n);
  }
  return { W, b, losses };
}

describe('trainLinearProbe', () => {
  it('follows the protocol step for step: init, shuffles, gradients, momentum, weight decay and step decay', async () => {
    const data = randomLabelData(5, 11, 4, 3, 3); // 11 rows: batches of 4, 4, 3
    const o = { epochs: 4, batchSize: 4, lr: 0.5, momentum: 0.9, weightDecay: 0.01, schedule: [1, 3], seed: 9 };
    const ref = referenceProbe(data, o);
    const got = await trainLinearProbe(data, o);
    Array.from(got.weights).forEach((w, i) => expect(w).toBeCloseTo(ref.W[i], 5));
    Array.from(got.bias).forEach((v, i) => expect(v).toBeCloseTo(ref.b[i], 5));
    got.history.forEach((h, e) => expect(h.loss).toBeCloseTo(ref.losses[e], 5));
    [0.5, 0.05, 0.05, 0.005].forEach((lr, e) => expect(got.history[e].lr).toBeCloseTo(lr, 12));
  });

  it('drops the lr x0.1 at 60% and 80% of the epochs by default', async () => {
    const lrs: number[] = [];
    await trainLinearProbe(clusterData(1, 40, 10, 4, 2, 1, 0.1), { epochs: 10, onEpoch: (p) => lrs.push(p.lr) });
    expect(lrs.map((v) => Number(v.toPrecision(6)))).toEqual([30, 30, 30, 30, 30, 30, 3, 3, 0.3, 0.3]);
  });

  it('reaches >= 99% on linearly separable clusters (5 classes, d 64) with the official settings', async () => {
    // Centres are unit vectors (pairwise ~1.4 apart); noise 0.05 per dimension (norm ~0.4).
    const data = clusterData(2, 500, 250, 64, 5, 1, 0.05);
    for (const standardize of [false, true]) {
      const r = await trainLinearProbe(data, { epochs: 30, standardize });
      expect(r.metrics.top1).toBeGreaterThanOrEqual(0.99);
      expect(r.metrics.top5).toBe(1);
      expect(r.metrics.top5K).toBe(5);
      expect(r.history[29].trainAccuracy).toBeGreaterThanOrEqual(0.99);
      expect(r.diverged).toBe(false);
      expect(r.metrics.perClass.map((m) => m.support)).toEqual([50, 50, 50, 50, 50]);
      // Per-sample outputs agree with the metrics.
      expect(r.predicted.length).toBe(250);
      expect(r.ranked.length).toBe(250 * 5);
      expect(r.predicted.filter((p, i) => p === data.testY[i]).length / 250).toBe(r.metrics.top1);
      r.confidence.forEach((c) => expect(c).toBeGreaterThan(0.2));
    }
  });

  it('stays near chance on labels independent of the features', async () => {
    // Test labels are independent of the trained classifier, so each test sample is right with
    // probability sum_c P(pred = c) P(y = c) = 1/C: accuracy ~ Binomial(n, 1/C) / n, within 3 sigma.
    const C = 5;
    const nTest = 1000;
    const r = await trainLinearProbe(randomLabelData(3, 500, nTest, 32, C), { epochs: 20 });
    const p = 1 / C;
    const sigma = Math.sqrt((p * (1 - p)) / nTest);
    expect(Math.abs(r.metrics.top1 - p)).toBeLessThan(3 * sigma);
    expect(r.history[19].trainAccuracy).toBeGreaterThan(p); // it does fit the train split somewhat
  });

  it('flags a run that lr 30 drives past chance on large features, and standardize tames it', async () => {
    // Clusters 3 apart with noise 1 per dimension: nearly separable.
    const data = clusterData(4, 300, 50, 16, 3, 3, 1);
    data.trainX = data.trainX.map((v) => 20 + 5 * v); // ||E x||² = 6400, far above what lr 30 presumes
    data.testX = data.testX.map((v) => 20 + 5 * v);
    const raw = await trainLinearProbe(data, { epochs: 10 });
    expect(raw.featureScale.meanSqNorm).toBeGreaterThan(5000);
    expect(raw.diverged).toBe(true);
    const std = await trainLinearProbe(data, { epochs: 10, standardize: true });
    expect(std.featureScale.meanSqNorm).toBeLessThan(1e-6);
    expect(std.featureScale.sqNorm).toBeCloseTo(1, 4);
    expect(std.diverged).toBe(false);
    expect(std.standardization?.mean.length).toBe(16);
  });

  it('repeats exactly under a seed', async () => {
    const data = clusterData(6, 60, 20, 8, 3, 1, 0.5);
    const a = await trainLinearProbe(data, { epochs: 3, seed: 4 });
    const b = await trainLinearProbe(data, { epochs: 3, seed: 4 });
    const c = await trainLinearProbe(data, { epochs: 3, seed: 5 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(Array.from(a.weights)).not.toEqual(Array.from(c.weights));
  });

  it('stops at the next epoch when cancelled, reports progress, and frees its tensors', async () => {
    const data = clusterData(7, 100, 20, 8, 3, 1, 0.5);
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const seen: ProbeEpoch[] = [];
    const run = trainLinearProbe(data, {
      epochs: 50,
      signal: ac.signal,
      onEpoch: (p) => {
        seen.push(p);
        if (p.epoch === 2) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.map((p) => p.epoch)).toEqual([1, 2]);
    expect(seen[0]).toMatchObject({ epochs: 50, lr: 30 });
    expect(Number.isFinite(seen[0].loss) && seen[0].trainAccuracy >= 0 && seen[0].trainAccuracy <= 1).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainLinearProbe(data, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps tf.memory().numTensors flat across epochs and ends where it started', async () => {
    const data = clusterData(8, 100, 20, 8, 3, 1, 0.5);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await trainLinearProbe(data, { epochs: 5, batchSize: 16, onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses malformed data and options with a readable message', async () => {
    const data = clusterData(9, 20, 5, 4, 2, 1, 0.5);
    await expect(trainLinearProbe({ ...data, trainY: Int32Array.from(data.trainY, (c) => c * 2) })).rejects.toThrow(
      /trainLinearProbe: expected trainY in \[0, 1\], got 2 at row 1/,
    );
    await expect(trainLinearProbe({ ...data, testX: data.testX.subarray(1) })).rejects.toThrow(
      /expected testX to hold 5 x 4 = 20 values, got 19/,
    );
    await expect(trainLinearProbe(data, { epochs: 0 })).rejects.toThrow(/expected epochs to be an integer >= 1, got 0/);
    await expect(trainLinearProbe(data, { lr: -1 })).rejects.toThrow(/expected lr to be a finite number > 0, got -1/);
  });
});

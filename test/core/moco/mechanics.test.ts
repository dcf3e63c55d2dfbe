// The MoCo building blocks checked against values computed by hand or separately:
// InfoNCE, the FIFO queue, the momentum update, split BN and the key shuffle.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addBatchNorm, batchNorm } from '../../../src-main/core/moco/batchnorm';
import { MocoModel } from '../../../src-main/core/moco/moco';
import { infoNce } from '../../../src-main/core/moco/infonce';
import { copyParams, momentumUpdate } from '../../../src-main/core/moco/momentum';
import { ParamStore } from '../../../src-main/core/moco/params';
import { checkQueueFits, KeyQueue } from '../../../src-main/core/moco/queue';
import { Rng } from '../../../src-main/core/moco/rng';
import { batchShuffle, gatherRows, inversePermutation } from '../../../src-main/core/moco/shuffle';
import { expectAllClose, queueOf, TINY, useCpuBackend, values } from './helpers';

beforeAll(useCpuBackend);

describe('InfoNCE', () => {
  it('equals the hand-computed loss, logits and pretext accuracy', () => {
    tf.tidy(() => {
      const q = tf.tensor2d([
        [1, 0],
        [0, 1],
      ]);
      const k = tf.tensor2d([
        [0.6, 0.8],
        [0, 1],
      ]);
      const queue = tf.tensor2d([
        [1, 0],
        [0.8, 0.6],
        [-1, 0],
      ]); // K = 3
      const { logits, loss, accuracy } = infoNce(q, k, queue, 0.5);
      // Row 0: [q·k+, q·queue] = [0.6, 1, 0.8, -1]; row 1: [1, 0, 0.6, 0]; divided by T = 0.5.
      expectAllClose(values(logits), [1.2, 2, 1.6, -2, 2, 0, 1.2, 0], 1e-6, 1e-6);
      const ce0 = Math.log(Math.exp(1.2) + Math.exp(2) + Math.exp(1.6) + Math.exp(-2)) - 1.2;
      const ce1 = Math.log(Math.exp(2) + 1 + Math.exp(1.2) + 1) - 2;
      expect(loss.dataSync()[0]).toBeCloseTo((ce0 + ce1) / 2, 5);
      expect(accuracy.dataSync()[0]).toBe(0.5); // row 0's largest logit is a negative
    });
  });

  it('with a mask, equals the loss over the queue without the masked slots', () => {
    tf.tidy(() => {
      const rng = new Rng(3);
      const unit = (n: number) => tf.tensor2d(rng.normal(n * 4), [n, 4]).div(2) as tf.Tensor2D;
      const [q, k, queue] = [unit(2), unit(2), unit(5)];
      // Row 0 leaves out slots 1 and 3, row 1 slot 4.
      const mask = tf.tensor2d([0, -1e9, 0, -1e9, 0, 0, 0, 0, 0, -1e9], [2, 5]);
      const masked = infoNce(q, k, queue, 0.2, mask);
      const row = (i: number, slots: number[]) =>
        infoNce(q.slice([i, 0], [1, 4]), k.slice([i, 0], [1, 4]), tf.gather(queue, slots), 0.2).loss.dataSync()[0];
      expect(masked.loss.dataSync()[0]).toBeCloseTo((row(0, [0, 2, 4]) + row(1, [0, 1, 2, 3])) / 2, 5);
      expect(() => infoNce(q, k, queue, 0.2, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(/expected a negative mask 2x5, got \[2,4\]/);
    });
  });

  it('refuses mismatched shapes and a non-positive temperature', () => {
    tf.tidy(() => {
      const q = tf.zeros([2, 4]) as tf.Tensor2D;
      expect(() => infoNce(q, tf.zeros([3, 4]) as tf.Tensor2D, tf.zeros([8, 4]) as tf.Tensor2D, 0.07)).toThrow(
        /expected q NxC, k NxC, queue KxC/,
      );
      expect(() => infoNce(q, q, tf.zeros([8, 3]) as tf.Tensor2D, 0.07)).toThrow(/queue KxC/);
      expect(() => infoNce(q, q, tf.zeros([8, 4]) as tf.Tensor2D, 0)).toThrow(/expected a temperature T > 0, got 0/);
    });
  });
});

describe('key queue', () => {
  const batch = (v: number) =>
    tf.tensor2d([
      [v, v + 0.5],
      [v + 0.25, v + 0.75],
    ]); // 2 keys, dim 2
  const rows = (q: KeyQueue) => q.keys.arraySync().map((r) => r[0]);

  it('starts as random unit vectors', () => {
    const q = new KeyQueue(64, 8, new Rng(1));
    try {
      const norms = tf.norm(q.keys, 'euclidean', 1);
      expectAllClose(values(norms), new Array(64).fill(1), 1e-5, 0);
      norms.dispose();
      expect(new Set(values(q.keys)).size).toBe(64 * 8);
      expect(q.ptr).toBe(0);
      expect(q.filled).toBe(0);
    } finally {
      q.dispose();
    }
  });

  it('is FIFO: each batch lands at the pointer, replaces the oldest keys, and the pointer wraps', () => {
    const q = new KeyQueue(6, 2, new Rng(1));
    try {
      const seen: number[][] = [];
      for (let step = 1; step <= 5; step++) {
        const b = batch(step);
        q.enqueue(b);
        b.dispose();
        seen.push(rows(q));
      }
      expect(seen[0].slice(0, 2)).toEqual([1, 1.25]);
      expect(seen[2]).toEqual([1, 1.25, 2, 2.25, 3, 3.25]); // full, pointer back at 0
      expect(seen[3]).toEqual([4, 4.25, 2, 2.25, 3, 3.25]); // batch 1, the oldest, replaced
      expect(seen[4]).toEqual([4, 4.25, 5, 5.25, 3, 3.25]);
      expect(q.keys.arraySync()[2]).toEqual([5, 5.5]); // whole rows move, not just the first column
      expect(q.ptr).toBe(4);
      expect(q.filled).toBe(6);
    } finally {
      q.dispose();
    }
  });

  it("remembers each slot's image and masks the slots holding the query's own older keys", () => {
    const q = new KeyQueue(6, 2, new Rng(1));
    try {
      expect(q.selfMask(Int32Array.from([0, 1]))).toBeNull(); // the random start belongs to no image
      for (const [step, samples] of [
        [1, [7, 8]],
        [2, [9, 7]],
        [3, null],
      ] as const) {
        const b = batch(step);
        q.enqueue(b, samples && Int32Array.from(samples));
        b.dispose();
      }
      expect(Array.from(q.owners)).toEqual([7, 8, 9, 7, -1, -1]);
      expect(q.selfMask(null)).toBeNull();
      expect(q.selfMask(Int32Array.from([1, 2]))).toBeNull(); // no slot of theirs: the paper's loss, unchanged
      const mask = q.selfMask(Int32Array.from([7, 5, 8]))!;
      expect(mask.arraySync()).toEqual([
        [-1e9, 0, 0, -1e9, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, -1e9, 0, 0, 0, 0],
      ]);
      mask.dispose();
      const b = batch(4);
      expect(() => q.enqueue(b, Int32Array.from([1]))).toThrow(/expected 2 sample indices, got 1/);
      b.dispose();
      expect([q.ptr, Array.from(q.owners)]).toEqual([0, [7, 8, 9, 7, -1, -1]]); // refused before anything changed
    } finally {
      q.dispose();
    }
  });

  it('refuses K smaller than the batch, K not a multiple of it, and keys of the wrong width', () => {
    expect(() => checkQueueFits(2, 4)).toThrow('MoCo queue: expected queue size K >= batch size 4, got K = 2');
    expect(() => checkQueueFits(10, 4)).toThrow('MoCo queue: expected queue size K a multiple of the batch size 4, got K = 10');
    const q = new KeyQueue(5, 2, new Rng(1));
    const wide = tf.zeros([1, 3]) as tf.Tensor2D;
    const b = batch(1);
    try {
      expect(() => q.enqueue(b)).toThrow(/expected queue size K a multiple of the batch size 2, got K = 5/);
      expect(() => q.enqueue(wide)).toThrow(/expected keys Nx2, got \[1, 3\]/);
      expect(q.ptr).toBe(0);
    } finally {
      tf.dispose([wide, b]);
      q.dispose();
    }
  });
});

describe('momentum update', () => {
  function store(seed: number): ParamStore {
    const s = new ParamStore();
    const rng = new Rng(seed);
    s.addParam('a.weight', tf.tensor2d(rng.normal(12), [3, 4]));
    s.addParam('a.bias', tf.tensor1d(rng.normal(4)));
    return s;
  }

  it('computes θk ← m·θk + (1−m)·θq exactly in float32, for every parameter', () => {
    const k = store(1);
    const q = store(2);
    try {
      const m = 0.999;
      const before = [...k.params.keys()].map((n) => [values(k.param(n)), values(q.param(n))]);
      momentumUpdate(k.params, q.params, m);
      const f = Math.fround;
      [...k.params.keys()].forEach((name, i) => {
        const [pk, pq] = before[i];
        const expected = pk.map((v, j) => f(f(v * f(m)) + f(pq[j] * f(1 - m))));
        expect(values(k.param(name))).toEqual(expected);
        expect(values(q.param(name))).toEqual(pq); // the query encoder is untouched
      });
    } finally {
      k.dispose();
      q.dispose();
    }
  });

  it('copies exactly with copyParams and refuses encoders that differ', () => {
    const k = store(1);
    const q = store(2);
    const other = new ParamStore();
    other.addParam('a.weight', tf.zeros([4, 3]));
    other.addParam('a.bias', tf.zeros([4]));
    try {
      copyParams(k.params, q.params);
      for (const name of k.params.keys()) expect(values(k.param(name))).toEqual(values(q.param(name)));
      expect(() => momentumUpdate(k.params, other.params, 0.9)).toThrow(/expected a.weight of shape \[3,4\] in both encoders, got \[4,3\]/);
      expect(() => momentumUpdate(k.params, q.params, 1.5)).toThrow(/expected m in \[0, 1\], got 1.5/);
    } finally {
      for (const s of [k, q, other]) s.dispose();
    }
  });
});

describe('split BN', () => {
  function bnStore(seed: number): ParamStore {
    const s = new ParamStore();
    addBatchNorm(s, 'bn', 3);
    const rng = new Rng(seed);
    s.param('bn.weight').assign(tf.tensor1d(rng.uniform(3, 0.5, 1.5)));
    s.param('bn.bias').assign(tf.tensor1d(rng.uniform(3, -0.5, 0.5)));
    return s;
  }

  it('normalises each group on its own, exactly as BN applied to the groups separately', () => {
    const x = tf.tensor4d(new Rng(5).normal(6 * 4 * 4 * 3, 2, 3), [6, 4, 4, 3]);
    const split = bnStore(1);
    const separate = [bnStore(1), bnStore(1), bnStore(1)];
    try {
      const y = batchNorm(split, 'bn', x, { training: true, bnGroups: 3 });
      const parts = separate.map((s, g) =>
        tf.tidy(() => batchNorm(s, 'bn', tf.slice(x, [2 * g, 0, 0, 0], [2, 4, 4, 3]), { training: true, bnGroups: 1 })),
      );
      const joined = tf.concat(parts, 0);
      expectAllClose(values(y), values(joined), 1e-5, 1e-5);
      // ...and differs from ordinary BN over the whole batch.
      const whole = batchNorm(bnStore(1), 'bn', x, { training: true, bnGroups: 1 });
      expect(Math.max(...values(tf.abs(tf.sub(whole, y))))).toBeGreaterThan(1e-2);
      // Running stats: torch's per-group update, averaged over the groups.
      for (const stat of ['running_mean', 'running_var']) {
        const avg = [0, 1, 2].map((c) => separate.reduce((a, s) => a + values(s.buffer(`bn.${stat}`))[c], 0) / 3);
        expectAllClose(values(split.buffer(`bn.${stat}`)), avg, 1e-5, 1e-6);
      }
      tf.dispose([y, joined, whole, ...parts]);
    } finally {
      x.dispose();
      for (const s of [split, ...separate]) s.dispose();
    }
  });
});

describe('key shuffle', () => {
  it('is a seeded permutation whose inverse puts every row back exactly', () => {
    const a = batchShuffle(16, new Rng(9));
    const b = batchShuffle(16, new Rng(9));
    expect(Array.from(a.perm)).toEqual(Array.from(b.perm));
    expect([...a.perm].sort((p, q) => p - q)).toEqual([...Array(16).keys()]);
    expect(Array.from(a.perm)).not.toEqual([...Array(16).keys()]);
    expect(Array.from(inversePermutation(a.inverse))).toEqual(Array.from(a.perm));
    tf.tidy(() => {
      const x = tf.tensor2d(new Rng(3).normal(16 * 5), [16, 5]);
      const shuffled = gatherRows(x, a.perm);
      expect(values(shuffled)).not.toEqual(values(x));
      expect(shuffled.arraySync()[0]).toEqual(x.arraySync()[a.perm[0]]);
      expect(values(gatherRows(shuffled, a.inverse))).toEqual(values(x));
    });
  });

  it('returns every key to its own row after the key encoder', () => {
    // With one image per BN group each key depends on its image alone, so shuffled and
    // unshuffled keys must agree bit for bit if the inverse permutation is right.
    const model = new MocoModel({ ...TINY, K: 16, outDim: 8, seed: 3 });
    const x = tf.tensor4d(new Rng(4).normal(8 * 16 * 16 * 3), [8, 16, 16, 3]);
    try {
      const plain = queueOf(model).keys(x, 8, false);
      const shuffled = queueOf(model).keys(x, 8, true);
      expect(values(shuffled)).toEqual(values(plain));
      const grouped = queueOf(model).keys(x, 2, true); // groups of 4: the shuffle now changes BN statistics
      expect(values(grouped)).not.toEqual(values(plain));
      tf.dispose([plain, shuffled, grouped]);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

// The paper's other two dictionary mechanisms and the symmetric loss on the wasm backend (the
// fast one here; deterministic, so restored states are checked bit for bit), each step checked
// against InfoNCE computed by hand (float64) from the embeddings: end-to-end
// (NxN logits, gradients through both branches), the memory bank (positives, sampled
// negatives, the momentum update of the seen entries only), the symmetric loss with the queue
// and end-to-end, refusals, the state a checkpoint carries, flat memory and learning.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { EndToEnd } from '../../../src-main/core/moco/dictionary/end-to-end';
import { MemoryBank, sampleOthers } from '../../../src-main/core/moco/dictionary/memory-bank';
import { batchInfoNce } from '../../../src-main/core/moco/infonce';
import { MocoModel, mocoOptimizer, type MocoOptions } from '../../../src-main/core/moco/moco';
import { Rng } from '../../../src-main/core/moco/rng';
import { shuffledEmbedding } from '../../../src-main/core/moco/shuffle';
import { collectState, restoreState } from '../../../src-main/core/moco/train/model-state';
import { expectAllClose, queueOf, TINY, values } from './helpers';
import { stripesDataset, twoViewBatch, twoViewsOf } from './synthetic';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

type Rows = number[][];

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** Mean cross-entropy of rows of logits (already / T) with the positive at `label(i)`, and the accuracy. */
function crossEntropy(logits: Rows, label: (i: number) => number): { loss: number; accuracy: number } {
  let loss = 0;
  let hits = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    loss += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[label(i)];
    if (row.indexOf(max) === label(i)) hits++;
  });
  return { loss: loss / logits.length, accuracy: hits / logits.length };
}

/** MoCo's InfoNCE: row i is [q_i·k_i, q_i·n_1, ..., q_i·n_K] / T, positive at 0. */
function handInfoNce(q: Rows, k: Rows, negatives: Rows, T: number) {
  return crossEntropy(
    q.map((qi, i) => [dot(qi, k[i]), ...negatives.map((n) => dot(qi, n))].map((v) => v / T)),
    () => 0,
  );
}

/** End-to-end InfoNCE: row i is [q_i·k_1, ..., q_i·k_N] / T, positive at i. */
function handBatchInfoNce(q: Rows, k: Rows, T: number) {
  return crossEntropy(
    q.map((qi) => k.map((kj) => dot(qi, kj) / T)),
    (i) => i,
  );
}

const rows = (t: tf.Tensor2D): Rows => t.arraySync();
const embed = (model: MocoModel, x: tf.Tensor4D, bnGroups: number) =>
  tf.tidy(() => rows(model.encoderQ.forward(x, { training: true, bnGroups }).embedding));

function snapshot(params: ReadonlyMap<string, tf.Variable>): Map<string, number[]> {
  return new Map([...params].map(([name, v]) => [name, values(v)]));
}

function bankOf(model: MocoModel): MemoryBank {
  if (!(model.dictionary instanceof MemoryBank)) throw new Error(`bankOf: expected a memory-bank model, got ${model.dictionary.kind}`);
  return model.dictionary;
}

const small = (over: Partial<MocoOptions>) => new MocoModel({ ...TINY, outDim: 8, T: 0.2, bnGroups: 2, weightDecay: 0, ...over });

describe('end-to-end InfoNCE', () => {
  it('has NxN logits with the positives on the diagonal and equals the hand-computed loss', () => {
    tf.tidy(() => {
      const q = tf.tensor2d([
        [1, 0],
        [0, 1],
        [0.6, 0.8],
      ]);
      const k = tf.tensor2d([
        [0.8, 0.6],
        [1, 0],
        [0.6, 0.8],
      ]);
      const { logits, loss, accuracy } = batchInfoNce(q, k, 0.5);
      expect(logits.shape).toEqual([3, 3]);
      // Row i: q_i·k_j / T. Row 0: [0.8, 1, 0.6]; row 1: [0.6, 0, 0.8]; row 2: [0.96, 0.6, 1]; / 0.5.
      expectAllClose(values(logits), [1.6, 2, 1.2, 1.2, 0, 1.6, 1.92, 1.2, 2], 1e-6, 1e-6);
      const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
      const expected = (lse([1.6, 2, 1.2]) - 1.6 + lse([1.2, 0, 1.6]) - 0 + lse([1.92, 1.2, 2]) - 2) / 3;
      expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
      expect(accuracy.dataSync()[0]).toBeCloseTo(1 / 3, 6); // only row 2's largest logit is its own key
      expect(() => batchInfoNce(q, tf.zeros([2, 2]) as tf.Tensor2D, 0.5)).toThrow(/expected q NxC and k NxC, got \[3,2\] and \[2,2\]/);
    });
  });
});

describe('end-to-end mechanism', () => {
  it('encodes the keys with the query encoder and trains through both branches', async () => {
    const model = small({ dictionary: 'end-to-end', K: 1, seed: 7 });
    const { imQ, imK } = twoViewBatch(new Rng(8), 8, 16);
    const opt = tf.train.sgd(0.1);
    try {
      expect(model.dictionary).toBeInstanceOf(EndToEnd);
      expect(model.dictionary.fill).toBe(1);
      expect(await model.dictionary.save()).toEqual({ meta: {}, tensors: [] }); // no key encoder, no queue
      const vars = model.encoderQ.trainableVariables();
      const state = model.rng.state();
      const forward = () => model.encoderQ.forward(imQ, { training: true, bnGroups: 2 }).embedding;
      const keys = () => shuffledEmbedding(model.encoderQ, imK, 2, new Rng(state)); // the step's shuffle
      // The gradient through queries and keys, and through the queries alone (keys held fixed).
      const both = tf.variableGrads(() => batchInfoNce(forward(), keys(), 0.2).loss, vars);
      const fixedK = tf.tidy(keys);
      const queryOnly = tf.variableGrads(() => batchInfoNce(forward(), fixedK, 0.2).loss, vars);
      const expected = handBatchInfoNce(embed(model, imQ, 2), rows(fixedK), 0.2);
      const before = snapshot(model.encoderQ.params);

      const r = await model.trainStep(imQ, imK, opt);
      expect(r.loss).toBeCloseTo(expected.loss, 5);
      expect(r.accuracy).toBeCloseTo(expected.accuracy, 6);
      expect(r.fill).toBe(1);
      // Plain SGD: θ ← θ − lr·g with g the gradient through both branches.
      let keyPart = 0;
      let total = 0;
      for (const [name, v] of model.encoderQ.params) {
        const g = values(both.grads[v.name]);
        const gq = values(queryOnly.grads[v.name]);
        expectAllClose(
          values(v),
          before.get(name)!.map((x, i) => x - 0.1 * g[i]),
          1e-5,
          1e-7,
        );
        g.forEach((x, i) => {
          keyPart += Math.abs(x - gq[i]);
          total += Math.abs(x);
        });
      }
      // The key branch carries a real share of the gradient.
      expect(keyPart / total).toBeGreaterThan(0.1);
      tf.dispose([both.value, queryOnly.value, fixedK, both.grads, queryOnly.grads]);
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      model.dispose();
    }
  });

  it('refuses a batch of one image (no negatives)', () => {
    const model = small({ dictionary: 'end-to-end', bnGroups: 1 });
    const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    const opt = tf.train.sgd(0.1);
    try {
      expect(() => model.trainStep(x, x, opt)).toThrow(
        'MoCo end-to-end: expected a batch of at least 2 (the other keys of the batch are the negatives), got 1',
      );
    } finally {
      x.dispose();
      opt.dispose();
      model.dispose();
    }
  });
});

describe('symmetric loss', () => {
  it('with the queue: L(q1, k2) + L(q2, k1) against the same queue, then [k1; k2] enter it', async () => {
    // m = 0 makes the key encoder after the momentum update exactly the query encoder it
    // already copies, so the keys can be computed before the step.
    const model = small({ K: 32, m: 0, symmetric: true, seed: 9 });
    const { imQ, imK } = twoViewBatch(new Rng(10), 8, 16);
    const opt = tf.train.sgd(0.1);
    try {
      const d = queueOf(model);
      const rng = new Rng(model.rng.state());
      const k2 = tf.tidy(() => shuffledEmbedding(d.encoderK, imK, 2, rng)); // the official order: loss_12's key first
      const k1 = tf.tidy(() => shuffledEmbedding(d.encoderK, imQ, 2, rng));
      const queue0 = rows(d.queue.keys);
      const l12 = handInfoNce(embed(model, imQ, 2), rows(k2), queue0, 0.2);
      const l21 = handInfoNce(embed(model, imK, 2), rows(k1), queue0, 0.2);

      const r = await model.trainStep(imQ, imK, opt);
      expect(r.loss).toBeCloseTo(l12.loss + l21.loss, 5);
      expect(r.accuracy).toBeCloseTo((l12.accuracy + l21.accuracy) / 2, 6);
      const queue1 = rows(d.queue.keys);
      expect(queue1.slice(0, 8)).toEqual(rows(k1));
      expect(queue1.slice(8, 16)).toEqual(rows(k2));
      expect(queue1.slice(16)).toEqual(queue0.slice(16));
      expect([d.queue.ptr, r.fill]).toEqual([16, 0.5]);
      tf.dispose([k1, k2]);
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      model.dispose();
    }
  });

  it('with the queue: refuses K that does not tile 2N keys per step', () => {
    const { imQ, imK } = twoViewBatch(new Rng(1), 8, 16);
    const opt = tf.train.sgd(0.1);
    const tooSmall = small({ K: 8, symmetric: true });
    const untiled = small({ K: 24, symmetric: true });
    try {
      expect(() => tooSmall.trainStep(imQ, imK, opt)).toThrow(
        'MoCo queue: expected queue size K >= 2 x batch size = 16 (the symmetric loss enqueues the keys of both views), got K = 8',
      );
      expect(() => untiled.trainStep(imQ, imK, opt)).toThrow(
        'MoCo queue: expected queue size K a multiple of 2 x batch size = 16 (the symmetric loss enqueues the keys of both views), got K = 24',
      );
      expect(queueOf(untiled).queue.ptr).toBe(0);
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      tooSmall.dispose();
      untiled.dispose();
    }
  });

  it('end-to-end: L(z1, z2) + L(z2, z1) on the two views of one forward each', async () => {
    const model = small({ dictionary: 'end-to-end', symmetric: true, seed: 12 });
    const { imQ, imK } = twoViewBatch(new Rng(13), 8, 16);
    const opt = tf.train.sgd(0.1);
    try {
      const z2 = tf.tidy(() => rows(shuffledEmbedding(model.encoderQ, imK, 2, new Rng(model.rng.state()))));
      const z1 = embed(model, imQ, 2);
      const l12 = handBatchInfoNce(z1, z2, 0.2);
      const l21 = handBatchInfoNce(z2, z1, 0.2);
      const r = await model.trainStep(imQ, imK, opt);
      expect(r.loss).toBeCloseTo(l12.loss + l21.loss, 5);
      expect(r.accuracy).toBeCloseTo((l12.accuracy + l21.accuracy) / 2, 6);
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      model.dispose();
    }
  });
});

describe('memory bank', () => {
  const M = 20;
  const bankModel = (over: Partial<MocoOptions> = {}) => small({ dictionary: 'memory-bank', bankSize: M, K: 10, m: 0.5, seed: 3, ...over });

  it('starts as M random unit vectors with nothing seen, and has no key encoder', async () => {
    const model = bankModel();
    try {
      const bank = bankOf(model);
      expect(bank.features.length).toBe(M * 8);
      for (let i = 0; i < M; i++) expect(Math.hypot(...bank.features.subarray(i * 8, (i + 1) * 8))).toBeCloseTo(1, 6);
      expect(new Set(bank.features).size).toBe(M * 8);
      expect([bank.seen, bank.fill]).toEqual([0, 0]);
      expect((await bank.save()).tensors.map((t) => [t.name, t.shape])).toEqual([
        ['memory_bank', [M, 8]],
        ['memory_bank.seen', [M]],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('one step: own entries as positives, sampled negatives, then only the seen entries move by the momentum formula', async () => {
    const model = bankModel();
    const bank = bankOf(model);
    const opt = tf.train.sgd(0.1);
    const rng = new Rng(4);
    try {
      const samples = Int32Array.from([3, 17, 0, 9, 12, 5, 1, 19]);
      const { imQ, imK } = twoViewBatch(rng, 8, 16);
      const before = Float32Array.from(bank.features);
      const entry = (f: Float32Array, i: number) => Array.from(f.subarray(i * 8, (i + 1) * 8));
      const negatives = sampleOthers(M, 10, samples, new Rng(model.rng.state())); // the step's draw
      const q = embed(model, imQ, 2);
      const expected = handInfoNce(
        q,
        Array.from(samples, (s) => entry(before, s)),
        Array.from(negatives, (s) => entry(before, s)),
        0.2,
      );

      const r = await model.trainStep(imQ, imK, opt, samples);
      expect(r.loss).toBeCloseTo(expected.loss, 5);
      expect(r.accuracy).toBeCloseTo(expected.accuracy, 6);
      expect(r.fill).toBeCloseTo(8 / M, 12);
      for (let i = 0; i < M; i++) {
        const at = samples.indexOf(i);
        if (at < 0) {
          expect(entry(bank.features, i)).toEqual(entry(before, i)); // unseen: bit for bit as before
          expect(bank.isSeen(i)).toBe(false);
          continue;
        }
        // v ← (m·v + (1−m)·q) / ‖m·v + (1−m)·q‖ with q as encoded in this step
        const mixed = entry(before, i).map((v, c) => 0.5 * v + 0.5 * q[at][c]);
        const norm = Math.hypot(...mixed);
        expectAllClose(
          entry(bank.features, i),
          mixed.map((v) => v / norm),
          1e-5,
          1e-6,
        );
        expect(bank.isSeen(i)).toBe(true);
      }
      tf.dispose([imQ, imK]);

      // A second batch overlapping the first: only the new samples add to the fill.
      const next = twoViewBatch(rng, 8, 16);
      const r2 = await model.trainStep(next.imQ, next.imK, opt, Int32Array.from([3, 17, 2, 4, 6, 7, 8, 10]));
      tf.dispose([next.imQ, next.imK]);
      expect([bank.seen, r2.fill]).toEqual([14, 14 / M]);
    } finally {
      opt.dispose();
      model.dispose();
    }
  });

  it('draws K distinct negatives, none of them the batch own samples, uniformly over the others', () => {
    const rng = new Rng(5);
    const batch = Int32Array.from([0, 4, 7, 19]);
    const counts = new Array(M).fill(0);
    for (let t = 0; t < 400; t++) {
      const neg = sampleOthers(M, 6, batch, rng);
      expect(neg.length).toBe(6);
      expect(new Set(neg).size).toBe(6);
      for (const n of neg) {
        expect(Number.isInteger(n) && n >= 0 && n < M).toBe(true);
        counts[n]++;
      }
    }
    for (const b of batch) expect(counts[b]).toBe(0);
    // 16 others, 6 drawn of them 400 times: 150 each on average.
    const others = counts.filter((_, i) => !batch.includes(i));
    expect(Math.min(...others)).toBeGreaterThan(100);
    expect(Math.max(...others)).toBeLessThan(200);
    // K = all the others: each exactly once.
    expect([...sampleOthers(M, 16, batch, rng)].sort((a, b) => a - b)).toEqual([...Array(M).keys()].filter((i) => !batch.includes(i)));
    expect(() => sampleOthers(M, 17, batch, rng)).toThrow(
      'MoCo memory bank: expected K from 0 to the 16 entries outside the batch, got K = 17',
    );
  });

  it('refuses settings and batches it cannot take, before anything changes', () => {
    expect(() => bankModel({ symmetric: true })).toThrow(/expected symmetric false with the memory bank/);
    expect(() => bankModel({ m: 1 })).toThrow(
      'MoCo memory bank: expected m in [0, 1) (the momentum of the stored features; 1 never updates them), got 1',
    );
    expect(() => bankModel({ K: 20 })).toThrow('MoCo memory bank: expected K from 1 to the bank size - 1 = 19, got K = 20');
    expect(() => bankModel({ bankSize: 0 })).toThrow(/expected a bank size \(number of training samples\) of at least 2, got 0/);
    const model = bankModel({ K: 14 });
    const opt = tf.train.sgd(0.1);
    const { imQ, imK } = twoViewBatch(new Rng(1), 8, 16);
    try {
      const before = Float32Array.from(bankOf(model).features);
      const params = snapshot(model.encoderQ.params);
      const step = (samples: number[] | null) => () => model.trainStep(imQ, imK, opt, samples && Int32Array.from(samples));
      expect(step(null)).toThrow('MoCo memory bank: expected the training-set index of every sample of the batch, got none');
      expect(step([0, 1, 2])).toThrow('MoCo memory bank: expected 8 sample indices (one per image), got 3');
      expect(step([0, 1, 2, 3, 4, 5, 6, 6])).toThrow('MoCo memory bank: expected distinct sample indices in 0..19, got 6 twice');
      expect(step([0, 1, 2, 3, 4, 5, 6, 20])).toThrow('MoCo memory bank: expected distinct sample indices in 0..19, got 20');
      expect(step([0, 1, 2, 3, 4, 5, 6, 7])).toThrow(
        "MoCo memory bank: expected K <= bank size - batch size = 12 (the negatives are other samples' entries), got K = 14",
      );
      expect(bankOf(model).features).toEqual(before);
      expect(snapshot(model.encoderQ.params)).toEqual(params);
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      model.dispose();
    }
  });
});

describe('checkpoint state of each mechanism', () => {
  const cases: [string, Partial<MocoOptions>, string[]][] = [
    ['queue, symmetric', { K: 32, m: 0.9, symmetric: true }, ['queue', 'queue_owners']],
    ['end-to-end, symmetric', { dictionary: 'end-to-end', symmetric: true }, []],
    ['memory bank', { dictionary: 'memory-bank', bankSize: 16, K: 6, m: 0.5 }, ['memory_bank', 'memory_bank.seen']],
  ];
  for (const [label, over, dictionaryTensors] of cases) {
    it(`${label}: restored into a fresh model, the next step is bit for bit the same`, async () => {
      const samplesOf = (step: number) => Int32Array.from({ length: 8 }, (_, i) => (step * 8 + i) % 16);
      const a = small({ ...over, seed: 1 });
      const b = small({ ...over, seed: 2 });
      const optA = tf.train.momentum(0.05, 0.9);
      const optB = tf.train.momentum(0.05, 0.9);
      const rng = new Rng(6);
      const batches = [0, 1, 2].map(() => twoViewBatch(rng, 8, 16));
      try {
        for (const step of [0, 1]) await a.trainStep(batches[step].imQ, batches[step].imK, optA, samplesOf(step));
        const saved = await collectState(a, optA);
        const names = saved.tensors.map((t) => t.name);
        for (const n of dictionaryTensors) expect(names).toContain(n);
        expect(names.some((n) => n.startsWith('encoder_k.'))).toBe(over.dictionary === undefined);
        // Through bytes, as a checkpoint file holds them.
        const copy = new Map(saved.tensors.map((t) => [t.name, { ...t, data: t.data.slice() }]));
        await restoreState(b, optB, copy, JSON.parse(JSON.stringify(saved.dictionary)));
        b.rng.setState(a.rng.state());
        const again = await collectState(b, optB);
        expect(again.dictionary).toEqual(saved.dictionary);
        expect(again.tensors.map((t) => [t.name, Array.from(t.data)])).toEqual(
          saved.tensors.map((t) => [t.name, Array.from(copy.get(t.name)!.data)]),
        );
        expect(b.dictionary.fill).toBe(a.dictionary.fill);
        const ra = await a.trainStep(batches[2].imQ, batches[2].imK, optA, samplesOf(2));
        const rb = await b.trainStep(batches[2].imQ, batches[2].imK, optB, samplesOf(2));
        expect(rb).toEqual(ra);
        for (const [name, v] of a.encoderQ.params) expect(values(b.encoderQ.params.get(name)!)).toEqual(values(v));
      } finally {
        for (const x of batches) tf.dispose([x.imQ, x.imK]);
        optA.dispose();
        optB.dispose();
        a.dispose();
        b.dispose();
      }
    });
  }

  it('refuses a checkpoint of another mechanism', async () => {
    const queue = small({ K: 16 });
    const bank = small({ dictionary: 'memory-bank', bankSize: 16, K: 6 });
    const opt = tf.train.momentum(0.05, 0.9);
    try {
      const saved = await collectState(queue, opt);
      await expect(restoreState(bank, opt, new Map(saved.tensors.map((t) => [t.name, t])), saved.dictionary)).rejects.toThrow(
        'checkpoint: expected a tensor named memory_bank, got none (a checkpoint of another model?)',
      );
    } finally {
      opt.dispose();
      queue.dispose();
      bank.dispose();
    }
  });
});

/**
 * Steps of a model on synthetic images: fresh ones every step (images: null), or a fixed set
 * of `images`, each epoch a fresh order of it (the memory bank tracks samples). Returns the
 * losses and the live-tensor count after each step.
 */
async function trainOn(model: MocoModel, opts: { images: number | null; batch: number; steps: number; lr: number; seed: number }) {
  const rng = new Rng(opts.seed);
  const size = opts.images ?? opts.batch;
  const dataset = opts.images === null ? null : stripesDataset(rng, opts.images);
  const perEpoch = Math.floor(size / opts.batch);
  const opt = mocoOptimizer(opts.lr);
  const losses: number[] = [];
  const counts: number[] = [];
  let order = rng.permutation(size);
  try {
    for (let step = 0; step < opts.steps; step++) {
      if (step % perEpoch === 0 && step > 0) order = rng.permutation(size);
      const samples = order.slice((step % perEpoch) * opts.batch, ((step % perEpoch) + 1) * opts.batch);
      const { imQ, imK } = dataset ? twoViewsOf(dataset, samples, 16, rng) : twoViewBatch(rng, opts.batch, 16);
      losses.push((await model.trainStep(imQ, imK, opt, samples)).loss);
      tf.dispose([imQ, imK]);
      counts.push(tf.memory().numTensors);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return { losses, counts };
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('each mechanism in training', () => {
  const flat: [string, Partial<MocoOptions>][] = [
    ['queue, symmetric', { K: 32, symmetric: true }],
    ['end-to-end', { dictionary: 'end-to-end' }],
    ['end-to-end, symmetric', { dictionary: 'end-to-end', symmetric: true }],
    ['memory bank', { dictionary: 'memory-bank', bankSize: 24, K: 8, m: 0.5 }],
  ];
  for (const [label, over] of flat) {
    it(`${label}: keeps tf.memory().numTensors flat across steps`, async () => {
      const { counts } = await trainOn(small({ ...over, seed: 2 }), { images: 24, batch: 8, steps: 4, lr: 0.03, seed: 3 });
      // Step 1 creates the optimizer's momentum slots; after that nothing may accumulate.
      expect(counts).toEqual(new Array(4).fill(counts[0]));
    });
  }

  // The queue and end-to-end see new images every step (like MoCo's own test); the memory bank
  // needs its samples back, so it trains epochs over 32 images.
  const learning: [
    string,
    Partial<MocoOptions>,
    { images: number | null; batch: number; steps: number; early: [number, number]; late: [number, number] },
  ][] = [
    ['queue, symmetric', { K: 64, m: 0.9, symmetric: true }, { images: null, batch: 16, steps: 30, early: [3, 13], late: [20, 30] }],
    ['end-to-end', { dictionary: 'end-to-end' }, { images: null, batch: 16, steps: 30, early: [0, 10], late: [20, 30] }],
    [
      'memory bank',
      { dictionary: 'memory-bank', bankSize: 32, K: 16, m: 0.5 },
      { images: 32, batch: 8, steps: 40, early: [4, 12], late: [32, 40] },
    ],
  ];
  for (const [label, over, plan] of learning) {
    it(`${label}: the loss falls on synthetic data`, async () => {
      // 128-d outputs, as MoCo's own learning test: 8 dimensions are too few for K 64 here.
      const { losses } = await trainOn(small({ ...over, outDim: 128, bnGroups: 'auto', seed: 1 }), { ...plan, lr: 0.05, seed: 11 });
      const early = mean(losses.slice(...plan.early));
      const late = mean(losses.slice(...plan.late));
      console.log(`${label} loss: steps ${plan.early.join('-')} ${early.toFixed(3)}, steps ${plan.late.join('-')} ${late.toFixed(3)}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(late).toBeLessThan(early - 0.3);
    });
  }
});

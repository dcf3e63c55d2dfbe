// MocoModel end to end on the wasm backend (the fast one here): construction, refusals, one
// step's momentum update, weight decay and queue write, flat memory, and learning.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultBnGroups, MocoModel, mocoOptimizer } from '../../../src-main/core/moco/moco';
import { Rng } from '../../../src-main/core/moco/rng';
import { expectAllClose, queueOf, TINY, values } from './helpers';
import { twoViewBatch } from './synthetic';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

function snapshot(params: ReadonlyMap<string, tf.Variable>): Map<string, number[]> {
  return new Map([...params].map(([name, v]) => [name, values(v)]));
}

describe('MocoModel', () => {
  it('starts the key encoder as an exact copy of the query encoder and the queue as K unit keys', () => {
    const model = new MocoModel({ ...TINY, K: 32, outDim: 16, seed: 4 });
    try {
      expect([...queueOf(model).encoderK.params.keys()]).toEqual([...model.encoderQ.params.keys()]);
      for (const [name, v] of model.encoderQ.params) expect(values(queueOf(model).encoderK.params.get(name)!)).toEqual(values(v));
      expect(queueOf(model).queue.keys.shape).toEqual([32, 16]);
      expect(queueOf(model).encoderK.params.get('conv1.weight')).not.toBe(model.encoderQ.params.get('conv1.weight'));
    } finally {
      model.dispose();
    }
  });

  it('picks BN groups of about 32 images, at least 2 groups when it can', () => {
    expect([256, 128, 64, 16, 6, 7, 2].map(defaultBnGroups)).toEqual([8, 4, 2, 2, 2, 1, 1]);
  });

  it('refuses bad settings and batches before any work', () => {
    expect(() => new MocoModel({ ...TINY, K: 0 })).toThrow(/expected a positive integer K, got 0/);
    expect(() => new MocoModel({ ...TINY, K: 8, m: 2 })).toThrow(/expected m in \[0, 1\], got 2/);
    expect(() => new MocoModel({ ...TINY, K: 8, T: -1 })).toThrow(/expected T > 0, got -1/);
    expect(() => new MocoModel({ ...TINY, K: 8, bnGroups: 0 })).toThrow(/expected bnGroups 'auto' or a positive integer, got 0/);
    const model = new MocoModel({ ...TINY, K: 20, bnGroups: 3 });
    const opt = mocoOptimizer(0.03);
    const { imQ, imK } = twoViewBatch(new Rng(1), 8, 16);
    const small = tf.zeros([8, 12, 12, 3]) as tf.Tensor4D;
    try {
      const before = snapshot(model.encoderQ.params);
      expect(() => model.trainStep(imQ, imK, opt)).toThrow(/expected queue size K a multiple of the batch size 8, got K = 20/);
      expect(() => model.trainStep(imQ, small, opt)).toThrow(/expected two NxHxWx3 views of one shape/);
      const fitting = new MocoModel({ ...TINY, K: 16, bnGroups: 3 });
      expect(() => fitting.trainStep(imQ, imK, opt)).toThrow(/expected BN groups dividing the batch of 8, got 3/);
      fitting.dispose();
      expect(snapshot(model.encoderQ.params)).toEqual(before);
      expect(queueOf(model).queue.ptr).toBe(0);
    } finally {
      tf.dispose([imQ, imK, small]);
      opt.dispose();
      model.dispose();
    }
  });

  it('one step: key encoder follows by momentum, weight decay as torch SGD, keys enter the queue', async () => {
    const make = (weightDecay: number) => new MocoModel({ ...TINY, K: 16, outDim: 8, m: 0.9, weightDecay, seed: 5 });
    const plain = make(0);
    const decayed = make(0.1);
    const lr = 0.1;
    const optPlain = tf.train.sgd(lr);
    const optDecayed = tf.train.sgd(lr);
    const rng = new Rng(6);
    try {
      // A first step so that the two encoders differ.
      const first = twoViewBatch(rng, 8, 16);
      await plain.trainStep(first.imQ, first.imK, optPlain);
      await decayed.trainStep(first.imQ, first.imK, optDecayed);
      tf.dispose([first.imQ, first.imK]);
      const q0 = snapshot(plain.encoderQ.params);
      const k0 = snapshot(queueOf(plain).encoderK.params);
      const dq0 = snapshot(decayed.encoderQ.params);
      const queue0 = queueOf(plain).queue.keys.arraySync();
      expect(queueOf(plain).queue.ptr).toBe(8);

      const { imQ, imK } = twoViewBatch(rng, 8, 16);
      // Same data for both; their weights differ after step 1, so step 2's decay is checked on the
      // difference of the updates against what a decay-free step on the same weights gives.
      const r = await plain.trainStep(imQ, imK, optPlain);
      expect(r.fill).toBe(1);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);

      // θk ← m·θk + (1−m)·θq with θq before this step's SGD update.
      for (const [name, v] of queueOf(plain).encoderK.params) {
        const expected = k0.get(name)!.map((k, i) => 0.9 * k + 0.1 * q0.get(name)![i]);
        expectAllClose(values(v), expected, 1e-5, 1e-6);
      }
      // The queue: rows 8..15 now hold this step's keys (unit vectors), rows 0..7 are untouched.
      const queue1 = queueOf(plain).queue.keys.arraySync();
      expect(queue1.slice(0, 8)).toEqual(queue0.slice(0, 8));
      expect(queue1.slice(8)).not.toEqual(queue0.slice(8));
      for (const row of queue1.slice(8)) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      expect(queueOf(plain).queue.ptr).toBe(0);

      // Weight decay: a copy of `decayed` before its step, run with decay 0, differs from it by −lr·wd·θ.
      const reference = make(0);
      tf.tidy(() => {
        for (const [name, v] of reference.encoderQ.params) v.assign(tf.tensor(dq0.get(name)!, v.shape));
        for (const [name, v] of queueOf(reference).encoderK.params) v.assign(queueOf(decayed).encoderK.params.get(name)!.clone());
        for (const [name, v] of queueOf(reference).encoderK.buffers) v.assign(queueOf(decayed).encoderK.buffers.get(name)!.clone());
        for (const [name, v] of reference.encoderQ.buffers) v.assign(decayed.encoderQ.buffers.get(name)!.clone());
        queueOf(reference).queue.restore(queueOf(decayed).queue.keys.clone(), queueOf(decayed).queue.ptr, queueOf(decayed).queue.filled);
      });
      reference.rng.setState(decayed.rng.state());
      const optReference = tf.train.sgd(lr);
      await reference.trainStep(imQ, imK, optReference);
      await decayed.trainStep(imQ, imK, optDecayed);
      for (const [name, v] of decayed.encoderQ.params) {
        const ref = values(reference.encoderQ.params.get(name)!);
        const expected = ref.map((x, i) => x - lr * 0.1 * dq0.get(name)![i]);
        expectAllClose(values(v), expected, 1e-4, 1e-6);
      }
      reference.dispose();
      optReference.dispose();
      tf.dispose([imQ, imK]);
    } finally {
      for (const m of [plain, decayed]) m.dispose();
      optPlain.dispose();
      optDecayed.dispose();
    }
  });

  it('keeps tf.memory().numTensors flat across training steps', async () => {
    const model = new MocoModel({ ...TINY, K: 32, seed: 2 });
    const opt = mocoOptimizer(0.03);
    const rng = new Rng(3);
    try {
      const counts: number[] = [];
      for (let step = 0; step < 4; step++) {
        const { imQ, imK } = twoViewBatch(rng, 8, 16);
        await model.trainStep(imQ, imK, opt);
        tf.dispose([imQ, imK]);
        counts.push(tf.memory().numTensors);
      }
      // Step 1 creates the optimizer's momentum slots; after that nothing may accumulate.
      expect(counts).toEqual(new Array(4).fill(counts[0]));
    } finally {
      opt.dispose();
      model.dispose();
    }
  });

  it('learns: the InfoNCE loss falls on two synthetic classes once the queue is full', async () => {
    const model = new MocoModel({ ...TINY, K: 64, m: 0.9, T: 0.2, seed: 1 });
    const opt = mocoOptimizer(0.05);
    const rng = new Rng(11);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 30; step++) {
        const { imQ, imK } = twoViewBatch(rng, 16, 16);
        losses.push((await model.trainStep(imQ, imK, opt)).loss);
        tf.dispose([imQ, imK]);
      }
    } finally {
      opt.dispose();
      model.dispose();
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    // The queue fills in 4 steps (the loss rises meanwhile, as the paper's curves do).
    const early = mean(losses.slice(5, 15));
    const late = mean(losses.slice(20));
    console.log(`MoCo loss: steps 5-14 ${early.toFixed(3)}, steps 20-29 ${late.toFixed(3)} (chance ${Math.log(65).toFixed(3)})`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(late).toBeLessThan(early - 0.3);
  });
});

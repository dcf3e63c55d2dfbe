// The webgpu engine on SwiftShader (Chromium's Vulkan driver, a CPU rasteriser): every op the
// MoCo step uses, forward and gradient, against the exact cpu backend; one whole MoCo step
// against wasm; flat tensor counts. Sizes are small: SwiftShader is slow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/core/engine/backend';
import { conv2d } from '../../../src-main/core/engine/conv';
import type { ConvPadding } from '../../../src-main/core/engine/conv-geometry';
import type { EngineInfo } from '../../../src-main/core/engine/engine-info';
import { batchNorm, addBatchNorm } from '../../../src-main/core/moco/batchnorm';
import { infoNce } from '../../../src-main/core/moco/infonce';
import { MocoModel } from '../../../src-main/core/moco/moco';
import { momentumUpdate } from '../../../src-main/core/moco/momentum';
import { ParamStore } from '../../../src-main/core/moco/params';
import { KeyQueue } from '../../../src-main/core/moco/queue';
import { Rng } from '../../../src-main/core/moco/rng';
import { permuteRows } from '../../../src-main/core/moco/shuffle';
import { useSwiftShader } from '../../helpers/swiftshader';
import { expectAllClose, queueOf, TINY } from '../moco/helpers';
import { twoViewBatch } from '../moco/synthetic';

let engine: EngineInfo;

beforeAll(async () => {
  useSwiftShader();
  tf.env().set('IS_TEST', true);
  engine = await initEngine({ backend: 'webgpu' });
}, 120_000);

/** Runs `fn` on a backend with fresh copies of the inputs and returns every output's values. */
async function on(
  backend: string,
  inputs: { data: Float32Array; shape: number[] }[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  const outs = fn(...xs);
  try {
    return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  } finally {
    tf.dispose([...xs, ...outs]);
  }
}

function randomInput(rng: Rng, shape: number[]): { data: Float32Array; shape: number[] } {
  return { data: Float32Array.from(rng.normal(shape.reduce((a, b) => a * b, 1))), shape };
}

/** The value and the gradient of sum(f(x) * probe) for each input: one backward pass of every op. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, probe: tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const y = f(...xs);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), probe)))(xs);
    return [y, ...grads];
  };
}

/** Compares webgpu with cpu output by output, relative to each output's scale. */
async function expectParity(
  inputs: { data: Float32Array; shape: number[] }[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
  rtol = 1e-4,
): Promise<number> {
  const gpu = await on('webgpu', inputs, fn);
  const cpu = await on('cpu', inputs, fn);
  let worst = 0;
  gpu.forEach((g, i) => {
    const scale = Math.max(...cpu[i].map(Math.abs), 1e-6);
    for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs(g[j] - cpu[i][j]) / scale);
    expectAllClose(g, cpu[i], 0, rtol * scale);
  });
  return worst;
}

describe('the webgpu engine on a software adapter', () => {
  it('names the adapter and flags it as software', () => {
    expect(engine.backend).toBe('webgpu');
    expect(engine.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', software: true });
    expect(engine.adapter!.description).toContain('SwiftShader');
    expect(engine.device).toBe(`WebGPU: google swiftshader (${engine.adapter!.description}), software`);
    expect(engine.skipped).toEqual([{ name: 'tensorflow-gpu', reason: 'not tried: the backend setting asks for webgpu' }]);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('is never picked automatically', async () => {
    const saved = process.env.MOCO_BACKEND;
    delete process.env.MOCO_BACKEND;
    try {
      const auto = await initEngine();
      expect(auto.backend).toBe('wasm');
      const skipped = auto.skipped.find((s) => s.name === 'webgpu');
      expect(skipped?.reason).toMatch(
        /^the only WebGPU adapter is google swiftshader \(SwiftShader driver [\d.]+\), software, which computes on the CPU/,
      );
    } finally {
      if (saved !== undefined) process.env.MOCO_BACKEND = saved;
      await initEngine({ backend: 'webgpu' });
    }
  });
});

describe('gradient parity with the cpu backend', () => {
  type Shape4 = [number, number, number, number];
  const convCases: [string, Shape4, Shape4, number, ConvPadding][] = [
    ['7x7 stride 2 pad 3 (ImageNet stem)', [2, 15, 13, 3], [7, 7, 3, 4], 2, 3],
    ['3x3 stride 2 pad 1 (first block of a stage)', [2, 9, 8, 4], [3, 3, 4, 6], 2, 1],
    ['3x3 stride 1 same', [2, 8, 8, 4], [3, 3, 4, 5], 1, 'same'],
    ['1x1 stride 2 valid (downsample)', [2, 9, 9, 4], [1, 1, 4, 8], 2, 'valid'],
    ['1x1 stride 1 valid (bottleneck)', [2, 6, 6, 8], [1, 1, 8, 4], 1, 'valid'],
  ];
  for (const [label, xs, ws, stride, padding] of convCases) {
    it(`conv2d ${label}: output, dx and dw`, async () => {
      const rng = new Rng(xs[1] * 31 + ws[0]);
      const x = randomInput(rng, xs);
      const w = randomInput(rng, ws);
      const outShape = tf.tidy(() => conv2d(tf.zeros(xs) as tf.Tensor4D, tf.zeros(ws) as tf.Tensor4D, stride, padding).shape);
      const probe = randomInput(rng, outShape);
      const worst = await expectParity(
        [x, w, probe],
        (xt, wt, p) => withGrads((a, b) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, padding), p)(xt, wt),
        1e-4,
      );
      console.log(`conv2d ${label}: worst relative error ${worst.toExponential(2)}`);
    });
  }

  it('split BN (2 groups) in training: output and the gradients of x, gamma and beta', async () => {
    const rng = new Rng(5);
    const x = randomInput(rng, [8, 4, 4, 6]);
    const gamma = randomInput(rng, [6]);
    const beta = randomInput(rng, [6]);
    const probe = randomInput(rng, [8, 4, 4, 6]);
    await expectParity(
      [x, gamma, beta, probe],
      (a, g, b, p) => {
        const store = new ParamStore();
        addBatchNorm(store, 'bn', 6);
        const [w, bias] = [store.param('bn.weight'), store.param('bn.bias')];
        w.assign(g as tf.Tensor1D);
        bias.assign(b as tf.Tensor1D);
        const xv = tf.variable(a);
        const mode = { training: true, bnGroups: 2 };
        const y = batchNorm(store, 'bn', xv as tf.Tensor4D, mode);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(batchNorm(store, 'bn', xv as tf.Tensor4D, mode), p)), [xv, w, bias]);
        const out = [
          y,
          grads[xv.name],
          grads[w.name],
          grads[bias.name],
          store.buffer('bn.running_mean').clone(),
          store.buffer('bn.running_var').clone(),
        ];
        tf.dispose([value, xv]);
        store.dispose();
        return out;
      },
      1e-4,
    );
  });

  it('the key permutation and its inverse gradient', async () => {
    const rng = new Rng(6);
    const perm = rng.permutation(8);
    await expectParity(
      [randomInput(rng, [8, 5]), randomInput(rng, [8, 5])],
      (x, p) => withGrads((a) => permuteRows(a as tf.Tensor2D, perm), p)(x),
      0,
    );
  });

  it('InfoNCE against a queue: loss, accuracy and the gradient of q', async () => {
    const rng = new Rng(7);
    await expectParity(
      [randomInput(rng, [8, 16]), randomInput(rng, [8, 16]), randomInput(rng, [32, 16])],
      (q, k, queue) => {
        const unit = (t: tf.Tensor) => tf.div(t, tf.norm(t, 2, 1, true)) as tf.Tensor2D;
        const r = infoNce(unit(q), unit(k), unit(queue), 0.07);
        const [dq] = tf.grads((a: tf.Tensor) => infoNce(unit(a), unit(k), unit(queue), 0.07).loss)([q]);
        return [r.loss, r.accuracy, dq];
      },
      1e-4,
    );
  });

  it('the momentum update and the queue', async () => {
    const rng = new Rng(8);
    const wq = randomInput(rng, [3, 3, 2, 4]);
    const wk = randomInput(rng, [3, 3, 2, 4]);
    const keys = randomInput(rng, [4, 8]);
    await expectParity(
      [wq, wk, keys],
      (q, k, kk) => {
        const pq = new Map([['w', tf.variable(q)]]);
        const pk = new Map([['w', tf.variable(k)]]);
        momentumUpdate(pk, pq, 0.99);
        const queue = new KeyQueue(8, 8, new Rng(1));
        queue.enqueue(kk as tf.Tensor2D);
        queue.enqueue(tf.neg(kk) as tf.Tensor2D);
        const out = [pk.get('w')!.clone(), queue.keys.clone()];
        tf.dispose([pq.get('w')!, pk.get('w')!, queue.keys]);
        return out;
      },
      1e-6,
    );
  });
});

describe('MoCo on webgpu', () => {
  async function oneStep(
    backend: string,
    seed: number,
  ): Promise<{ loss: number; accuracy: number; weights: Float32Array[]; queue: Float32Array }> {
    await tf.setBackend(backend);
    const model = new MocoModel({ ...TINY, K: 32, outDim: 16, seed });
    const { imQ, imK } = twoViewBatch(new Rng(seed + 1), 8, 16);
    const opt = tf.train.momentum(0.05, 0.9);
    try {
      const r = await model.trainStep(imQ, imK, opt);
      const names = ['conv1.weight', 'layer2.0.conv1.weight', 'layer4.1.bn2.weight', 'fc.weight'];
      const weights = await Promise.all(names.map((n) => model.encoderQ.params.get(n)!.data() as Promise<Float32Array>));
      return { loss: r.loss, accuracy: r.accuracy, weights, queue: (await queueOf(model).queue.keys.data()) as Float32Array };
    } finally {
      tf.dispose([imQ, imK]);
      opt.dispose();
      model.dispose();
    }
  }

  it('one step (loss and updated weights) matches wasm', async () => {
    const gpu = await oneStep('webgpu', 3);
    const wasm = await oneStep('wasm', 3);
    const worst = (a: Float32Array, b: Float32Array) =>
      a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1e-3)), 0);
    console.log(
      `one MoCo step, webgpu vs wasm: loss ${gpu.loss.toFixed(6)} vs ${wasm.loss.toFixed(6)}; worst relative weight difference ` +
        `${Math.max(...gpu.weights.map((w, i) => worst(w, wasm.weights[i]))).toExponential(2)}, queue ${worst(gpu.queue, wasm.queue).toExponential(2)}`,
    );
    expect(gpu.loss).toBeCloseTo(wasm.loss, 4);
    expect(gpu.accuracy).toBe(wasm.accuracy);
    gpu.weights.forEach((w, i) => expectAllClose(w, wasm.weights[i], 1e-3, 1e-5));
    expectAllClose(gpu.queue, wasm.queue, 1e-3, 1e-5);
  }, 180_000);

  it('keeps tf.memory().numTensors flat across steps, for each dictionary', async () => {
    await tf.setBackend('webgpu');
    const dictionaries = [
      { dictionary: 'queue' as const, symmetric: true },
      { dictionary: 'end-to-end' as const },
      { dictionary: 'memory-bank' as const, bankSize: 12, K: 4, m: 0.5 },
    ];
    for (const over of dictionaries) {
      const model = new MocoModel({ ...TINY, widthMultiplier: 1 / 16, K: 8, outDim: 8, seed: 2, ...over });
      const opt = tf.train.momentum(0.05, 0.9);
      const counts: number[] = [];
      try {
        for (let step = 0; step < 3; step++) {
          const { imQ, imK } = twoViewBatch(new Rng(10 + step), 4, 8);
          const samples = over.dictionary === 'memory-bank' ? Int32Array.from({ length: 4 }, (_, i) => (step * 4 + i) % 12) : null;
          const r = await model.trainStep(imQ, imK, opt, samples);
          expect(Number.isFinite(r.loss)).toBe(true);
          tf.dispose([imQ, imK]);
          counts.push(tf.memory().numTensors);
        }
      } finally {
        opt.dispose();
        model.dispose();
      }
      // Step 1 creates the optimizer's momentum slots; after that nothing may accumulate.
      expect(counts.slice(1)).toEqual([counts[1], counts[1]]);
    }
  }, 400_000);
});

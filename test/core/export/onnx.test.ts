import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../../src-main/core/export/bn-fold';
import { convOutputSize, denseConvMatrix } from '../../../src-main/core/export/dense-conv';
import { exportResNetOnnx, ONNX_OPSET } from '../../../src-main/core/export/onnx';
import { onnx } from '../../../src-main/core/onnx/onnx-graph';
import { ResNet, type ResNetArch, type ResNetStem } from '../../../src-main/core/moco/resnet';
import { Rng } from '../../../src-main/core/moco/rng';
import { expectAllClose, useCpuBackend } from '../moco/helpers';
import { formulaInput, loadFormulaWeights } from '../moco/torch-parity';
import { expectSameOutputs, maxAbsDiff, modelWithBnStats, randomImages } from './helpers';

beforeAll(useCpuBackend);

/** The decoded model with int64 fields as numbers. */
function decode(bytes: Uint8Array) {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: true }) as {
    irVersion: number;
    opsetImport: { domain: string; version: number }[];
    metadataProps: { key: string; value: string }[];
    graph: {
      node: { name: string; opType: string; input: string[]; output: string[]; attribute: { name: string; ints: number[]; i: number }[] }[];
      initializer: { name: string; dims: number[] }[];
      input: ValueInfo[];
      output: ValueInfo[];
    };
  };
}
type ValueInfo = { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } } };
const dims = (v: ValueInfo) => v.type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue);

/** Topological order (every node input is a graph input, an initializer or an earlier output), unique names, outputs produced. */
function expectWellFormed(g: ReturnType<typeof decode>['graph']): void {
  const defined = new Set([...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name)]);
  expect(defined.size).toBe(g.input.length + g.initializer.length);
  for (const node of g.node) {
    for (const i of node.input) expect(defined.has(i), `${node.name} reads ${i}`).toBe(true);
    for (const o of node.output) {
      expect(defined.has(o), `${node.name} writes ${o} again`).toBe(false);
      defined.add(o);
    }
  }
  expect(new Set(g.node.map((n) => n.name)).size).toBe(g.node.length);
  for (const o of g.output) expect(defined.has(o.name)).toBe(true);
}

/** The TF.js eval forward of NHWC images, the reference. */
function tfjsForward(model: ResNet, x: Float32Array, n: number, size: number) {
  return tf.tidy(() => {
    const out = model.forward(tf.tensor4d(x, [n, size, size, 3]), { training: false });
    return { features: out.features.dataSync(), embedding: out.embedding.dataSync() };
  });
}

/** NHWC -> NCHW with TF.js, independent of the embedder's own loop. */
function toNchw(x: Float32Array, n: number, size: number): Float32Array {
  return tf.tidy(() => tf.transpose(tf.tensor4d(x, [n, size, size, 3]), [0, 3, 1, 2]).dataSync() as Float32Array);
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, shape: number[]) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return {
      features: out.features.data as Float32Array,
      embedding: out.embedding.data as Float32Array,
      dims: [out.features.dims, out.embedding.dims],
    };
  } finally {
    await session.release();
  }
}

describe('exportResNetOnnx', () => {
  const model = modelWithBnStats({ arch: 'resnet18', stem: 'imagenet', widthMultiplier: 1 / 8, outDim: 16 }, 1);
  afterAll(() => model.dispose());

  it('writes a well-formed opset-17 graph: torch names, folded BN, NCHW input with a dynamic batch', async () => {
    const m = decode(await exportResNetOnnx(model, { inputSize: 32 }));
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport).toEqual([{ domain: '', version: ONNX_OPSET }]);
    const g = m.graph;
    expect(g.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['N', 3, 32, 32]]]);
    expect(g.output.map((v) => [v.name, dims(v)])).toEqual([
      ['features', ['N', 64]],
      ['embedding', ['N', 16]],
    ]);

    expectWellFormed(g);

    const ops = g.node.map((n) => n.opType);
    expect(new Set(ops)).toEqual(
      new Set(['Conv', 'Relu', 'MaxPool', 'Add', 'GlobalAveragePool', 'Flatten', 'Gemm', 'ReduceL2', 'Max', 'Div']),
    );
    const convs = g.node.filter((n) => n.opType === 'Conv');
    expect(convs).toHaveLength(20); // stem + 16 block convs + 3 downsamples, each with its BN folded in
    expect(convs.slice(0, 4).map((n) => n.name)).toEqual(['conv1', 'layer1.0.conv1', 'layer1.0.conv2', 'layer1.1.conv1']);
    expect(convs.map((n) => n.name)).toContain('layer2.0.downsample.0');
    for (const c of convs) expect(c.input).toEqual([expect.any(String), `${c.name}.folded.weight`, `${c.name}.folded.bias`]);
    const stem = convs[0].attribute.map((a) => [a.name, a.ints]);
    expect(stem).toEqual([
      ['kernel_shape', [7, 7]],
      ['strides', [2, 2]],
      ['pads', [3, 3, 3, 3]],
    ]);
    expect(g.initializer.find((t) => t.name === 'conv1.folded.weight')?.dims).toEqual([8, 3, 7, 7]); // OIHW
    expect(g.initializer.find((t) => t.name === 'fc.weight')?.dims).toEqual([16, 64]); // torch's [out, in]
    expect(g.node.find((n) => n.opType === 'Gemm')?.attribute.map((a) => [a.name, a.i])).toEqual([['transB', 1]]);
    expect(Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]))).toMatchObject({
      arch: 'resnet18',
      stem: 'imagenet',
      input_layout: 'NCHW',
    });
  });

  it('runs in onnxruntime with any batch and image size, matching the TF.js eval forward', async () => {
    const bytes = await exportResNetOnnx(model); // symbolic H and W
    for (const [n, size] of [
      [1, 32],
      [3, 48],
    ]) {
      const x = randomImages(n, size, 10 + n);
      const out = await runOnnx(bytes, toNchw(x, n, size), [n, 3, size, size]);
      expect(out.dims).toEqual([
        [n, 64],
        [n, 16],
      ]);
      expectSameOutputs(out, tfjsForward(model, x, n, size), 16);
    }
  });

  it('the NHWC variant (a Transpose first) gives the NCHW file outputs', async () => {
    const x = randomImages(2, 32, 3);
    const nhwc = await runOnnx(await exportResNetOnnx(model, { inputSize: 32, inputLayout: 'NHWC' }), x, [2, 32, 32, 3]);
    const nchw = await runOnnx(await exportResNetOnnx(model, { inputSize: 32 }), toNchw(x, 2, 32), [2, 3, 32, 32]);
    expect(maxAbsDiff(nhwc.features, nchw.features)).toBeLessThan(1e-6);
    expect(maxAbsDiff(nhwc.embedding, nchw.embedding)).toBeLessThan(1e-6);
    expect(decode(await exportResNetOnnx(model, { inputLayout: 'NHWC' })).graph.node[0].opType).toBe('Transpose');
  });

  it('denseSmallMaps writes the convs over 2x2 maps as Gemms, with the same outputs', async () => {
    const dense = await exportResNetOnnx(model, { inputSize: 64, denseSmallMaps: true });
    const { graph } = decode(dense);
    expectWellFormed(graph);
    const nodes = graph.node;
    // At 64 px layer4 runs on 2x2 maps: its 3x3 stride-1 convs fit in the kernel; the stride-2 conv1 and downsample do not.
    expect(nodes.filter((n) => n.opType === 'Gemm').map((n) => n.name)).toEqual([
      'layer4.0.conv2',
      'layer4.1.conv1',
      'layer4.1.conv2',
      'fc',
    ]);
    expect(nodes.filter((n) => n.opType === 'Conv')).toHaveLength(17);
    const x = randomImages(3, 64, 5);
    const a = await runOnnx(dense, toNchw(x, 3, 64), [3, 3, 64, 64]);
    const b = await runOnnx(await exportResNetOnnx(model, { inputSize: 64 }), toNchw(x, 3, 64), [3, 3, 64, 64]);
    expectSameOutputs(a, b, 16);
    await expect(exportResNetOnnx(model, { denseSmallMaps: true })).rejects.toThrow('expected an inputSize with denseSmallMaps, got none');
  });

  it('loads and runs in onnxruntime inside a worker thread', async () => {
    const bytes = await exportResNetOnnx(model, { inputSize: 32 });
    const x = toNchw(randomImages(2, 32, 4), 2, 32);
    const code = `
      const { parentPort, workerData: { ortPath, bytes, x } } = require('node:worker_threads');
      const ort = require(ortPath);
      ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })
        .then((s) => s.run({ input: new ort.Tensor('float32', x, [2, 3, 32, 32]) }))
        .then((out) => parentPort.postMessage(out.embedding.data), (err) => parentPort.postMessage(String(err)));`;
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const fromWorker = await new Promise<unknown>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { ortPath, bytes, x } });
      w.once('message', (m) => void w.terminate().then(() => resolve(m)));
      w.once('error', reject);
    });
    expect(fromWorker).toBeInstanceOf(Float32Array);
    expect(Array.from(fromWorker as Float32Array)).toEqual(Array.from((await runOnnx(bytes, x, [2, 3, 32, 32])).embedding));
  });

  it('refuses options it cannot honour', async () => {
    await expect(exportResNetOnnx(model, { inputLayout: 'HWC' as never })).rejects.toThrow('expected inputLayout NCHW | NHWC, got HWC');
    await expect(exportResNetOnnx(model, { inputSize: 0 })).rejects.toThrow('expected a positive integer inputSize, got 0');
  });
});

describe('the exported file equals torchvision', () => {
  // fixtures/torch_parity.py: torchvision's outputs (float64) for closed-formula weights and inputs.
  const fixture = JSON.parse(readFileSync(new URL('../moco/fixtures/torch-parity.json', import.meta.url), 'utf8')) as {
    cases: {
      arch: ResNetArch;
      stem: ResNetStem;
      mlpHead: boolean;
      input: number[];
      training: boolean;
      features: number[];
      embedding: number[];
    }[];
  };
  // ResNet-50 at full width takes seconds just to fill in its weights; the embedder tests compare a narrow one with TF.js.
  for (const c of fixture.cases.filter((k) => !k.training && k.arch !== 'resnet50')) {
    it(`${c.arch} ${c.stem} stem${c.mlpHead ? ', MLP head' : ''}, eval`, async () => {
      const model = new ResNet({ arch: c.arch, stem: c.stem, mlpHead: c.mlpHead }, null);
      try {
        loadFormulaWeights(model, 'all');
        const [n, size] = c.input;
        const x = tf.tidy(() => tf.transpose(formulaInput(c.input), [0, 3, 1, 2]).dataSync() as Float32Array); // NCHW
        const out = await runOnnx(await exportResNetOnnx(model), x, [n, 3, size, size]);
        const firstCols = Array.from({ length: n }, (_, r) =>
          Array.from(out.features.subarray(r * model.featureDim, r * model.featureDim + 64)),
        ).flat();
        const scale = Math.max(...c.features.map(Math.abs));
        expectAllClose(firstCols, c.features, 1e-3, 1e-4 * scale);
        expectAllClose(out.embedding, c.embedding, 1e-3, 2e-5);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('denseConvMatrix', () => {
  it('x times the matrix equals the convolution, for strides 1 and 2 and maps of 1 to 3 px', () => {
    const rng = new Rng(8);
    const [ci, co, k] = [3, 4, 3];
    const oihw = rng.normal(co * ci * k * k);
    for (const [size, stride] of [
      [1, 1],
      [2, 1],
      [3, 1],
      [3, 2],
    ]) {
      const { matrix, oh, ow } = denseConvMatrix(oihw, [co, ci, k], stride, 1, size, size);
      expect([oh, ow]).toEqual([convOutputSize(size, k, stride, 1), convOutputSize(size, k, stride, 1)]);
      tf.tidy(() => {
        const x = tf.tensor4d(rng.normal(2 * ci * size * size), [2, ci, size, size]); // NCHW
        const w = tf.tensor4d(oihw, [co, ci, k, k]).transpose([2, 3, 1, 0]) as tf.Tensor4D; // HWIO
        const conv = tf.conv2d(
          tf.pad(x.transpose([0, 2, 3, 1]) as tf.Tensor4D, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
          w,
          stride,
          'valid',
        );
        const expected = conv.transpose([0, 3, 1, 2]).reshape([2, -1]); // NCHW flattened
        const actual = tf.matMul(x.reshape([2, -1]), tf.tensor2d(matrix, [ci * size * size, co * oh * ow]));
        expect(maxAbsDiff(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      });
    }
  });
});

describe('foldBatchNorm', () => {
  it('conv with the folded weights and bias equals conv followed by eval BatchNorm', () => {
    const rng = new Rng(7);
    const [kh, kw, ci, co] = [3, 2, 3, 5];
    const w = rng.normal(kh * kw * ci * co);
    const bn = {
      gamma: rng.uniform(co, 0.5, 2),
      beta: rng.uniform(co, -1, 1),
      runningMean: rng.uniform(co, -1, 1),
      runningVar: rng.uniform(co, 0.1, 3),
    };
    const folded = foldBatchNorm(w, [kh, kw, ci, co], bn);
    tf.tidy(() => {
      const x = tf.tensor4d(rng.normal(2 * 6 * 6 * ci), [2, 6, 6, ci]);
      const y = tf.conv2d(x, tf.tensor4d(w, [kh, kw, ci, co]), 1, 'valid');
      const expected = y
        .sub(bn.runningMean)
        .div(tf.sqrt(tf.tensor1d(bn.runningVar).add(1e-5)))
        .mul(bn.gamma)
        .add(bn.beta);
      const oihw = tf.tensor4d(folded.weight, [co, ci, kh, kw]).transpose([2, 3, 1, 0]) as tf.Tensor4D; // -> HWIO
      const actual = tf.conv2d(x, oihw, 1, 'valid').add(folded.bias);
      expect(maxAbsDiff(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    });
  });

  it('refuses statistics of the wrong length', () => {
    const bn = { gamma: [1], beta: [0], runningMean: [0, 0], runningVar: [1] };
    expect(() => foldBatchNorm(new Float32Array(2), [1, 1, 2, 1], bn)).toThrow('expected 1 values of runningMean, got 2');
  });
});

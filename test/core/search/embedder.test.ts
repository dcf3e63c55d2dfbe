import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResNetOptions } from '../../../src-main/core/moco/resnet';
import { createEmbedder, type Embedder } from '../../../src-main/core/search/embedder';
import { nhwcToNchw, OnnxEmbedder } from '../../../src-main/core/search/onnx-embedder';
import { expectSameOutputs, maxAbsDiff, modelWithBnStats, randomImages } from '../export/helpers';
import { useCpuBackend } from '../moco/helpers';

beforeAll(useCpuBackend);

// Small widths keep the cpu reference fast; every BN carries its own statistics (see helpers).
const CASES: { name: string; opts: Partial<ResNetOptions> & Pick<ResNetOptions, 'arch'>; size: number }[] = [
  { name: 'resnet18, small stem', opts: { arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8 }, size: 16 },
  { name: 'resnet18, imagenet stem', opts: { arch: 'resnet18', stem: 'imagenet', widthMultiplier: 1 / 8 }, size: 64 },
  { name: 'resnet50, imagenet stem', opts: { arch: 'resnet50', stem: 'imagenet', widthMultiplier: 1 / 8 }, size: 64 },
  { name: 'resnet18, MLP head', opts: { arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8, mlpHead: true, outDim: 32 }, size: 16 },
];

describe('onnxruntime and TF.js embed alike', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: batches of 1 and 5`, async () => {
      const model = modelWithBnStats(c.opts, 20 + i);
      const onnx = await createEmbedder(model, c.size, 'onnxruntime');
      const tfjs = await createEmbedder(model, c.size, 'tfjs');
      try {
        expect([onnx.engine, tfjs.engine]).toEqual(['onnxruntime', 'tfjs']);
        expect([onnx.featureDim, onnx.outDim]).toEqual([model.featureDim, model.options.outDim]);
        expect([tfjs.featureDim, tfjs.outDim]).toEqual([model.featureDim, model.options.outDim]);
        for (const n of [1, 5]) {
          const x = randomImages(n, c.size, 100 + n);
          const expected = await tfjs.embed(x, n);
          expect(expected.features).toHaveLength(n * model.featureDim);
          expectSameOutputs(await onnx.embed(x, n), expected, model.options.outDim);
        }
      } finally {
        await onnx.dispose();
        await tfjs.dispose();
        model.dispose();
      }
    });
  }
});

describe('OnnxEmbedder', () => {
  const model = modelWithBnStats({ arch: 'resnet18', stem: 'imagenet', widthMultiplier: 1 / 8 }, 5);
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createEmbedder(model, 32);
  });
  afterAll(async () => {
    await embedder.dispose();
    model.dispose();
  });

  it("'auto' picks onnxruntime on the CPU here and says why CUDA is not used", () => {
    expect(embedder.engine).toBe('onnxruntime');
    expect(embedder.fallbackReason).toBeNull();
    expect(embedder.device).toMatch(/^(CUDA|CPU, \d+ threads?)$/);
    const cuda = (embedder as OnnxEmbedder).cudaUnavailable;
    expect(embedder.device === 'CUDA' ? cuda === null : /CUDA/.test(cuda ?? '')).toBe(true);
  });

  it('the transpose as a graph node gives the same outputs as the transpose loop', async () => {
    const graph = await OnnxEmbedder.create(model, 32, { transpose: 'graph', device: 'cpu', threads: 1 });
    try {
      const x = randomImages(3, 32, 9);
      const a = await graph.embed(x, 3);
      const b = await embedder.embed(x, 3);
      expect(maxAbsDiff(a.features, b.features)).toBeLessThan(1e-6);
      expect(maxAbsDiff(a.embedding, b.embedding)).toBeLessThan(1e-6);
      expect(graph.device).toBe('CPU, 1 thread');
    } finally {
      await graph.dispose();
    }
  });

  it('concurrent calls each get their own images back', async () => {
    const xs = [1, 2, 3].map((s) => randomImages(2, 32, 40 + s));
    const together = await Promise.all(xs.map((x) => embedder.embed(x, 2)));
    for (const [i, x] of xs.entries()) {
      expect(Array.from(together[i].embedding)).toEqual(Array.from((await embedder.embed(x, 2)).embedding));
    }
    expect(maxAbsDiff(together[0].embedding, together[1].embedding)).toBeGreaterThan(1e-3);
  });

  it('refuses a batch that does not hold n images of the input size', async () => {
    await expect(embedder.embed(new Float32Array(32 * 32 * 3), 2)).rejects.toThrow(
      'OnnxEmbedder.embed: expected 6144 values (2 x 32 x 32 x 3, NHWC), got 3072',
    );
    await expect(embedder.embed(new Float32Array(0), 0)).rejects.toThrow('expected a positive integer image count, got 0');
  });
});

describe('nhwcToNchw', () => {
  it('equals a TF.js transpose', () => {
    const x = randomImages(2, 5, 1);
    const expected = tf.tidy(() => tf.transpose(tf.tensor4d(x, [2, 5, 5, 3]), [0, 3, 1, 2]).dataSync());
    expect(Array.from(nhwcToNchw(x, 2, 25))).toEqual(Array.from(expected));
  });
});

describe('createEmbedder', () => {
  it('refuses an unknown engine and a bad input size', async () => {
    const model = modelWithBnStats({ arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8 }, 2);
    try {
      await expect(createEmbedder(model, 16, 'gpu' as never)).rejects.toThrow(
        'createEmbedder: expected engine auto | onnxruntime | tfjs, got gpu',
      );
      await expect(createEmbedder(model, 1.5)).rejects.toThrow('createEmbedder: expected a positive integer input size, got 1.5');
    } finally {
      model.dispose();
    }
  });

  it("'auto' falls back to TF.js when onnxruntime cannot load, and keeps the reason", async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-node', () => {
      throw new Error('no native binary for this platform');
    });
    try {
      const fresh = await import('../../../src-main/core/search/embedder');
      const model = modelWithBnStats({ arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8 }, 3);
      try {
        const e = await fresh.createEmbedder(model, 16, 'auto');
        expect(e.engine).toBe('tfjs');
        expect(e.device).toBe('TF.js cpu');
        // vitest words the import failure its own way; the reason names the engine and the failed load.
        expect(e.fallbackReason).toMatch(/^onnxruntime: onnxruntime-node failed to load: ./);
        expect((await e.embed(randomImages(1, 16, 1), 1)).embedding).toHaveLength(128);
        await expect(fresh.createEmbedder(model, 16, 'onnxruntime')).rejects.toThrow('onnxruntime-node failed to load');
      } finally {
        model.dispose();
      }
    } finally {
      vi.doUnmock('onnxruntime-node');
      vi.resetModules();
    }
  });
});

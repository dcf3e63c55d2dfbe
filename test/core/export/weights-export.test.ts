// The exports against their consumers: torchvision (through fixtures/torch_roundtrip.py, which
// loaded these very files with the config's own Python snippets) and tf.loadLayersModel.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../src-main/core/weights/safetensors';
import { TFJS_MODEL_FILE, tfjsFilesHandler } from '../../../src-main/core/export/tfjs-layers';
import { torchNames } from '../../../src-main/core/weights/torch-names';
import { type EncoderExportConfig, encoderReadme, exportSafetensors, exportTfjs } from '../../../src-main/core/export/weights-export';
import type { ResNet, ResNetOptions } from '../../../src-main/core/moco/resnet';
import { expectSameOutputs, modelWithBnStats, randomImages } from './helpers';
import { ROUNDTRIP_CASES, roundtripInput, roundtripModel } from './roundtrip-cases';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

const roundtrip = JSON.parse(readFileSync(new URL('./fixtures/torch-roundtrip.json', import.meta.url), 'utf8')) as {
  cases: {
    name: string;
    sha256: string;
    torchKeys: string[];
    num_batches_tracked: string;
    input: number[];
    features: number[];
    embedding: number[];
  }[];
};

function forward(model: ResNet, x: Float32Array, n: number, size: number) {
  return tf.tidy(() => {
    const out = model.forward(tf.tensor4d(x, [n, size, size, 3]), { training: false });
    return { features: out.features.dataSync() as Float32Array, embedding: out.embedding.dataSync() as Float32Array };
  });
}

describe('safetensors export into torchvision', () => {
  for (const c of ROUNDTRIP_CASES) {
    it(`${c.name}: the file torchvision loaded (strict=True, and the stock backbone), and torchvision's outputs within 1e-4`, async () => {
      const expected = roundtrip.cases.find((r) => r.name === c.name);
      expect(expected, `fixtures/torch-roundtrip.json has ${c.name}`).toBeDefined();
      const model = roundtripModel(c);
      try {
        const { safetensors, configJson } = await exportSafetensors(model, { inputSize: c.size });
        // The same bytes as the file torch_roundtrip.py read: a changed writer needs the fixture made again.
        expect(
          createHash('sha256').update(safetensors).digest('hex'),
          'the file torch_roundtrip.py loaded: after a change to the writer or the init, run its two commands again',
        ).toBe(expected!.sha256);
        expect(torchNames(model)).toEqual(expected!.torchKeys);
        expect(expected!.num_batches_tracked).toBe('torch.int64');
        expect(configJson.torchvision.loadable).toBe(true);
        const readme = encoderReadme(configJson);
        expect(readme).toContain(configJson.torchvision.python!.trimEnd()); // the snippet torch_roundtrip.py ran
        expect(readme).toContain(configJson.torchvision.backbonePython!.trimEnd());
        expect(expected!.input).toEqual([c.n, 3, c.size, c.size]);
        const out = forward(model, roundtripInput(c), c.n, c.size);
        expectSameOutputs(out, expected!, c.options.outDim!);
      } finally {
        model.dispose();
      }
    });
  }

  it('writes torchvision names and layouts, int64 num_batches_tracked, and metadata strings', async () => {
    const model = modelWithBnStats({ arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8, outDim: 16 }, 3);
    try {
      tf.tidy(() => model.buffers.get('bn1.num_batches_tracked')!.assign(tf.scalar(77, 'int32')));
      const { safetensors } = await exportSafetensors(model, { inputSize: 32 });
      const file = readSafetensors(safetensors);
      expect([...file.tensors.keys()].sort()).toEqual(torchNames(model).sort());
      const conv1 = file.tensors.get('conv1.weight')!;
      expect([conv1.dtype, conv1.shape]).toEqual(['F32', [8, 3, 3, 3]]); // OIHW
      // OIHW[o, i, y, x] = HWIO[y, x, i, o]
      const oihw = new Float32Array(conv1.data.buffer);
      const hwio = model.params.get('conv1.weight')!.dataSync();
      expect(oihw[((5 * 3 + 2) * 3 + 1) * 3 + 0]).toBe(hwio[((1 * 3 + 0) * 3 + 2) * 8 + 5]);
      const fc = file.tensors.get('fc.weight')!;
      expect(fc.shape).toEqual([16, 64]); // [out, in]
      expect(new Float32Array(fc.data.buffer)[3 * 64 + 10]).toBe(model.params.get('fc.weight')!.dataSync()[10 * 16 + 3]);
      const nbt = file.tensors.get('bn1.num_batches_tracked')!;
      expect([nbt.dtype, nbt.shape, new BigInt64Array(nbt.data.buffer)[0]]).toEqual(['I64', [], 77n]);
      expect(file.metadata).toMatchObject({
        format: 'pt',
        architecture: 'resnet18',
        stem: 'small',
        width_multiplier: '0.125',
        head: 'linear',
        output_dim: '16',
        torchvision_loadable: 'false',
      });
    } finally {
      model.dispose();
    }
  });

  it('says in the config when stock torchvision cannot hold the weights, and records the run', async () => {
    const model = modelWithBnStats({ arch: 'resnet50', stem: 'imagenet', widthMultiplier: 1 / 8, outDim: 16, mlpHead: true }, 4);
    try {
      const config: EncoderExportConfig = {
        arch: 'resnet50',
        stem: 'imagenet',
        widthMultiplier: 1 / 8,
        dim: 16,
        mlpHead: true,
        inputSize: 64,
        K: 4096,
        m: 0.999,
        T: 0.2,
        folderIds: [3],
      };
      const { configJson } = await exportSafetensors(model, config, { runId: 7, step: 1200 });
      expect(configJson).toMatchObject({
        architecture: 'resnet50',
        stem: 'imagenet',
        widthMultiplier: 0.125,
        stageWidths: [8, 16, 32, 64],
        featureDim: 256,
        outputDim: 16,
        head: { kind: 'mlp', keys: ['fc.0.weight', 'fc.0.bias', 'fc.2.weight', 'fc.2.bias'] },
        input: { size: 64, layout: 'NCHW', normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
        torchvision: { loadable: false, python: null, backbonePython: null },
        training: { K: 4096, m: 0.999, T: 0.2 },
        source: { runId: 7, step: 1200 },
      });
      expect(configJson.torchvision.reason).toMatch(
        /width multiplier 0.125: stage widths \[8, 16, 32, 64\] differ from torchvision's fixed \[64, 128, 256, 512\]/,
      );
      expect(configJson.training).not.toHaveProperty('folderIds');
      expect(encoderReadme(configJson)).toMatch(/These weights do not load into stock torchvision: width multiplier 0.125/);
      await expect(exportSafetensors(model, { ...config, arch: 'resnet18' })).rejects.toThrow(
        /expected config.arch resnet50 \(the model's\), got resnet18/,
      );
    } finally {
      model.dispose();
    }
  });
});

describe('TF.js export', () => {
  const cases: [string, Partial<ResNetOptions> & Pick<ResNetOptions, 'arch'>, number][] = [
    ['resnet18, small stem, MLP head', { arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8, outDim: 32, mlpHead: true }, 16],
    [
      'resnet50, ImageNet stem, linear head, several weight shards',
      { arch: 'resnet50', stem: 'imagenet', widthMultiplier: 1 / 4, outDim: 16 },
      64,
    ],
  ];
  const models: ResNet[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const [label, options, size] of cases) {
    it(`${label}: tf.loadLayersModel reads model.json + shards and gives the same features and embeddings within 1e-4`, async () => {
      const model = modelWithBnStats(options, 9);
      models.push(model);
      const before = tf.memory().numTensors;
      const files = await exportTfjs(model, size);
      expect(tf.memory().numTensors).toBe(before);

      const json = JSON.parse(files.find((f) => f.name === TFJS_MODEL_FILE)!.data.toString('utf8'));
      expect(json.format).toBe('layers-model');
      const shards = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths);
      expect(files.map((f) => f.name)).toEqual([TFJS_MODEL_FILE, ...shards]);
      shards.forEach((s: string, i: number) => expect(s).toBe(`group1-shard${i + 1}of${shards.length}.bin`));
      if (options.arch === 'resnet50') expect(shards.length).toBeGreaterThan(1);
      const layers = json.modelTopology.config.layers as { class_name: string; name: string }[];
      expect(layers.map((l) => l.name)).toEqual(
        expect.arrayContaining(['conv1', 'bn1', 'layer1.0.conv1', 'layer1.0.bn1', 'features', 'embedding']),
      );
      const stock = new Set([
        'InputLayer',
        'ZeroPadding2D',
        'Conv2D',
        'BatchNormalization',
        'ReLU',
        'MaxPooling2D',
        'Add',
        'GlobalAveragePooling2D',
        'Dense',
        'LayerNormalization',
        'Reshape',
        'Flatten',
      ]);
      for (const l of layers) expect(stock.has(l.class_name), l.class_name).toBe(true);
      expect(json.userDefinedMetadata).toMatchObject({ architecture: options.arch, input: { layout: 'NHWC' } });

      const lm = await tf.loadLayersModel(tfjsFilesHandler(new Map(files.map((f) => [f.name, f.data]))));
      try {
        const n = 3;
        const x = randomImages(n, size, 17);
        const [f, e] = tf.tidy(() =>
          (lm.predict(tf.tensor4d(x, [n, size, size, 3])) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array),
        );
        expectSameOutputs({ features: f, embedding: e }, forward(model, x, n, size), options.outDim!);
      } finally {
        lm.dispose();
      }
    });
  }

  it('refuses a model.json whose weight files are missing', async () => {
    const model = modelWithBnStats({ arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 16, outDim: 8 }, 2);
    models.push(model);
    const files = await exportTfjs(model, 8);
    const onlyJson = new Map([[TFJS_MODEL_FILE, files[0].data]]);
    await expect(tf.loadLayersModel(tfjsFilesHandler(onlyJson))).rejects.toThrow(
      /expected the weight file group1-shard1of1.bin that model.json lists, got none/,
    );
    await expect(tf.loadLayersModel(tfjsFilesHandler(new Map()))).rejects.toThrow(/expected a model.json, got files none/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromTorchLayout, torchShape, toTorchLayout } from '../../../src-main/core/moco/params';
import { ResNet, type ResNetArch, type ResNetStem } from '../../../src-main/core/moco/resnet';
import { Rng } from '../../../src-main/core/moco/rng';
import { expectAllClose, TINY, useCpuBackend, values } from './helpers';

beforeAll(useCpuBackend);

// torchvision resnet18(num_classes=128).named_parameters(): names, torch shapes, in order.
const RESNET18_PARAMS: [string, number[]][] = [
  ['conv1.weight', [64, 3, 7, 7]],
  ['bn1.weight', [64]],
  ['bn1.bias', [64]],
  ['layer1.0.conv1.weight', [64, 64, 3, 3]],
  ['layer1.0.bn1.weight', [64]],
  ['layer1.0.bn1.bias', [64]],
  ['layer1.0.conv2.weight', [64, 64, 3, 3]],
  ['layer1.0.bn2.weight', [64]],
  ['layer1.0.bn2.bias', [64]],
  ['layer1.1.conv1.weight', [64, 64, 3, 3]],
  ['layer1.1.bn1.weight', [64]],
  ['layer1.1.bn1.bias', [64]],
  ['layer1.1.conv2.weight', [64, 64, 3, 3]],
  ['layer1.1.bn2.weight', [64]],
  ['layer1.1.bn2.bias', [64]],
  ['layer2.0.conv1.weight', [128, 64, 3, 3]],
  ['layer2.0.bn1.weight', [128]],
  ['layer2.0.bn1.bias', [128]],
  ['layer2.0.conv2.weight', [128, 128, 3, 3]],
  ['layer2.0.bn2.weight', [128]],
  ['layer2.0.bn2.bias', [128]],
  ['layer2.0.downsample.0.weight', [128, 64, 1, 1]],
  ['layer2.0.downsample.1.weight', [128]],
  ['layer2.0.downsample.1.bias', [128]],
  ['layer2.1.conv1.weight', [128, 128, 3, 3]],
  ['layer2.1.bn1.weight', [128]],
  ['layer2.1.bn1.bias', [128]],
  ['layer2.1.conv2.weight', [128, 128, 3, 3]],
  ['layer2.1.bn2.weight', [128]],
  ['layer2.1.bn2.bias', [128]],
  ['layer3.0.conv1.weight', [256, 128, 3, 3]],
  ['layer3.0.bn1.weight', [256]],
  ['layer3.0.bn1.bias', [256]],
  ['layer3.0.conv2.weight', [256, 256, 3, 3]],
  ['layer3.0.bn2.weight', [256]],
  ['layer3.0.bn2.bias', [256]],
  ['layer3.0.downsample.0.weight', [256, 128, 1, 1]],
  ['layer3.0.downsample.1.weight', [256]],
  ['layer3.0.downsample.1.bias', [256]],
  ['layer3.1.conv1.weight', [256, 256, 3, 3]],
  ['layer3.1.bn1.weight', [256]],
  ['layer3.1.bn1.bias', [256]],
  ['layer3.1.conv2.weight', [256, 256, 3, 3]],
  ['layer3.1.bn2.weight', [256]],
  ['layer3.1.bn2.bias', [256]],
  ['layer4.0.conv1.weight', [512, 256, 3, 3]],
  ['layer4.0.bn1.weight', [512]],
  ['layer4.0.bn1.bias', [512]],
  ['layer4.0.conv2.weight', [512, 512, 3, 3]],
  ['layer4.0.bn2.weight', [512]],
  ['layer4.0.bn2.bias', [512]],
  ['layer4.0.downsample.0.weight', [512, 256, 1, 1]],
  ['layer4.0.downsample.1.weight', [512]],
  ['layer4.0.downsample.1.bias', [512]],
  ['layer4.1.conv1.weight', [512, 512, 3, 3]],
  ['layer4.1.bn1.weight', [512]],
  ['layer4.1.bn1.bias', [512]],
  ['layer4.1.conv2.weight', [512, 512, 3, 3]],
  ['layer4.1.bn2.weight', [512]],
  ['layer4.1.bn2.bias', [512]],
  ['fc.weight', [128, 512]],
  ['fc.bias', [128]],
];
// Its 20 BatchNorm layers; each has running_mean, running_var, num_batches_tracked buffers.
const RESNET18_BNS = [
  'bn1',
  ...['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'].flatMap((b) => [
    `${b}.bn1`,
    `${b}.bn2`,
  ]),
  'layer2.0.downsample.1',
  'layer3.0.downsample.1',
  'layer4.0.downsample.1',
];

function shapes(model: ResNet): [string, number[]][] {
  return [...model.params].map(([name, v]) => [name, torchShape(v.shape)]);
}

describe('ResNet topology and names', () => {
  it('resnet18 has torchvision parameter names and shapes, in order, and its 60 buffers', () => {
    const model = new ResNet({ arch: 'resnet18' }, new Rng(1));
    try {
      expect(RESNET18_PARAMS).toHaveLength(62);
      expect(shapes(model)).toEqual(RESNET18_PARAMS);
      const expectedBuffers = RESNET18_BNS.flatMap((bn) => [`${bn}.running_mean`, `${bn}.running_var`, `${bn}.num_batches_tracked`]);
      expect([...model.buffers.keys()].sort()).toEqual(expectedBuffers.sort());
      expect(model.buffers.size).toBe(60);
      expect(model.featureDim).toBe(512);
      for (const v of model.params.values()) expect(v.trainable).toBe(true);
      for (const v of model.buffers.values()) expect(v.trainable).toBe(false);
    } finally {
      model.dispose();
    }
  });

  it('resnet50 matches torchvision: 161 parameters, v1.5 stride on the 3x3 conv, 2048-d features', () => {
    const model = new ResNet({ arch: 'resnet50' }, new Rng(1));
    try {
      const s = new Map(shapes(model));
      expect(s.size).toBe(161);
      expect(model.buffers.size).toBe(159); // 53 BN layers x 3
      expect(s.get('layer1.0.conv1.weight')).toEqual([64, 64, 1, 1]);
      expect(s.get('layer1.0.conv3.weight')).toEqual([256, 64, 1, 1]);
      expect(s.get('layer1.0.downsample.0.weight')).toEqual([256, 64, 1, 1]);
      expect(s.get('layer3.0.conv1.weight')).toEqual([256, 512, 1, 1]);
      expect(s.get('layer3.0.conv2.weight')).toEqual([256, 256, 3, 3]);
      expect(s.get('layer3.0.downsample.0.weight')).toEqual([1024, 512, 1, 1]);
      expect(s.get('layer3.5.bn3.weight')).toEqual([1024]);
      expect(s.get('layer4.2.conv3.weight')).toEqual([2048, 512, 1, 1]);
      expect(s.get('fc.weight')).toEqual([128, 2048]);
      expect(s.has('layer3.6.conv1.weight')).toBe(false);
      expect(model.featureDim).toBe(2048);
    } finally {
      model.dispose();
    }
  });

  it('resnet34 has 3-4-6-3 basic blocks', () => {
    const model = new ResNet({ arch: 'resnet34', widthMultiplier: 1 / 16 }, new Rng(1));
    try {
      const names = [...model.params.keys()];
      expect(names.filter((n) => /^layer\d\.\d+\.conv1\.weight$/.test(n)).length).toBe(16);
      expect(names).toContain('layer3.5.conv2.weight');
      expect(names).not.toContain('layer1.0.conv3.weight');
    } finally {
      model.dispose();
    }
  });

  it('small stem, width multiplier and MLP head change shapes as documented', () => {
    const model = new ResNet({ ...TINY, mlpHead: true, outDim: 16 }, new Rng(1));
    try {
      const s = new Map(shapes(model));
      expect(s.get('conv1.weight')).toEqual([8, 3, 3, 3]);
      expect(s.get('layer4.1.conv2.weight')).toEqual([64, 64, 3, 3]);
      expect(s.get('fc.0.weight')).toEqual([64, 64]);
      expect(s.get('fc.0.bias')).toEqual([64]);
      expect(s.get('fc.2.weight')).toEqual([16, 64]);
      expect(s.has('fc.weight')).toBe(false);
    } finally {
      model.dispose();
    }
  });

  it('initialises like torchvision: kaiming normal fan_out convs, BN 1/0, linear U(±1/sqrt(in))', () => {
    const model = new ResNet({ arch: 'resnet18' }, new Rng(7));
    try {
      const w = values(model.params.get('layer4.1.conv1.weight')!); // fan_out = 512*9
      const mean = w.reduce((a, b) => a + b, 0) / w.length;
      const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(std / Math.sqrt(2 / (512 * 9))).toBeCloseTo(1, 2);
      expect(values(model.params.get('bn1.weight')!)).toEqual(new Array(64).fill(1));
      expect(values(model.params.get('bn1.bias')!)).toEqual(new Array(64).fill(0));
      expect(values(model.buffers.get('bn1.running_var')!)).toEqual(new Array(64).fill(1));
      const fc = values(model.params.get('fc.weight')!);
      const bound = 1 / Math.sqrt(512);
      expect(Math.max(...fc.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...fc.map(Math.abs))).toBeGreaterThan(0.99 * bound);
      // Same seed, same weights; another seed, other weights.
      const again = new ResNet({ ...TINY }, new Rng(7));
      const other = new ResNet({ ...TINY }, new Rng(8));
      const first = new ResNet({ ...TINY }, new Rng(7));
      expect(values(again.params.get('conv1.weight')!)).toEqual(values(first.params.get('conv1.weight')!));
      expect(values(other.params.get('conv1.weight')!)).not.toEqual(values(first.params.get('conv1.weight')!));
      for (const m of [again, other, first]) m.dispose();
    } finally {
      model.dispose();
    }
  });

  it('converts between stored and torch layouts', () => {
    tf.tidy(() => {
      const w = tf.tensor4d(
        Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i),
        [2, 3, 4, 5],
      ); // KHxKWxCixCo
      const t = toTorchLayout(w);
      expect(t.shape).toEqual([5, 4, 2, 3]);
      // torch[co, ci, kh, kw] = ours[kh, kw, ci, co]
      expect(t.arraySync()).toEqual(
        Array.from({ length: 5 }, (_, co) =>
          Array.from({ length: 4 }, (_, ci) =>
            Array.from({ length: 2 }, (_, kh) => Array.from({ length: 3 }, (_, kw) => ((kh * 3 + kw) * 4 + ci) * 5 + co)),
          ),
        ),
      );
      expect(values(fromTorchLayout(t))).toEqual(values(w));
      const lin = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]); // [in, out]
      expect(toTorchLayout(lin).arraySync()).toEqual([
        [1, 3, 5],
        [2, 4, 6],
      ]);
    });
  });

  it('refuses unknown architectures and bad options clearly', () => {
    expect(() => new ResNet({ arch: 'resnet101' as ResNetArch }, new Rng(1))).toThrow(
      /expected arch resnet18 \| resnet34 \| resnet50, got resnet101/,
    );
    expect(() => new ResNet({ arch: 'resnet18', stem: 'tiny' as ResNetStem }, new Rng(1))).toThrow(/expected stem/);
    expect(() => new ResNet({ arch: 'resnet18', widthMultiplier: 0 }, new Rng(1))).toThrow(/widthMultiplier/);
    const model = new ResNet({ ...TINY }, new Rng(1));
    try {
      const gray = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D;
      expect(() => model.forward(gray, { training: false })).toThrow(/expected an NxHxWx3 batch, got shape \[2, 16, 16, 1\]/);
      const x = tf.zeros([6, 16, 16, 3]) as tf.Tensor4D;
      expect(() => model.forward(x, { training: true, bnGroups: 4 })).toThrow(/expected BN groups dividing the batch of 6, got 4/);
      tf.dispose([gray, x]);
    } finally {
      model.dispose();
    }
  });
});

describe('ResNet forward', () => {
  it('gives NxD features and L2-normalised NxoutDim embeddings, without leaking tensors', () => {
    const model = new ResNet({ ...TINY, outDim: 32 }, new Rng(3));
    const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    try {
      const before = tf.memory().numTensors;
      const { features, embedding } = model.forward(x, { training: false });
      expect(features.shape).toEqual([4, 64]);
      expect(embedding.shape).toEqual([4, 32]);
      const norms = tf.norm(embedding, 'euclidean', 1);
      for (const n of values(norms)) expect(n).toBeCloseTo(1, 5);
      norms.dispose();
      tf.dispose([features, embedding]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('training mode updates running stats as torch does (momentum 0.1, unbiased var); eval mode leaves them', () => {
    const model = new ResNet({ ...TINY }, new Rng(3));
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    try {
      const rm = model.buffers.get('bn1.running_mean')!;
      const rv = model.buffers.get('bn1.running_var')!;
      tf.dispose(model.forward(x, { training: false }));
      expect(values(rm)).toEqual(new Array(8).fill(0));
      expect(model.buffers.get('bn1.num_batches_tracked')!.dataSync()[0]).toBe(0);

      // bn1's input is conv1(x); its per-channel stats over N*H*W = 256 values.
      const conv = tf.tidy(() => tf.conv2d(x, model.params.get('conv1.weight') as tf.Variable<tf.Rank.R4>, 1, 'same'));
      const m = tf.tidy(() => tf.moments(conv, [0, 1, 2]));
      const mean = values(m.mean);
      const unbiased = values(m.variance).map((v) => (v * 256) / 255);
      tf.dispose([conv, m.mean, m.variance]);

      tf.dispose(model.forward(x, { training: true }));
      expectAllClose(
        values(rm),
        mean.map((v) => 0.1 * v),
        1e-5,
        1e-6,
      );
      expectAllClose(
        values(rv),
        unbiased.map((v) => 0.9 + 0.1 * v),
        1e-5,
        1e-6,
      );
      expect(model.buffers.get('bn1.num_batches_tracked')!.dataSync()[0]).toBe(1);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

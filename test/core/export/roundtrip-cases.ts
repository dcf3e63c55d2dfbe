// The models and inputs of the torchvision round trip: fixtures/make-roundtrip.ts exports them,
// fixtures/torch_roundtrip.py loads the export into torchvision and stores its outputs, and
// weights-export.test.ts rebuilds the same models from their seeds and compares.
import * as tf from '@tensorflow/tfjs';
import type { ResNet, ResNetOptions } from '../../../src-main/core/moco/resnet';
import { modelWithBnStats, randomImages } from './helpers';

export interface RoundtripCase {
  name: string;
  options: Partial<ResNetOptions> & Pick<ResNetOptions, 'arch'>;
  seed: number;
  /** Images of the input, NHWC N x size x size x 3 (randomImages(n, size, seed + 100)). */
  n: number;
  size: number;
}

/** Width 1: the only width stock torchvision holds. */
export const ROUNDTRIP_CASES: RoundtripCase[] = [
  {
    name: 'resnet18-small-mlp',
    options: { arch: 'resnet18', stem: 'small', widthMultiplier: 1, outDim: 128, mlpHead: true },
    seed: 11,
    n: 2,
    size: 16,
  },
  {
    name: 'resnet18-imagenet-linear',
    options: { arch: 'resnet18', stem: 'imagenet', widthMultiplier: 1, outDim: 128, mlpHead: false },
    seed: 12,
    n: 2,
    size: 64,
  },
];

export function roundtripModel(c: RoundtripCase): ResNet {
  return modelWithBnStats(c.options, c.seed);
}

export function roundtripInput(c: RoundtripCase): Float32Array {
  return randomImages(c.n, c.size, c.seed + 100);
}

/** NHWC -> NCHW, the layout the Python side feeds torchvision. */
export function toNchw(x: Float32Array, n: number, size: number): Float32Array {
  return tf.tidy(() => tf.transpose(tf.tensor4d(x, [n, size, size, 3]), [0, 3, 1, 2]).dataSync() as Float32Array);
}

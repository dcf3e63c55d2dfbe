// The convolution on the native TensorFlow backends (tfjs-node, tfjs-node-gpu). Those packages
// cannot be installed here, so their padding rules are reproduced by a stand-in backend named
// 'tensorflow': the cpu backend's kernels behind the checks tfjs-node makes. Its Conv2D takes
// 'valid', 'same' and explicit pads but not a number; its Conv2DBackpropFilter takes only
// 'valid' and 'same'. The ResNet's numeric padding must never reach them.
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d, convRoute } from '../../../src-main/core/engine/conv';
import type { ConvPadding } from '../../../src-main/core/engine/conv-geometry';
import { ResNet } from '../../../src-main/core/moco/resnet';
import { Rng } from '../../../src-main/core/moco/rng';
import { expectAllClose, TINY, useCpuBackend } from '../moco/helpers';

type PadAttr = 'valid' | 'same' | number | number[][];

function padType(pad: PadAttr): string {
  if (typeof pad === 'number') return 'NUMBER';
  if (Array.isArray(pad)) return 'EXPLICIT';
  return pad.toUpperCase();
}

/** Registers 'tensorflow': cpu kernels, with tfjs-node's refusals of the paddings it lacks. */
function registerStrictTensorflow(): void {
  if (tf.findBackend('tensorflow')) return;
  tf.registerBackend('tensorflow', () => new MathBackendCPU(), 0);
  const accepts: Record<string, string[]> = {
    Conv2D: ['VALID', 'SAME', 'EXPLICIT'],
    Conv2DBackpropInput: ['VALID', 'SAME', 'EXPLICIT'],
    Conv2DBackpropFilter: ['VALID', 'SAME'],
  };
  for (const k of tf.getKernelsForBackend('cpu')) {
    const allowed = accepts[k.kernelName];
    const kernelFunc: tf.KernelFunc = allowed
      ? (args) => {
          const type = padType((args.attrs as { pad: PadAttr }).pad);
          if (!allowed.includes(type)) throw new Error(`TF Backend supports only 'valid' and 'same' padding while padding was ${type}`);
          return k.kernelFunc(args);
        }
      : k.kernelFunc;
    tf.registerKernel({ ...k, backendName: 'tensorflow', kernelFunc });
  }
}

beforeAll(async () => {
  await useCpuBackend();
  registerStrictTensorflow();
});

/** Output and both gradients of sum(conv(x, w) * probe) on a backend. */
async function convWithGrads(
  backend: string,
  x: Float32Array,
  w: Float32Array,
  xs: number[],
  ws: number[],
  stride: number,
  padding: ConvPadding,
) {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, xs as [number, number, number, number]);
  const wt = tf.tensor4d(w, ws as [number, number, number, number]);
  const y = conv2d(xt, wt, stride, padding);
  const probe = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, padding), probe)),
  )([xt, wt]);
  const out = await Promise.all([y, dx, dw].map((t) => t.data()));
  tf.dispose([xt, wt, y, probe, dx, dw]);
  return out as Float32Array[];
}

describe('conv2d on the native TensorFlow backends', () => {
  it('routes tensorflow to TF kernels, webgpu and the CPU backends to MocoConv2D', () => {
    expect(convRoute('tensorflow')).toBe('native');
    expect(convRoute('webgpu')).toBe('gpu');
    expect(convRoute('wasm')).toBe('forward');
    expect(convRoute('cpu')).toBe('forward');
  });

  it('the stand-in refuses numeric padding as tfjs-node does', async () => {
    await tf.setBackend('tensorflow');
    const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => tf.conv2d(x, w, 2, 1)).toThrow("TF Backend supports only 'valid' and 'same' padding while padding was NUMBER");
    tf.dispose([x, w]);
  });

  const cases: [string, number[], number[], number, ConvPadding][] = [
    ['7x7 stride 2 pad 3', [2, 15, 14, 3], [7, 7, 3, 4], 2, 3],
    ['3x3 stride 2 pad 1', [2, 9, 8, 4], [3, 3, 4, 5], 2, 1],
    ['3x3 stride 1 same', [2, 8, 8, 3], [3, 3, 3, 4], 1, 'same'],
    ['1x1 stride 2 valid', [2, 9, 9, 3], [1, 1, 3, 4], 2, 'valid'],
  ];
  for (const [label, xs, ws, stride, padding] of cases) {
    it(`${label}: output and both gradients equal the cpu backend's`, async () => {
      const rng = new Rng(xs[1] + ws[0]);
      const x = Float32Array.from(rng.normal(xs.reduce((a, b) => a * b)));
      const w = Float32Array.from(rng.normal(ws.reduce((a, b) => a * b)));
      const native = await convWithGrads('tensorflow', x, w, xs, ws, stride, padding);
      const reference = await convWithGrads('cpu', x, w, xs, ws, stride, padding);
      native.forEach((v, i) => expectAllClose(v, reference[i], 1e-5, 1e-5));
    });
  }

  it('a whole ResNet (ImageNet stem) trains a step on it', async () => {
    await tf.setBackend('tensorflow');
    const net = new ResNet({ ...TINY, stem: 'imagenet' }, new Rng(1));
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const { value, grads } = tf.variableGrads(
      () => tf.sum(net.forward(x, { training: true }).embedding) as tf.Scalar,
      net.trainableVariables(),
    );
    expect(Object.keys(grads)).toHaveLength(net.trainableVariables().length);
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    tf.dispose([x, value, grads]);
    net.dispose();
  });
});

// The convolution every model in the project uses, routed by backend so that each gets the
// gradient it computes fastest and a padding its kernels accept:
// - native TensorFlow (tfjs-node, tfjs-node-gpu): plain tf.conv2d and TF's own gradient kernels.
//   Their kernels take only 'valid'/'same' (and explicit pads forward, not for the filter
//   gradient), so torch's numeric padding is an explicit tf.pad followed by a 'valid' conv.
// - webgpu: MocoConv2D (below) with the backend's matrix-product input gradient, and a filter
//   gradient as one split-K matrix product per kernel tap (the backend's own filter-gradient
//   shader gives each weight one thread that loops over the whole batch).
// - wasm and cpu: MocoConv2D with gradients that are forward convolutions (conv-grads.ts).
// MocoConv2D reuses the backend's forward Conv2D kernel under another name; a registered
// gradient, unlike tf.customGrad, hands the tape one closure per input, so dx is never computed
// for an input that needs no gradient (the images entering the stem) and dw never for frozen weights.
import * as tf from '@tensorflow/tfjs';
import { madeByBackward } from './backward-scope';
import { convFilterGrad, convFilterGradByTaps, convInputGrad } from './conv-grads';
import { axisPads, type ConvPadding } from './conv-geometry';
import { registerCustomKernel } from './custom-kernel';
import { nativeConv, nativePads, type WasmHeap } from './native-route';
import { convOutShape, type Pads } from './native-conv-graphs';

export type { ConvPadding } from './conv-geometry';

const KERNEL = 'MocoConv2D';

type ExplicitPads = [[0, 0], [number, number], [number, number], [0, 0]];

/** The attributes of TF's Conv2D kernel that MocoConv2D passes on to it, and the padding asked for. */
type MocoConvAttrs = {
  strides: [number, number];
  /** 'same' and numeric pads go to the kernel as explicit pads (XNNPACK's own SAME mode fails where TF's pad is 0) */
  pad: 'valid' | ExplicitPads;
  dilations: [number, number];
  dataFormat: 'NHWC';
  padding: ConvPadding;
};

/** How a backend's convolutions run and get their gradients (see the top of this file). */
export type ConvRoute = 'native' | 'gpu' | 'forward';

export function convRoute(backendName: string): ConvRoute {
  if (backendName === 'tensorflow') return 'native';
  if (backendName === 'webgpu') return 'gpu';
  return 'forward';
}

/** x: NxHxWxCi, w: KHxKWxCixCo (TF layout) -> NxOHxOWxCo. A numeric padding pads both sides, as torch does. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  checkConvArgs(x, w, stride, padding);
  if (convRoute(tf.getBackend()) === 'native') return paddedConv(x, w, stride, padding);
  return conv2dForwardGrads(x, w, stride, padding);
}

/** tf.conv2d with only the paddings TensorFlow's kernels take: a numeric pad becomes tf.pad + 'valid'. */
export function paddedConv(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  checkConvArgs(x, w, stride, padding);
  if (typeof padding !== 'number') return tf.conv2d(x, w, stride, padding);
  const p = padding;
  // torch pads p on both sides and drops what a stride leaves over; a 'valid' conv of the padded input does the same.
  const padded =
    p > 0
      ? tf.pad(x, [
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ])
      : x;
  return tf.conv2d(padded, w, stride, 'valid');
}

/** conv2d with gradients made of forward convolutions, whatever the backend. */
export function conv2dForwardGrads(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  checkConvArgs(x, w, stride, padding);
  registerFor(tf.getBackend());
  const attrs: MocoConvAttrs = {
    strides: [stride, stride],
    pad: kernelPads(x, w, stride, padding),
    dilations: [1, 1],
    dataFormat: 'NHWC',
    padding,
  };
  return tf.engine().runKernel(KERNEL, { x, filter: w }, attrs) as tf.Tensor4D;
}

function kernelPads(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): MocoConvAttrs['pad'] {
  if (padding === 'valid') return 'valid';
  const rows = axisPads(x.shape[1], w.shape[0], stride, padding);
  const cols = axisPads(x.shape[2], w.shape[1], stride, padding);
  return [
    [0, 0],
    [rows.before, rows.after],
    [cols.before, cols.after],
    [0, 0],
  ];
}

function checkConvArgs(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): void {
  if (x.rank !== 4) throw new Error(`conv2d: expected x of rank 4 (NxHxWxC), got shape [${x.shape}]`);
  if (w.rank !== 4) throw new Error(`conv2d: expected w of rank 4 (KHxKWxCixCo), got shape [${w.shape}]`);
  if (x.shape[3] !== w.shape[2]) throw new Error(`conv2d: expected x with ${w.shape[2]} channels (w is [${w.shape}]), got ${x.shape[3]}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`conv2d: expected a positive integer stride, got ${stride}`);
  if (padding !== 'same' && padding !== 'valid' && !(Number.isInteger(padding) && (padding as number) >= 0)) {
    throw new Error(`conv2d: expected padding 'same', 'valid' or a pixel count >= 0, got ${String(padding)}`);
  }
  axisPads(x.shape[1], w.shape[0], stride, padding); // throws for a 'valid' input smaller than the kernel
  axisPads(x.shape[2], w.shape[1], stride, padding);
}

/** MocoConv2D on a backend is that backend's Conv2D kernel under another name. */
function registerFor(backendName: string): void {
  registerCustomKernel(
    {
      kernelName: KERNEL,
      inputsToSave: ['x', 'filter'],
      gradFunc: (dy, saved, attrs) => {
        const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { strides, padding } = attrs as unknown as MocoConvAttrs;
        const g = dy as tf.Tensor4D;
        // The filter's closure runs after the input's (the engine follows the inputs' order), so
        // it frees dy, which only this node reads (see backward-scope.ts).
        const owned = madeByBackward(g);
        const filterGrad = (dw: () => tf.Tensor4D) => () => {
          const result = dw();
          if (owned) g.dispose();
          return result;
        };
        if (convRoute(tf.getBackend()) === 'gpu') {
          const { pad } = attrs as unknown as MocoConvAttrs;
          return {
            x: () =>
              tf
                .engine()
                .runKernel(
                  'Conv2DBackpropInput',
                  { dy: g, filter: w },
                  { strides, pad, dataFormat: 'NHWC', inputShape: x.shape },
                ) as tf.Tensor4D,
            filter: filterGrad(() => convFilterGradByTaps(x, g, w.shape, strides[0], padding)),
          };
        }
        return {
          x: () => convInputGrad(g, w, x.shape, strides[0], padding),
          filter: filterGrad(() => convFilterGrad(x, g, w.shape, strides[0], padding)),
        };
      },
    },
    backendName,
    () => {
      const conv = tf.getKernel('Conv2D', backendName);
      if (!conv) throw new Error(`conv2d: expected backend '${backendName}' to have a Conv2D kernel, got none`);
      const backendConv = conv.kernelFunc;
      return backendName === 'wasm' ? (args) => nativeConvKernel(args) ?? backendConv(args) : backendConv;
    },
  );
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** MocoConv2D on onnxruntime's native kernels where the wasm engine hands them a shape (native-route.ts). */
function nativeConvKernel({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo | null {
  const engine = nativeConv();
  if (!engine) return null;
  const backend = b as unknown as CpuBackend;
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad } = attrs as unknown as MocoConvAttrs;
  const pads: Pads = pad === 'valid' ? [0, 0, 0, 0] : nativePads(pad);
  const shape = { x: x.shape as Shape4, w: filter.shape as Shape4, stride: strides[0], pads };
  const out = convOutShape(shape);
  const read = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t as Parameters<WasmHeap['typedArrayFromHeap']>[0]);
  // makeOutput copies the engine's result into wasm memory.
  return backend.makeOutput(out, 'float32', undefined, engine.forward(read(x), read(filter), shape));
}

type Shape4 = [number, number, number, number];
/** What the wasm backend offers a kernel: values out, a new tensor in. */
interface CpuBackend extends WasmHeap {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset: undefined, values: Float32Array): tf.TensorInfo;
}

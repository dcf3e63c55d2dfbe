// Which convolutions of the wasm engine run on onnxruntime's native kernels (native-conv.ts),
// and the TF.js side of that: values read out of the backend, the result written back. Native
// convolutions are on by default where onnxruntime loads; MOCO_NATIVE_CONV=0 keeps every
// convolution on wasm.
import * as tf from '@tensorflow/tfjs';
import { NativeConv, type ConvShape, type FilterGradShape, type Pads } from './native-conv';
import { convOutShape } from './native-conv-graphs';
import { wantedWasmThreads } from './wasm-threads';

let loaded: NativeConv | string | null = null;
let wanted = process.env.MOCO_NATIVE_CONV?.trim() !== '0';

/** Turns native convolutions on or off for this process (tests compare both). */
export function useNativeConv(on: boolean): void {
  wanted = on;
}

/** The native engine, loaded on first use, or why it cannot load. */
function load(): NativeConv | string {
  return (loaded ??= NativeConv.load(wantedWasmThreads()));
}

/** The native convolutions, when the wasm engine is active and they are wanted and load. */
export function nativeConv(): NativeConv | null {
  if (!wanted || tf.getBackend() !== 'wasm') return null;
  const native = load();
  return typeof native === 'string' ? null : native;
}

/** How the wasm engine convolves, in words for the engine's label. */
export function nativeConvLabel(): string {
  if (!wanted) return 'convolutions on wasm (MOCO_NATIVE_CONV=0)';
  const native = load();
  return typeof native === 'string' ? `convolutions on wasm (${native})` : 'convolutions on onnxruntime (native CPU)';
}

/** TF's NHWC pads ([[0, 0], [top, bottom], [left, right], [0, 0]]) as the native engine's [top, bottom, left, right]. */
export function nativePads(p: readonly (readonly [number, number])[]): Pads {
  return [p[1][0], p[1][1], p[2][0], p[2][1]];
}

type Shape4 = [number, number, number, number];

/** The wasm backend's own memory of a tensor: read without a copy. */
export interface WasmHeap {
  typedArrayFromHeap(t: { shape: number[]; dtype: 'float32'; dataId: object }): Float32Array;
}

const heapOf = (t: tf.Tensor): Float32Array =>
  (tf.backend() as unknown as WasmHeap).typedArrayFromHeap({ shape: t.shape, dtype: 'float32', dataId: t.dataId });

// The results are views of the native engine's buffer; tf.tensor copies them into wasm memory.

/** conv2d of tensors through the native engine: x NxHxWxCi, w KHxKWxCixCo. */
export function nativeConv2d(engine: NativeConv, x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pads: Pads): tf.Tensor4D {
  const s: ConvShape = { x: x.shape as Shape4, w: w.shape as Shape4, stride, pads };
  return tf.tensor4d(engine.forward(heapOf(x), heapOf(w), s), convOutShape(s));
}

/** dL/dw through the native engine: KHxKWxCixCo. */
export function nativeFilterGrad(engine: NativeConv, x: tf.Tensor4D, dy: tf.Tensor4D, s: Omit<FilterGradShape, 'x' | 'dy'>): tf.Tensor4D {
  const shape = { ...s, x: x.shape as Shape4, dy: dy.shape as Shape4 };
  return tf.tensor4d(engine.filterGrad(heapOf(x), heapOf(dy), shape), [s.kernel[0], s.kernel[1], x.shape[3], dy.shape[3]]);
}

// The convolution every model in the project uses. On the native TensorFlow backends it is
// plain tf.conv2d (their gradient kernels are fast). Elsewhere it runs as its own kernel,
// MocoConv2D, which reuses the backend's forward Conv2D and whose gradients are forward
// convolutions too (see conv-grads.ts). A registered gradient, unlike tf.customGrad, hands
// the tape one closure per input, so dx is never computed for an input that needs no
// gradient (the images entering the stem) and dw never for frozen weights.
import * as tf from '@tensorflow/tfjs';
import { convFilterGrad, convInputGrad } from './conv-grads';
import { axisPads, type ConvPadding } from './conv-geometry';

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

/** x: NxHxWxCi, w: KHxKWxCixCo (TF layout) -> NxOHxOWxCo. A numeric padding pads both sides, as torch does. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  checkConvArgs(x, w, stride, padding);
  const backend = tf.getBackend();
  if (backend === 'tensorflow') return tf.conv2d(x, w, stride, padding);
  return conv2dForwardGrads(x, w, stride, padding);
}

/** conv2d with gradients made of forward convolutions, whatever the backend. */
export function conv2dForwardGrads(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): tf.Tensor4D {
  checkConvArgs(x, w, stride, padding);
  registerFor(tf.getBackend());
  const attrs: MocoConvAttrs = { strides: [stride, stride], pad: kernelPads(x, w, stride, padding), dilations: [1, 1], dataFormat: 'NHWC', padding };
  return tf.engine().runKernel(KERNEL, { x, filter: w }, attrs) as tf.Tensor4D;
}

function kernelPads(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: ConvPadding): MocoConvAttrs['pad'] {
  if (padding === 'valid') return 'valid';
  const rows = axisPads(x.shape[1], w.shape[0], stride, padding);
  const cols = axisPads(x.shape[2], w.shape[1], stride, padding);
  return [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]];
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

let gradientRegistered = false;

/** MocoConv2D on a backend is that backend's Conv2D kernel under another name. */
function registerFor(backendName: string): void {
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: KERNEL,
      inputsToSave: ['x', 'filter'],
      gradFunc: (dy, saved, attrs) => {
        const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { strides, padding } = attrs as unknown as MocoConvAttrs;
        const g = dy as tf.Tensor4D;
        return {
          x: () => convInputGrad(g, w, x.shape, strides[0], padding),
          filter: () => convFilterGrad(x, g, w.shape, strides[0], padding),
        };
      },
    });
    gradientRegistered = true;
  }
  if (tf.getKernel(KERNEL, backendName)) return;
  const conv = tf.getKernel('Conv2D', backendName);
  if (!conv) throw new Error(`conv2d: expected backend '${backendName}' to have a Conv2D kernel, got none`);
  tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc: conv.kernelFunc });
}

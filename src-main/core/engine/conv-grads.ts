// Convolution gradients written as forward convolutions, so that they run at the speed of a
// backend's forward kernel (the wasm backend has no Conv2DBackpropFilter and a slow
// Conv2DBackpropInput). Layout is TF's: x NxHxWxCi, w KHxKWxCixCo, dy NxOHxOWxCo.
import * as tf from '@tensorflow/tfjs';
import { axisPads, axisPhasePlan, type AxisPhasePlan, type ConvPadding } from './conv-geometry';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/** dL/dx for y = conv2d(x, w, stride, padding): NxOHxOWxCo -> NxHxWxCi. */
export function convInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
  padding: ConvPadding,
): tf.Tensor4D {
  return w.shape[0] === 1 && w.shape[1] === 1 && stride > 1
    ? sparseOneByOneInputGrad(dy, w, xShape, stride)
    : inputGradPolyphase(dy, w, xShape, stride, padding);
}

/** Any kernel and stride: one stride-1 convolution of dy yields all s*s phases of dx. */
export function inputGradPolyphase(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
  padding: ConvPadding,
): tf.Tensor4D {
  const [n, h, wd, ci] = xShape;
  const [kh, kw] = w.shape;
  return tf.tidy(() => {
    const rows = axisPhasePlan(h, kh, stride, axisPads(h, kh, stride, padding));
    const cols = axisPhasePlan(wd, kw, stride, axisPads(wd, kw, stride, padding));
    const filter = phaseFilter(w, rows, cols, stride); // LHxLWxCox(s*s*Ci)
    // dy cropped where a pad is negative, padded inside the convolution where positive
    const crop = dy.slice(
      [0, Math.max(-rows.padBefore, 0), Math.max(-cols.padBefore, 0), 0],
      [n, dy.shape[1] - Math.max(-rows.padBefore, 0) - Math.max(-rows.padAfter, 0),
        dy.shape[2] - Math.max(-cols.padBefore, 0) - Math.max(-cols.padAfter, 0), dy.shape[3]],
    );
    const pads: Pad4 = [[0, 0], [Math.max(rows.padBefore, 0), Math.max(rows.padAfter, 0)],
      [Math.max(cols.padBefore, 0), Math.max(cols.padAfter, 0)], [0, 0]];
    const phases = tf.conv2d(crop, filter, 1, pads); // NxBHxBWx(s*s*Ci)
    const dx = stride === 1 ? phases : tf.depthToSpace(phases, stride); // Nx(BH*s)x(BW*s)xCi
    return dx.shape[1] === h && dx.shape[2] === wd ? dx : dx.slice([0, 0, 0, 0], [n, h, wd, ci]);
  });
}

/**
 * The shared-window filter of every phase: entry [t, u, co, (a*s + b)*Ci + ci] is
 * w[rows.tap[t][a], cols.tap[u][b], ci, co], zero where a phase has no tap. It is built as
 * one 0/1 selection matrix times w (exact in float32): on wasm, reverse and gather of a
 * large filter cost more than the convolution itself, a small matrix product does not.
 */
function phaseFilter(w: tf.Tensor4D, rows: AxisPhasePlan, cols: AxisPhasePlan, s: number): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const outH = rows.window * s;
  const outW = cols.window * s;
  const select = new Float32Array(outH * outW * kh * kw); // (LH*s*LW*s) x (KH*KW)
  for (let i = 0; i < outH; i++) for (let j = 0; j < outW; j++) {
    const r = rows.tap[Math.floor(i / s)][i % s];
    const c = cols.tap[Math.floor(j / s)][j % s];
    if (r >= 0 && c >= 0) select[(i * outW + j) * kh * kw + r * kw + c] = 1;
  }
  const picked = tf.matMul(tf.tensor2d(select, [outH * outW, kh * kw]), w.reshape([kh * kw, ci * co])); // (LH*s*LW*s)x(Ci*Co)
  return picked
    .reshape([rows.window, s, cols.window, s, ci, co])
    .transpose([0, 2, 5, 1, 3, 4]) // LHxLWxCoxsxsxCi
    .reshape([rows.window, cols.window, co, s * s * ci]) as tf.Tensor4D;
}

/** A strided 1x1 convolution touches one input pixel in s*s: dy*w^T lands there, zeros elsewhere. */
export function sparseOneByOneInputGrad(
  dy: tf.Tensor4D, w: tf.Tensor4D, [n, h, wd, ci]: [number, number, number, number], s: number,
): tf.Tensor4D {
  const [, oh, ow, co] = dy.shape;
  return tf.tidy(() => {
    const dxs = tf.conv2d(dy, w.reshape([1, 1, ci, co]).transpose([0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid'); // NxOHxOWxCi
    return dxs
      .reshape([n, oh, 1, ow, 1, ci])
      .pad([[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]]) // zeros between the pixels read
      .reshape([n, oh * s, ow * s, ci])
      .slice([0, 0, 0, 0], [n, h, wd, ci]) as tf.Tensor4D;
  });
}

/**
 * dL/dw for y = conv2d(x, w, stride, padding) -> KHxKWxCixCo. The sum over the batch and
 * the output positions becomes a forward convolution by swapping roles: Ci is the batch,
 * N the channels, dy the filter, dilated by the stride. On wasm this beats one matrix
 * product of im2col patches for every ResNet layer, 1x1 kernels included.
 */
export function convFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw, ci]: [number, number, number, number],
  stride: number,
  padding: ConvPadding,
): tf.Tensor4D {
  const [n, h, wd] = x.shape;
  const [, oh, ow] = dy.shape;
  return tf.tidy(() => {
    const rows = axisPads(h, kh, stride, padding);
    const cols = axisPads(wd, kw, stride, padding);
    // The forward pass read rows [-before, -before + extent): pad past the input, crop inside it.
    const extentH = (oh - 1) * stride + kh;
    const extentW = (ow - 1) * stride + kw;
    const usedH = Math.min(h, extentH - rows.before);
    const usedW = Math.min(wd, extentW - cols.before);
    const xc = usedH === h && usedW === wd ? x : x.slice([0, 0, 0, 0], [n, usedH, usedW, ci]);
    const pads: Pad4 = [[0, 0], [rows.before, Math.max(extentH - rows.before - h, 0)],
      [cols.before, Math.max(extentW - cols.before - wd, 0)], [0, 0]];
    const xt = xc.transpose([3, 1, 2, 0]) as tf.Tensor4D; // CixHxWxN
    const dyt = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // OHxOWxNxCo
    const dw = tf.conv2d(xt, dyt, 1, pads, 'NHWC', stride); // CixKHxKWxCo
    return dw.transpose([1, 2, 0, 3]) as tf.Tensor4D; // KHxKWxCixCo
  });
}

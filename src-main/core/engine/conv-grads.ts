// Convolution gradients written as forward convolutions, so that they run at the speed of a
// backend's forward kernel (the wasm backend has no Conv2DBackpropFilter and a slow
// Conv2DBackpropInput). Layout is TF's: x NxHxWxCi, w KHxKWxCixCo, dy NxOHxOWxCo.
import * as tf from '@tensorflow/tfjs';
import { axisPads, axisPhasePlan, type AxisPhase, type AxisPhasePlan, type ConvPadding } from './conv-geometry';
import { nativeConv, nativeConv2d, nativeFilterGrad, nativePads } from './native-route';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * dL/dx for y = conv2d(x, w, stride, padding): NxOHxOWxCo -> NxHxWxCi. Each of the s*s
 * phases of dx (the inputs at one offset modulo the stride) is one stride-1 convolution of
 * dy with the kernel taps that reach it, so the products are those of the forward pass; the
 * phases are then interleaved by a reshape and a transpose (DepthToSpace is far slower on wasm).
 */
export function convInputGrad(
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
    const filters = phaseFilters(w, rows, cols); // per phase JHxJWxCoxCi, null where no tap reaches
    const zeros = () => tf.zeros([n, rows.blocks, cols.blocks, ci]) as tf.Tensor4D;
    const phases = filters.map((f, i) =>
      f ? phaseCorrelation(dy, f, rows.phases[Math.floor(i / stride)], cols.phases[i % stride]) : null,
    );
    const live = phases.filter((p): p is tf.Tensor4D => p !== null);
    const dx =
      live.length === 1 && stride > 1
        ? spread(live[0], phases.indexOf(live[0]), stride)
        : interleave(
            phases.map((p) => p ?? zeros()),
            stride,
          ); // Nx(BH*s)x(BW*s)xCi
    return dx.shape[1] === h && dx.shape[2] === wd ? dx : dx.slice([0, 0, 0, 0], [n, h, wd, ci]);
  });
}

/**
 * The filter of every phase (a, b), in the order a*s + b: entry [t, u, co, ci] is
 * w[rows.phases[a].taps[t], cols.phases[b].taps[u], ci, co]. Every kernel tap belongs to one
 * phase, so all of them come out of one row permutation of w, done as a 0/1 matrix product
 * (exact in float32; on wasm, reverse and gather of a large filter cost more than that), and
 * one transpose of Ci and Co.
 */
function phaseFilters(w: tf.Tensor4D, rows: AxisPhasePlan, cols: AxisPhasePlan): (tf.Tensor4D | null)[] {
  const [kh, kw, ci, co] = w.shape;
  const order: number[] = []; // source tap (kr*KW + kc) of each row, phase by phase
  const spans: ({ start: number; jh: number; jw: number } | null)[] = [];
  for (const pr of rows.phases)
    for (const pc of cols.phases) {
      if (!pr.taps.length || !pc.taps.length) {
        spans.push(null);
        continue;
      }
      spans.push({ start: order.length, jh: pr.taps.length, jw: pc.taps.length });
      for (const kr of pr.taps) for (const kc of pc.taps) order.push(kr * kw + kc);
    }
  const taps = kh * kw;
  let picked = w.reshape([taps, ci * co]) as tf.Tensor2D; // (KH*KW)x(Ci*Co)
  if (order.some((src, i) => src !== i)) {
    const select = new Float32Array(taps * taps);
    order.forEach((src, i) => {
      select[i * taps + src] = 1;
    });
    picked = tf.matMul(tf.tensor2d(select, [taps, taps]), picked);
  }
  const swapped = picked.reshape([taps, ci, co]).transpose([0, 2, 1]); // (KH*KW)xCoxCi
  // A span covering every tap (stride 1) is the whole tensor: a slice would only copy it.
  return spans.map(
    (p) =>
      p &&
      ((p.jh * p.jw === taps ? swapped : swapped.slice([p.start, 0, 0], [p.jh * p.jw, co, ci])).reshape([
        p.jh,
        p.jw,
        co,
        ci,
      ]) as tf.Tensor4D),
  );
}

/** One phase: dy cropped where a pad is negative, zero-padded inside the convolution where positive. */
function phaseCorrelation(dy: tf.Tensor4D, filter: tf.Tensor4D, pr: AxisPhase, pc: AxisPhase): tf.Tensor4D {
  const [n, oh, ow, co] = dy.shape;
  const [top, bottom, left, right] = [-pr.padBefore, -pr.padAfter, -pc.padBefore, -pc.padAfter].map((v) => Math.max(v, 0));
  const crop = top || bottom || left || right ? dy.slice([0, top, left, 0], [n, oh - top - bottom, ow - left - right, co]) : dy;
  const pads: Pad4 = [
    [0, 0],
    [Math.max(pr.padBefore, 0), Math.max(pr.padAfter, 0)],
    [Math.max(pc.padBefore, 0), Math.max(pc.padAfter, 0)],
    [0, 0],
  ];
  const native = nativeConv();
  if (native) return nativeConv2d(native, crop, filter, 1, nativePads(pads));
  return tf.conv2d(crop, filter, 1, pads); // NxBHxBWxCi
}

/** s*s phases NxBHxBWxCi (order a*s + b) -> Nx(BH*s)x(BW*s)xCi with phase (a, b) at [s*q + a, s*p + b]. */
function interleave(phases: tf.Tensor4D[], s: number): tf.Tensor4D {
  if (s === 1) return phases[0];
  const [n, bh, bw, ci] = phases[0].shape;
  return tf
    .concat(phases, 3) // NxBHxBWx(s*s*Ci)
    .reshape([n, bh, bw, s, s, ci])
    .transpose([0, 1, 3, 2, 4, 5]) // NxBHxsxBWxsxCi
    .reshape([n, bh * s, bw * s, ci]) as tf.Tensor4D;
}

/** Only phase `index` has taps (a strided 1x1 kernel): its values land at their offset, zeros elsewhere. */
function spread(phase: tf.Tensor4D, index: number, s: number): tf.Tensor4D {
  const [n, bh, bw, ci] = phase.shape;
  const a = Math.floor(index / s);
  const b = index % s;
  return phase
    .reshape([n, bh, 1, bw, 1, ci])
    .pad([
      [0, 0],
      [0, 0],
      [a, s - 1 - a],
      [0, 0],
      [b, s - 1 - b],
      [0, 0],
    ])
    .reshape([n, bh * s, bw * s, ci]) as tf.Tensor4D;
}

/**
 * The input window the forward pass read: per axis the padding before it, the extent it
 * spanned, and the NHWC pads that make the input cover that extent.
 */
function forwardWindow(
  [h, wd]: [number, number],
  [oh, ow]: [number, number],
  [kh, kw]: [number, number],
  stride: number,
  padding: ConvPadding,
) {
  const rows = axisPads(h, kh, stride, padding);
  const cols = axisPads(wd, kw, stride, padding);
  const extentH = (oh - 1) * stride + kh;
  const extentW = (ow - 1) * stride + kw;
  const pads: Pad4 = [
    [0, 0],
    [rows.before, Math.max(extentH - rows.before - h, 0)],
    [cols.before, Math.max(extentW - cols.before - wd, 0)],
    [0, 0],
  ];
  return { rows, cols, extentH, extentW, pads };
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
    const { rows, cols, extentH, extentW, pads } = forwardWindow([h, wd], [oh, ow], [kh, kw], stride, padding);
    // The forward pass read rows [-before, -before + extent): pad past the input, crop inside it.
    const usedH = Math.min(h, extentH - rows.before);
    const usedW = Math.min(wd, extentW - cols.before);
    const native = nativeConv();
    if (native) return nativeFilterGrad(native, x, dy, { kernel: [kh, kw], stride, pads: nativePads(pads), used: [usedH, usedW] });
    const xc = usedH === h && usedW === wd ? x : x.slice([0, 0, 0, 0], [n, usedH, usedW, ci]);
    const xt = xc.transpose([3, 1, 2, 0]) as tf.Tensor4D; // CixHxWxN
    const dyt = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // OHxOWxNxCo
    const dw = tf.conv2d(xt, dyt, 1, pads, 'NHWC', stride); // CixKHxKWxCo
    return dw.transpose([1, 2, 0, 3]) as tf.Tensor4D; // KHxKWxCixCo
  });
}

/**
 * dL/dw as one matrix product per kernel tap: dw[r, c] = x(r, c)^T dy, where x(r, c) is the
 * (padded) input read by tap (r, c) at every output position, (N*OH*OW)xCi, and dy is
 * (N*OH*OW)xCo. Each product has a long inner dimension and a small output, the shape a GPU
 * backend splits over K (TF.js WebGPU's split-K program); no buffer larger than one tap's
 * input is made, and each tap's is freed before the next.
 */
export function convFilterGradByTaps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw, ci]: [number, number, number, number],
  stride: number,
  padding: ConvPadding,
): tf.Tensor4D {
  const [n, h, wd] = x.shape;
  const [, oh, ow, co] = dy.shape;
  return tf.tidy(() => {
    const { pads } = forwardWindow([h, wd], [oh, ow], [kh, kw], stride, padding);
    const xp = pads.some(([a, b]) => a || b) ? x.pad(pads) : x;
    const g = dy.reshape([n * oh * ow, co]); // (N*OH*OW)xCo
    const taps: tf.Tensor2D[] = [];
    for (let r = 0; r < kh; r++) {
      for (let c = 0; c < kw; c++) {
        taps.push(
          tf.tidy(() => {
            const read =
              kh === 1 && kw === 1 && stride === 1 && xp.shape[1] === oh && xp.shape[2] === ow
                ? xp
                : tf.stridedSlice(xp, [0, r, c, 0], [n, r + (oh - 1) * stride + 1, c + (ow - 1) * stride + 1, ci], [1, stride, stride, 1]);
            return tf.matMul(read.reshape([n * oh * ow, ci]), g, true, false); // CixCo
          }),
        );
      }
    }
    return tf.stack(taps).reshape([kh, kw, ci, co]) as tf.Tensor4D;
  });
}

// Colour jitter and grayscale as per-sample affine maps on RGB. Each torchvision colour op is
//   out = clamp(A·rgb + c·meanGray(img), 0, 1)
// with a 3x3 matrix A and a scalar c per sample (c is non-zero only for contrast, whose blend
// target is the image's mean gray level). Applying one op per "stage" with identity for the
// samples that do something else at that stage realises torchvision's random op order for the
// whole batch with one batched matmul per stage, and keeps its clamp after every op.
// Grayscale output stays gray through every jitter op, so its place in the order (v1: first,
// v2: last) only changes where the clamps fall.
// Hue: a rotation of the chroma plane in YIQ space by 2π·shift (not torchvision's HSV round
// trip: the two agree in direction and size of the shift and the rotation stays linear).
import type { ViewParams } from './augment-params';

/** ITU-R 601 luma, as torchvision's rgb_to_grayscale. */
export const GRAY = [0.299, 0.587, 0.114] as const;

const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];
const YIQ_TO_RGB = invert3(RGB_TO_YIQ);

/** Per-sample stage of n samples: At holds A transposed (n x 3x3, row-major), ready for x·Aᵀ. */
export interface ColourStage {
  At: Float32Array;
  c: Float32Array;
}

type Mat3 = number[][];

/** out = A·rgb + c·meanGray(img), before the clamp */
export interface ColourOp {
  A: Mat3;
  c: number;
}

const IDENTITY: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

function grayMatrix(): Mat3 {
  return [0, 1, 2].map(() => [...GRAY]);
}

/** The matrix and contrast coefficient of jitter op `op` (JITTER_OPS index) with `factor`. */
function jitterOp(op: number, factor: number): ColourOp {
  switch (op) {
    case 0: // brightness: blend with black
      return { A: scale(IDENTITY, factor), c: 0 };
    case 1: // contrast: blend with the mean gray level
      return { A: scale(IDENTITY, factor), c: 1 - factor };
    case 2: // saturation: blend with the pixel's own gray
      return { A: add(scale(IDENTITY, factor), scale(grayMatrix(), 1 - factor)), c: 0 };
    case 3:
      return { A: hueRotation(factor), c: 0 };
    default:
      throw new RangeError(`jitterOp: expected an op index 0..3, got ${op}`);
  }
}

/** Rotation of the I/Q chroma plane by `turns` of a full circle, as an RGB -> RGB matrix. */
export function hueRotation(turns: number): Mat3 {
  const t = 2 * Math.PI * turns;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const R: Mat3 = [
    [1, 0, 0],
    [0, cos, -sin],
    [0, sin, cos],
  ];
  return mul(YIQ_TO_RGB, mul(R, RGB_TO_YIQ));
}

/** The colour ops of sample i in application order, identities left out. */
export function sampleOps(v: ViewParams, i: number): ColourOp[] {
  const ops: ColourOp[] = [];
  if (v.jitter[i]) {
    for (let position = 0; position < 4; position++) {
      const op = v.order[i * 4 + position];
      ops.push(jitterOp(op, v.factors[i * 4 + op]));
    }
  }
  if (v.gray[i]) {
    const gray = { A: grayMatrix(), c: 0 };
    if (v.grayscaleFirst) ops.unshift(gray);
    else ops.push(gray);
  }
  return ops;
}

/**
 * Stages for all samples of the given views, concatenated sample-wise (view 0's n samples,
 * then view 1's, ...). Stage d applies each sample's d-th op, or the identity to a sample
 * that has fewer ops, so a batch without jitter or grayscale gets no stage at all.
 */
export function colourStages(views: readonly ViewParams[]): ColourStage[] {
  const ops = views.flatMap((v) => Array.from({ length: v.n }, (_, i) => sampleOps(v, i)));
  const depth = Math.max(0, ...ops.map((o) => o.length));
  const stages: ColourStage[] = [];
  for (let d = 0; d < depth; d++) {
    const At = new Float32Array(ops.length * 9);
    const c = new Float32Array(ops.length);
    ops.forEach((sample, i) => {
      const o = sample[d] ?? { A: IDENTITY, c: 0 };
      for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) At[i * 9 + k * 3 + r] = o.A[r][k];
      c[i] = o.c;
    });
    stages.push({ At, c });
  }
  return stages;
}

function scale(A: Mat3, s: number): Mat3 {
  return A.map((row) => row.map((x) => x * s));
}

function add(A: Mat3, B: Mat3): Mat3 {
  return A.map((row, r) => row.map((x, k) => x + B[r][k]));
}

function mul(A: Mat3, B: Mat3): Mat3 {
  return A.map((row) => [0, 1, 2].map((k) => row[0] * B[0][k] + row[1] * B[1][k] + row[2] * B[2][k]));
}

function invert3(m: Mat3): Mat3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

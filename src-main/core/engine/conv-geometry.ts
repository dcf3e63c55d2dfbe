// Index arithmetic for convolution gradients, one spatial axis at a time. Pure numbers, no
// tensors, so the shapes can be checked without a backend.
export type ConvPadding = 'same' | 'valid';

/** How one spatial axis is padded by a forward convolution, following TF's rules. */
export interface AxisPads {
  before: number;
  after: number;
  /** output size along this axis */
  out: number;
}

/** TF's 'valid' pads nothing; 'same' gives ceil(in/s) outputs and puts the odd pad after. */
export function axisPads(inSize: number, k: number, s: number, padding: ConvPadding): AxisPads {
  if (padding === 'valid') {
    const out = Math.ceil((inSize - k + 1) / s);
    if (out < 1) throw new Error(`conv2d: expected an input of at least ${k} (the kernel size) with 'valid' padding, got ${inSize}`);
    return { before: 0, after: 0, out };
  }
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}

/**
 * The input gradient along one axis as a stride-1 correlation of dy, split into s phases
 * (polyphase): dx[s*q + a] = sum_t dyPadded[q + t] * w[tap[t][a]], t < window.
 * Every phase shares one window so that all s phases come out of a single convolution
 * as extra channels, which depthToSpace interleaves; tap -1 means "no kernel tap here".
 * Compared with zero-inserting dy, this skips the (s^2 - 1)/s^2 of products that are zero.
 */
export interface AxisPhasePlan {
  /** dx blocks along the axis: ceil(in/s); the interleaved result is cropped to `in` */
  blocks: number;
  /** window length of the shared correlation kernel */
  window: number;
  /** tap[t][a]: kernel index used at window position t by phase a, or -1 */
  tap: number[][];
  /** pads for dy before the correlation; negative means crop */
  padBefore: number;
  padAfter: number;
}

export function axisPhasePlan(inSize: number, k: number, s: number, pads: AxisPads): AxisPhasePlan {
  const blocks = Math.ceil(inSize / s);
  // Forward: y[o] = sum_k x[o*s + k - before] w[k]. Solving for x[s*q + a] gives, with
  // a + before = s*c + r, the taps k = s*j + r (j < J) reading dy[q + c - j].
  const phases: { first: number; last: number; r: number; taps: number }[] = [];
  for (let a = 0; a < s; a++) {
    const c = Math.floor((a + pads.before) / s);
    const r = (a + pads.before) % s;
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    phases.push({ first: c - taps + 1, last: c, r, taps });
  }
  const active = phases.filter((p) => p.taps > 0);
  const lo = Math.min(...active.map((p) => p.first));
  const hi = Math.max(...active.map((p) => p.last));
  const window = hi - lo + 1;
  const tap = Array.from({ length: window }, () => new Array<number>(s).fill(-1));
  phases.forEach((p, a) => {
    // window position of dy[q + c - j] is (c - j) - lo; the kernel index is s*j + r
    for (let j = 0; j < p.taps; j++) tap[p.last - j - lo][a] = s * j + p.r;
  });
  return { blocks, window, tap, padBefore: -lo, padAfter: blocks - 1 + hi - (pads.out - 1) };
}

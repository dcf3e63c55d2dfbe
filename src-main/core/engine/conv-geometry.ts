// Index arithmetic for convolution gradients, one spatial axis at a time. Pure numbers, no
// tensors, so the shapes can be checked without a backend.

/** TF's 'same' and 'valid', or a number: torch's symmetric zero padding of that many pixels. */
export type ConvPadding = 'same' | 'valid' | number;

/** How one spatial axis is padded by a forward convolution. */
export interface AxisPads {
  /** zeros read before the first input pixel */
  before: number;
  /** zeros read after the last input pixel (a numeric pad may leave some of its pad unread) */
  after: number;
  /** output size along this axis */
  out: number;
}

/**
 * TF's 'valid' pads nothing; 'same' gives ceil(in/s) outputs and puts the odd pad after;
 * a number p pads p on both sides and gives floor((in + 2p - k)/s) + 1 outputs, as torch does.
 */
export function axisPads(inSize: number, k: number, s: number, padding: ConvPadding): AxisPads {
  if (typeof padding === 'number') {
    const out = Math.floor((inSize + 2 * padding - k) / s) + 1;
    if (out < 1)
      throw new Error(`conv2d: expected an input of at least ${k - 2 * padding} (the kernel size less the padding), got ${inSize}`);
    return { before: padding, after: Math.max((out - 1) * s + k - inSize - padding, 0), out };
  }
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
 * The input gradient along one axis, split into s phases (polyphase): the inputs s*q + a of
 * phase a get dx[s*q + a] = sum_t dyPadded[q + t] * w[taps[t]], a stride-1 correlation of dy
 * with the phase's own taps. Each kernel index belongs to exactly one phase, so the phases
 * together do the products of the forward pass and none of the zeros a zero-inserted dy has.
 */
export interface AxisPhase {
  /** kernel index used at each window position; empty when no tap reaches this phase */
  taps: number[];
  /** pads for dy before the correlation; negative means crop */
  padBefore: number;
  padAfter: number;
}

export interface AxisPhasePlan {
  /** dx blocks along the axis: ceil(in/s); every phase yields this many, interleaved and cropped to `in` */
  blocks: number;
  /** phases[a] serves the inputs s*q + a */
  phases: AxisPhase[];
}

export function axisPhasePlan(inSize: number, k: number, s: number, pads: AxisPads): AxisPhasePlan {
  const blocks = Math.ceil(inSize / s);
  // Forward: y[o] = sum_k x[o*s + k - before] w[k]. Solving for x[s*q + a] gives, with
  // a + before = s*c + r, the taps k = s*j + r (j < J) reading dy[q + c - j]; window
  // position t = J - 1 - j then reads dy[q + c - (J - 1) + t].
  const phases = Array.from({ length: s }, (_, a): AxisPhase => {
    const c = Math.floor((a + pads.before) / s);
    const r = (a + pads.before) % s;
    const J = r < k ? Math.ceil((k - r) / s) : 0;
    const taps = Array.from({ length: J }, (_, t) => s * (J - 1 - t) + r);
    return { taps, padBefore: J - 1 - c, padAfter: blocks - 1 + c - (pads.out - 1) };
  });
  return { blocks, phases };
}

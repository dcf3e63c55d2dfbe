// The MoCo augmentation recipes and the per-sample random draws that realise them. Drawing on
// the CPU from one seeded Rng keeps a run reproducible and lets a checkpoint store the state;
// augment.ts turns the draws into batched tensor math.
import type { Rng } from '../rng';

export interface JitterSpec {
  /** factor drawn from [max(0, 1 - b), 1 + b], as torchvision's ColorJitter */
  brightness: number;
  contrast: number;
  saturation: number;
  /** shift drawn from [-hue, hue], in turns of the colour wheel (hue <= 0.5) */
  hue: number;
  /** probability that the jitter is applied at all (RandomApply) */
  p: number;
}

export interface AugmentRecipe {
  /** RandomResizedCrop area fraction range */
  scale: readonly [number, number];
  /** RandomResizedCrop aspect ratio (w/h) range */
  ratio: readonly [number, number];
  grayscaleP: number;
  /** v1 converts to grayscale before jitter, v2 after */
  grayscaleFirst: boolean;
  jitter: JitterSpec;
  /** Gaussian blur, sigma in pixels of a 224 px output (scaled by R/224 at other sizes); null leaves it out */
  blur: { p: number; sigma: readonly [number, number] } | null;
  flipP: number;
}

/** MoCo v1 (official main_moco.py): crop, grayscale 0.2, jitter 0.4, flip. */
export const MOCO_V1: AugmentRecipe = {
  scale: [0.2, 1],
  ratio: [3 / 4, 4 / 3],
  grayscaleP: 0.2,
  grayscaleFirst: true,
  jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.4, p: 1 },
  blur: null,
  flipP: 0.5,
};

/** MoCo v2: v1's crop, grayscale and flip; jitter (0.4, 0.4, 0.4, 0.1) with p 0.8 before grayscale, blur p 0.5. */
export const MOCO_V2: AugmentRecipe = {
  ...MOCO_V1,
  grayscaleFirst: false,
  jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
  blur: { p: 0.5, sigma: [0.1, 2.0] },
};

export const RECIPES = { v1: MOCO_V1, v2: MOCO_V2 } as const;
export type RecipeName = keyof typeof RECIPES;

/** Jitter operations, in the index order of ViewParams.order and ViewParams.factors. */
export const JITTER_OPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;

/** One random view of each of n source images of side `source`. */
export interface ViewParams {
  n: number;
  /** side of the square source images the crops are taken from (the short side, with frames) */
  source: number;
  /** n x [height, width] of source frames of varied shape; null when all are source x source */
  frames?: Int32Array | null;
  /** n x [top, left, height, width] in source pixels */
  crop: Int32Array;
  flip: Uint8Array;
  gray: Uint8Array;
  grayscaleFirst: boolean;
  /** whether the jitter applies to the sample */
  jitter: Uint8Array;
  /** n x 4 permutation of the jitter ops (indices into JITTER_OPS), as torchvision's fn_idx */
  order: Uint8Array;
  /** n x 4 factors: brightness, contrast, saturation multipliers and the hue shift in turns */
  factors: Float32Array;
  /** blur sigma per sample in output pixels (already scaled to the output size); 0 leaves the sample sharp */
  blurSigma: Float32Array;
}

export function validateRecipe(r: AugmentRecipe): void {
  const where = 'augment recipe';
  const range = (name: string, v: readonly [number, number], lo: number, hi: number) => {
    if (!(v[0] > lo - 1e-12 && v[0] <= v[1] && v[1] <= hi)) {
      throw new RangeError(`${where}: expected ${name} as [low, high] within [${lo}, ${hi}], got [${v.join(', ')}]`);
    }
  };
  const prob = (name: string, p: number) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${where}: expected ${name} in [0, 1], got ${p}`);
  };
  range('scale', r.scale, 1e-6, 1);
  range('ratio', r.ratio, 1e-6, 1e6);
  prob('grayscaleP', r.grayscaleP);
  prob('flipP', r.flipP);
  prob('jitter.p', r.jitter.p);
  for (const k of ['brightness', 'contrast', 'saturation'] as const) {
    if (!(r.jitter[k] >= 0)) throw new RangeError(`${where}: expected jitter.${k} >= 0, got ${r.jitter[k]}`);
  }
  if (!(r.jitter.hue >= 0 && r.jitter.hue <= 0.5)) {
    throw new RangeError(`${where}: expected jitter.hue in [0, 0.5], got ${r.jitter.hue}`);
  }
  if (r.blur) {
    prob('blur.p', r.blur.p);
    range('blur.sigma', r.blur.sigma, 1e-6, 1e3);
  }
}

/**
 * torchvision's RandomResizedCrop.get_params on a source of H x W (W = H when omitted): up to
 * 10 tries of area fraction U(scale) and log-uniform aspect ratio, else the centre crop
 * clamped to the ratio range. Returns [top, left, height, width].
 */
export function sampleCrop(
  rng: Rng,
  H: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  W = H,
): [number, number, number, number] {
  const area = H * W;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(rng, scale[0], scale[1]);
    const aspect = Math.exp(uniform(rng, logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      const top = rng.int(H - h + 1);
      const left = rng.int(W - w + 1);
      return [top, left, h, w];
    }
  }
  // Fallback of torchvision: the whole image, narrowed to the ratio range.
  const inRatio = W / H;
  let w = W;
  let h = H;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return [Math.floor((H - h) / 2), Math.floor((W - w) / 2), h, w];
}

export interface SampleOptions {
  /** n x [height, width] of frames of varied shape (short side `source`); omitted: squares */
  frames?: Int32Array | null;
  /** multiplies the recipe's blur sigma: R/224 for an output of R px (the recipe is stated at 224) */
  sigmaScale?: number;
}

/** Draws one view per sample. The number of draws per sample is fixed except for crop retries. */
export function sampleView(rng: Rng, n: number, source: number, recipe: AugmentRecipe, opts: SampleOptions = {}): ViewParams {
  const frames = opts.frames ?? null;
  const sigmaScale = opts.sigmaScale ?? 1;
  if (frames && frames.length !== 2 * n)
    throw new RangeError(`sampleView: expected ${n} x [height, width] frames, got ${frames.length} values`);
  if (!(sigmaScale > 0)) throw new RangeError(`sampleView: expected sigmaScale > 0, got ${sigmaScale}`);
  const v: ViewParams = {
    n,
    source,
    frames,
    crop: new Int32Array(n * 4),
    flip: new Uint8Array(n),
    gray: new Uint8Array(n),
    grayscaleFirst: recipe.grayscaleFirst,
    jitter: new Uint8Array(n),
    order: new Uint8Array(n * 4),
    factors: new Float32Array(n * 4),
    blurSigma: new Float32Array(n),
  };
  const j = recipe.jitter;
  for (let i = 0; i < n; i++) {
    const [H, W] = frames ? [frames[2 * i], frames[2 * i + 1]] : [source, source];
    v.crop.set(sampleCrop(rng, H, recipe.scale, recipe.ratio, W), i * 4);
    v.jitter[i] = rng.next() < j.p ? 1 : 0;
    v.order.set(rng.permutation(4), i * 4);
    v.factors[i * 4] = uniform(rng, Math.max(0, 1 - j.brightness), 1 + j.brightness);
    v.factors[i * 4 + 1] = uniform(rng, Math.max(0, 1 - j.contrast), 1 + j.contrast);
    v.factors[i * 4 + 2] = uniform(rng, Math.max(0, 1 - j.saturation), 1 + j.saturation);
    v.factors[i * 4 + 3] = uniform(rng, -j.hue, j.hue);
    v.gray[i] = rng.next() < recipe.grayscaleP ? 1 : 0;
    if (recipe.blur) {
      const blurred = rng.next() < recipe.blur.p;
      const sigma = uniform(rng, recipe.blur.sigma[0], recipe.blur.sigma[1]);
      v.blurSigma[i] = blurred ? sigma * sigmaScale : 0;
    }
    v.flip[i] = rng.next() < recipe.flipP ? 1 : 0;
  }
  return v;
}

function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng.next();
}

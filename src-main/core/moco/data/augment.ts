// MoCo augmentation on batched tensors: random resized crop and flip in one cropAndResize call
// for every view of every sample, colour jitter and grayscale as per-sample matrices (colour.ts),
// Gaussian blur as a depthwise convolution with per-sample kernels (blur.ts), then ImageNet normalisation.
// The random draws come from one seeded Rng (augment-params.ts), so a run is reproducible and
// its state goes into checkpoints.
import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from '../rng';
import { RECIPES, sampleView, validateRecipe, type AugmentRecipe, type RecipeName, type ViewParams } from './augment-params';
import { gaussianBlur } from './blur';
import { colourStages, GRAY } from './colour';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * A batch of RGB images: n x size x size x 3 uint8, or with `frames`, the training cache's
 * whole frames of varied shape (short side `size`), one slot each.
 */
export interface ImageBatch {
  data: Uint8Array;
  n: number;
  size: number;
  frames?: FrameLayout;
}

/** Where the frames of a batch are: image i is dims[2i] x dims[2i+1] x 3 uint8 at i*slotBytes + header. */
export interface FrameLayout {
  dims: Int32Array;
  slotBytes: number;
  header: number;
}

/** The reference size of the recipes' blur sigma (torchvision's 224 px ImageNet crops). */
export const BLUR_REFERENCE_SIZE = 224;
/** Frames turned into one tensor at a time: bounds the float32 copy of large frames. */
const FRAME_CHUNK = 32;

export interface AugmenterOptions {
  recipe: RecipeName | AugmentRecipe;
  /** output side R */
  resolution: number;
  /** an integer seed, or a state taken from rngState() to continue a run */
  seed: number | RngState;
}

export class Augmenter {
  readonly recipe: AugmentRecipe;
  readonly resolution: number;
  private readonly rng: Rng;

  constructor(opts: AugmenterOptions) {
    this.recipe = typeof opts.recipe === 'string' ? recipeByName(opts.recipe) : opts.recipe;
    validateRecipe(this.recipe);
    checkSide('Augmenter: resolution', opts.resolution, 1);
    this.resolution = opts.resolution;
    this.rng = new Rng(opts.seed);
  }

  rngState(): RngState {
    return this.rng.state();
  }

  setRngState(state: RngState): void {
    this.rng.setState(state);
  }

  /**
   * Draws `views` independent views of each of n images of side `source` (or of the given
   * n x [height, width] frames). Blur sigma is scaled by R/224: the recipes state it at 224 px.
   */
  sample(n: number, source: number, views = 2, frames: Int32Array | null = null): ViewParams[] {
    const sigmaScale = this.resolution / BLUR_REFERENCE_SIZE;
    return Array.from({ length: views }, () => sampleView(this.rng, n, source, this.recipe, { frames, sigmaScale }));
  }

  /** The query and key views of a batch: two n x R x R x 3 float32 tensors, normalised. */
  twoViews(batch: ImageBatch): { q: tf.Tensor4D; k: tf.Tensor4D } {
    const [q, k] = applyViews(batch, this.sample(batch.n, batch.size, 2, batch.frames?.dims ?? null), this.resolution);
    return { q, k };
  }
}

function recipeByName(name: string): AugmentRecipe {
  if (!Object.hasOwn(RECIPES, name)) {
    throw new RangeError(`Augmenter: expected recipe ${Object.keys(RECIPES).join(' or ')}, got '${name}'`);
  }
  return RECIPES[name as RecipeName];
}

/**
 * Renders the given views of a batch at resolution R: one n x R x R x 3 float32 tensor per
 * view, ImageNet-normalised. All views go through the ops together (2n samples for MoCo).
 */
export function applyViews(batch: ImageBatch, views: readonly ViewParams[], R: number): tf.Tensor4D[] {
  const { n, size: S } = batch;
  checkBatch(batch);
  checkSide('applyViews: resolution', R, 1);
  for (const v of views) {
    if (v.n !== n || v.source !== S || (batch.frames ? !sameDims(v.frames ?? null, batch.frames.dims) : (v.frames ?? null) !== null)) {
      throw new RangeError(
        `applyViews: expected views of ${n} samples from ${S} px sources${batch.frames ? " of the batch's frame sizes" : ''}, got ${v.n} from ${v.source} px`,
      );
    }
  }
  const M = n * views.length;
  const stages = colourStages(views);
  const sigmas = new Float32Array(M);
  views.forEach((v, vi) => sigmas.set(v.blurSigma, vi * n));

  return tf.tidy(() => {
    // MxRxRx3 crops in [0, 1], view-major (sample vi*n + i); a flipped box (x1 > x2) samples the crop mirrored.
    let x = batch.frames ? cropFrames(batch, batch.frames, views, R) : cropSquares(batch, views, R);
    for (const s of stages) x = applyColourStage(x, s.At, s.c);
    if (sigmas.some((s) => s > 0)) x = gaussianBlur(x, sigmas);
    // (x - mean) / std per channel, as one fused kernel: batchNorm with unit variance, no epsilon.
    const out = tf.batchNorm(
      x,
      [...IMAGENET_MEAN],
      [1, 1, 1],
      undefined,
      IMAGENET_STD.map((s) => 1 / s),
      0,
    );
    return tf.split(out, views.length, 0) as tf.Tensor4D[];
  });
}

function sameDims(a: Int32Array | null, b: Int32Array): boolean {
  return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Square sources: all n images in one NxSxSx3 tensor, every view's box cut from it. */
function cropSquares(batch: ImageBatch, views: readonly ViewParams[], R: number): tf.Tensor4D {
  const { n, size: S } = batch;
  const M = n * views.length;
  const boxes = new Float32Array(M * 4);
  const boxInd = new Int32Array(M);
  views.forEach((v, vi) => {
    for (let i = 0; i < n; i++) {
      boxes.set(cropBox(v, i, S, S), (vi * n + i) * 4);
      boxInd[vi * n + i] = i;
    }
  });
  const images = tf.tensor4d(batch.data, [n, S, S, 3], 'float32').mul(1 / 255) as tf.Tensor4D; // NxSxSx3 in [0, 1]
  return tf.image.cropAndResize(images, tf.tensor2d(boxes, [M, 4]), tf.tensor1d(boxInd, 'int32'), [R, R], 'bilinear');
}

/**
 * Frames of varied shape: FRAME_CHUNK images at a time are laid top-left in one tensor as tall
 * and wide as the largest of them (zeros around the smaller ones, which no box reaches), their
 * views are cut, and the crops are put back in view-major order.
 */
function cropFrames(batch: ImageBatch, layout: FrameLayout, views: readonly ViewParams[], R: number): tf.Tensor4D {
  const { n } = batch;
  const V = views.length;
  const parts: tf.Tensor4D[] = [];
  const order: number[] = []; // the view-major sample index of each row of the concatenated parts
  for (let c0 = 0; c0 < n; c0 += FRAME_CHUNK) {
    const c = Math.min(FRAME_CHUNK, n - c0);
    let H = 0;
    let W = 0;
    for (let i = c0; i < c0 + c; i++) {
      H = Math.max(H, layout.dims[2 * i]);
      W = Math.max(W, layout.dims[2 * i + 1]);
    }
    const padded = new Uint8Array(c * H * W * 3);
    for (let j = 0; j < c; j++) {
      const i = c0 + j;
      const [h, w] = [layout.dims[2 * i], layout.dims[2 * i + 1]];
      const src = i * layout.slotBytes + layout.header;
      for (let y = 0; y < h; y++) padded.set(batch.data.subarray(src + y * w * 3, src + (y + 1) * w * 3), (j * H + y) * W * 3);
    }
    const boxes = new Float32Array(c * V * 4);
    const boxInd = new Int32Array(c * V);
    views.forEach((v, vi) => {
      for (let j = 0; j < c; j++) {
        boxes.set(cropBox(v, c0 + j, H, W), (vi * c + j) * 4);
        boxInd[vi * c + j] = j;
        order.push(vi * n + c0 + j);
      }
    });
    const images = tf.tensor4d(padded, [c, H, W, 3], 'float32').mul(1 / 255) as tf.Tensor4D; // cxHxWx3 in [0, 1]
    parts.push(tf.image.cropAndResize(images, tf.tensor2d(boxes, [c * V, 4]), tf.tensor1d(boxInd, 'int32'), [R, R], 'bilinear'));
    images.dispose();
  }
  if (parts.length === 1 && V === 1) return parts[0];
  const all = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  const rowOf = new Int32Array(order.length);
  order.forEach((sample, row) => (rowOf[sample] = row));
  return tf.gather(all, rowOf) as tf.Tensor4D;
}

/**
 * Normalised [y1, x1, y2, x2] of sample i's crop for cropAndResize on an image tensor of
 * H x W, whose samples sit on a grid from corner to corner of the box: the box spans the
 * centres of the crop's outer pixels, so it never reaches outside the image (where
 * cropAndResize would fill zeros) nor, for a frame laid in a larger tensor, outside the frame.
 */
function cropBox(v: ViewParams, i: number, H: number, W: number): [number, number, number, number] {
  const [top, left, h, w] = v.crop.subarray(i * 4, i * 4 + 4);
  const dy = Math.max(H - 1, 1);
  const dx = Math.max(W - 1, 1);
  const y1 = top / dy;
  const y2 = (top + h - 1) / dy;
  const xa = left / dx;
  const xb = (left + w - 1) / dx;
  return v.flip[i] ? [y1, xb, y2, xa] : [y1, xa, y2, xb];
}

/** x: MxRxRx3 in [0, 1]; At: M 3x3 matrices (transposed); c: M contrast coefficients. */
function applyColourStage(x: tf.Tensor4D, At: Float32Array, c: Float32Array): tf.Tensor4D {
  const [M, H, W] = x.shape;
  const flat = x.reshape([M, H * W, 3]) as tf.Tensor3D; // Mx(HW)x3
  const mapped = tf.matMul(flat, tf.tensor3d(At, [M, 3, 3])); // Mx(HW)x3
  // Contrast blends towards the image's mean gray level: Mx3 channel means · gray weights -> Mx1.
  const meanGray = tf.matMul(flat.mean(1) as tf.Tensor2D, tf.tensor2d(GRAY as unknown as number[], [3, 1]));
  const offset = meanGray.mul(tf.tensor2d(c, [M, 1])).reshape([M, 1, 1]); // Mx1x1
  return mapped.add(offset).clipByValue(0, 1).reshape([M, H, W, 3]) as tf.Tensor4D;
}

function checkBatch(b: ImageBatch): void {
  checkSide('applyViews: batch size', b.n, 1);
  checkSide('applyViews: source side', b.size, 2);
  if (b.frames) {
    const { dims, slotBytes, header } = b.frames;
    if (dims.length !== 2 * b.n || b.data.length !== b.n * slotBytes) {
      throw new RangeError(
        `applyViews: expected ${b.n} frames in ${b.n * slotBytes} bytes, got ${dims.length / 2} frames in ${b.data.length}`,
      );
    }
    for (let i = 0; i < b.n; i++) {
      const [h, w] = [dims[2 * i], dims[2 * i + 1]];
      if (!(Math.min(h, w) === b.size && header + h * w * 3 <= slotBytes)) {
        throw new RangeError(`applyViews: expected frame ${i} with short side ${b.size} within its slot, got ${h}x${w}`);
      }
    }
    return;
  }
  const expected = b.n * b.size * b.size * 3;
  if (!(b.data instanceof Uint8Array) || b.data.length !== expected) {
    throw new RangeError(
      `applyViews: expected ${b.n}x${b.size}x${b.size}x3 = ${expected} uint8 values, got ${b.data instanceof Uint8Array ? b.data.length : typeof b.data}`,
    );
  }
}

function checkSide(where: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${where}: expected an integer >= ${min}, got ${v}`);
}

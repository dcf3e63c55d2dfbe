// Augmentation of whole, non-square frames as the training cache stores them.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-main/core/moco/rng';
import { applyViews, Augmenter, IMAGENET_MEAN, IMAGENET_STD, type ImageBatch } from '../../../../src-main/core/moco/data/augment';
import {
  MOCO_V1,
  MOCO_V2,
  sampleCrop,
  sampleView,
  type AugmentRecipe,
  type ViewParams,
} from '../../../../src-main/core/moco/data/augment-params';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

const HEADER = 4;

/** Frames of the given [h, w] in slots of `slot` bytes; pixel (y, x) of frame i holds (i*40 + y, x, 100). */
function frameBatch(dims: [number, number][], S: number, slot: number): ImageBatch {
  const n = dims.length;
  const data = new Uint8Array(n * slot);
  dims.forEach(([h, w], i) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([i * 40 + y, x, 100], i * slot + HEADER + (y * w + x) * 3);
  });
  return { data, n, size: S, frames: { dims: Int32Array.from(dims.flat()), slotBytes: slot, header: HEADER } };
}

function plainView(n: number, S: number, frames: Int32Array, crops: [number, number, number, number][]): ViewParams {
  return {
    n,
    source: S,
    frames,
    crop: Int32Array.from(crops.flat()),
    flip: new Uint8Array(n),
    gray: new Uint8Array(n),
    grayscaleFirst: true,
    jitter: new Uint8Array(n),
    order: new Uint8Array(n * 4).map((_, k) => k % 4),
    factors: new Float32Array(n * 4).map((_, k) => (k % 4 === 3 ? 0 : 1)),
    blurSigma: new Float32Array(n),
  };
}

describe('augmentation of whole frames', () => {
  it('cuts each crop from its own frame, wherever it lies in a wide or tall frame, in view-major order', () => {
    const S = 6;
    const dims: [number, number][] = [
      [6, 12],
      [12, 6],
      [6, 6],
    ];
    const batch = frameBatch(dims, S, HEADER + 6 * 12 * 3);
    const frames = batch.frames!.dims;
    // View 0: the right end of the wide frame, the bottom of the tall one; view 1: top-left corners.
    const v0 = plainView(3, S, frames, [
      [0, 8, 4, 4],
      [8, 2, 4, 4],
      [1, 1, 4, 4],
    ]);
    const v1 = plainView(3, S, frames, [
      [0, 0, 4, 4],
      [0, 0, 4, 4],
      [0, 0, 4, 4],
    ]);
    const [a, b] = applyViews(batch, [v0, v1], 4);
    const px = (t: tf.Tensor4D) => {
      const v = t.dataSync();
      return (i: number, y: number, x: number) =>
        [0, 1, 2].map((c) => Math.round((v[((i * 4 + y) * 4 + x) * 3 + c] * IMAGENET_STD[c] + IMAGENET_MEAN[c]) * 255) + 0);
    };
    const pa = px(a);
    const pb = px(b);
    expect(pa(0, 0, 0)).toEqual([0, 8, 100]); // wide frame, column 8
    expect(pa(0, 3, 3)).toEqual([3, 11, 100]); // its last column: the sides of the photo are seen
    expect(pa(1, 0, 0)).toEqual([48, 2, 100]); // tall frame (i = 1), row 8
    expect(pa(1, 3, 3)).toEqual([51, 5, 100]);
    expect(pa(2, 0, 0)).toEqual([81, 1, 100]);
    expect(pb(1, 0, 0)).toEqual([40, 0, 100]);
    tf.dispose([a, b]);
  });

  it('draws crops over the whole frame: RandomResizedCrop on H x W', () => {
    const rng = new Rng(3);
    let maxRight = 0;
    let maxBottom = 0;
    for (let t = 0; t < 2000; t++) {
      const [top, left, h, w] = sampleCrop(rng, 20, MOCO_V1.scale, MOCO_V1.ratio, 40);
      expect(top >= 0 && left >= 0 && top + h <= 20 && left + w <= 40).toBe(true);
      const area = (h * w) / 800;
      expect(area).toBeGreaterThan(0.18);
      maxRight = Math.max(maxRight, left + w);
      maxBottom = Math.max(maxBottom, top + h);
    }
    expect([maxRight, maxBottom]).toEqual([40, 20]);
    // The fallback of a 4:1 strip is its centre, narrowed to 4/3.
    const never: AugmentRecipe['scale'] = [1, 1];
    expect(sampleCrop(new Rng(1), 10, never, [1, 1], 40)).toEqual([0, 15, 10, 10]);
  });

  it('scales the v2 blur sigma with the output size (stated at 224 px)', () => {
    const frames = Int32Array.from([20, 30, 20, 20]);
    const small = new Augmenter({ recipe: MOCO_V2, resolution: 56, seed: 9 }).sample(2, 20, 1, frames)[0];
    const full = sampleView(new Rng(0), 400, 20, MOCO_V2, { sigmaScale: 1 });
    const scaled = sampleView(new Rng(0), 400, 20, MOCO_V2, { sigmaScale: 0.25 });
    for (let i = 0; i < 400; i++) expect(scaled.blurSigma[i]).toBeCloseTo(full.blurSigma[i] * 0.25, 6);
    expect(Math.max(...full.blurSigma)).toBeGreaterThan(1.5);
    expect(Math.max(...scaled.blurSigma)).toBeLessThanOrEqual(0.5);
    expect(small.frames).toBe(frames);
  });

  it('refuses views drawn for other frames, and frames that do not fit their slots', () => {
    const batch = frameBatch(
      [
        [6, 12],
        [6, 6],
      ],
      6,
      HEADER + 6 * 12 * 3,
    );
    const other = plainView(2, 6, Int32Array.from([6, 6, 6, 6]), [
      [0, 0, 4, 4],
      [0, 0, 4, 4],
    ]);
    expect(() => applyViews(batch, [other], 4)).toThrow(/of the batch's frame sizes/);
    const bad = { ...batch, frames: { ...batch.frames!, dims: Int32Array.from([6, 13, 6, 6]) } };
    expect(() => applyViews(bad, [other], 4)).toThrow(/expected frame 0 with short side 6 within its slot, got 6x13/);
  });
});

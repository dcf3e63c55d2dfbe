import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';
import { RAW_PIXELS_SIDE, rawPixelFeatures } from '../../../src-main/core/probe/baselines';

/** Mean over b x b blocks of one R x R x 3 image (R a multiple of b), then centred and unit length. */
function blockMeans(img: Float32Array, R: number, b: number): number[] {
  const S = R / b;
  const out: number[] = [];
  for (let oy = 0; oy < S; oy++) {
    for (let ox = 0; ox < S; ox++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let y = oy * b; y < (oy + 1) * b; y++) for (let x = ox * b; x < (ox + 1) * b; x++) s += img[(y * R + x) * 3 + c];
        out.push(s / (b * b));
      }
    }
  }
  const mean = out.reduce((a, v) => a + v, 0) / out.length;
  const centred = out.map((v) => v - mean);
  const norm = Math.hypot(...centred);
  return centred.map((v) => v / norm);
}

/** Each pixel repeated f x f times: area averaging of the result equals that of the original. */
function upsample(img: Float32Array, R: number, f: number): Float32Array {
  const out = new Float32Array(R * f * R * f * 3);
  for (let y = 0; y < R * f; y++) {
    for (let x = 0; x < R * f; x++) {
      for (let c = 0; c < 3; c++) out[(y * R * f + x) * 3 + c] = img[(Math.floor(y / f) * R + Math.floor(x / f)) * 3 + c];
    }
  }
  return out;
}

describe('rawPixelFeatures', () => {
  it('gives 16 x 16 x 3 = 768 block means per image, centred and of unit length', () => {
    const R = 32;
    const batch = new Rng(1).normal(3 * R * R * 3);
    const f = rawPixelFeatures(batch, 3, R);
    expect(RAW_PIXELS_SIDE * RAW_PIXELS_SIDE * 3).toBe(768);
    expect(f.length).toBe(3 * 768);
    for (let i = 0; i < 3; i++) {
      const want = blockMeans(batch.subarray(i * R * R * 3, (i + 1) * R * R * 3), R, 2);
      Array.from(f.subarray(i * 768, (i + 1) * 768)).forEach((v, j) => expect(v).toBeCloseTo(want[j], 5));
    }
  });

  it('averages by covered area when the input is not a multiple of the output (24 px -> 16)', () => {
    // 24 px upsampled x2 is 48 px, where each output cell is an exact 3 x 3 block.
    const R = 24;
    const img = new Rng(2).normal(R * R * 3);
    const want = blockMeans(upsample(img, R, 2), 2 * R, 3);
    Array.from(rawPixelFeatures(img, 1, R)).forEach((v, j) => expect(v).toBeCloseTo(want[j], 5));
  });

  it('treats each image on its own: the same features alone or in a batch', () => {
    const R = 20;
    const batch = new Rng(3).uniform(4 * R * R * 3, -2, 2);
    const all = rawPixelFeatures(batch, 4, R, 8);
    const alone = rawPixelFeatures(batch.slice(2 * R * R * 3, 3 * R * R * 3), 1, R, 8);
    expect(Array.from(all.subarray(2 * 192, 3 * 192))).toEqual(Array.from(alone));
  });

  it('maps a constant image to zeros and refuses a batch of the wrong size', () => {
    expect(rawPixelFeatures(new Float32Array(16 * 16 * 3).fill(0.7), 1, 16).every((v) => v === 0)).toBe(true);
    expect(() => rawPixelFeatures(new Float32Array(10), 1, 16)).toThrow(/expected 1 x 16 x 16 x 3 = 768 values, got 10/);
  });
});

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-main/core/moco/rng';
import { applyViews, Augmenter, IMAGENET_MEAN, IMAGENET_STD, type ImageBatch } from '../../../../src-main/core/moco/data/augment';
import { MOCO_V1, MOCO_V2, sampleView, type AugmentRecipe, type ViewParams } from '../../../../src-main/core/moco/data/augment-params';
import { GRAY, hueRotation } from '../../../../src-main/core/moco/data/colour';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('wasm');
  await tf.ready();
});

/** n random-coloured images of side S with smooth gradients, so crops and flips show. */
function randomBatch(n: number, S: number, seed: number): ImageBatch {
  const rng = new Rng(seed);
  const data = new Uint8Array(n * S * S * 3);
  for (let i = 0; i < n; i++) {
    const base = [rng.int(256), rng.int(256), rng.int(256)];
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < 3; c++) data[((i * S + y) * S + x) * 3 + c] = (base[c] + x * (3 + c) + y * (5 - c) + rng.int(20)) % 256;
      }
    }
  }
  return { data, n, size: S };
}

/** Back from ImageNet normalisation to [0, 1] RGB, as nested [sample][pixel][channel]. */
function denormalise(t: tf.Tensor4D): number[][][] {
  const [n, h, w] = t.shape;
  const v = t.dataSync();
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: h * w }, (_, p) => [0, 1, 2].map((c) => v[(i * h * w + p) * 3 + c] * IMAGENET_STD[c] + IMAGENET_MEAN[c])),
  );
}

const PLAIN: AugmentRecipe = {
  ...MOCO_V1,
  grayscaleP: 0,
  jitter: { brightness: 0, contrast: 0, saturation: 0, hue: 0, p: 0 },
  flipP: 0,
};

/** A view that keeps the whole image: crop [0, 0, S, S], no flip, no colour, no blur. */
function wholeView(n: number, S: number, grayscaleFirst = true): ViewParams {
  const crop = new Int32Array(n * 4);
  for (let i = 0; i < n; i++) crop.set([0, 0, S, S], i * 4);
  return {
    n,
    source: S,
    crop,
    flip: new Uint8Array(n),
    gray: new Uint8Array(n),
    grayscaleFirst,
    jitter: new Uint8Array(n),
    order: new Uint8Array(n * 4).map((_, k) => k % 4),
    factors: new Float32Array(n * 4).map((_, k) => (k % 4 === 3 ? 0 : 1)),
    blurSigma: new Float32Array(n),
  };
}

describe('Augmenter', () => {
  it('gives two float32 n x R x R x 3 views, normalised with the ImageNet mean and std', () => {
    const data = new Uint8Array(2 * 10 * 10 * 3).fill(200);
    const aug = new Augmenter({ recipe: PLAIN, resolution: 6, seed: 1 });
    const { q, k } = aug.twoViews({ data, n: 2, size: 10 });
    expect(q.shape).toEqual([2, 6, 6, 3]);
    expect(k.shape).toEqual([2, 6, 6, 3]);
    expect(q.dtype).toBe('float32');
    const v = q.dataSync();
    for (let c = 0; c < 3; c++) expect(v[c]).toBeCloseTo((200 / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c], 5);
    tf.dispose([q, k]);
  });

  it('is reproducible under a seed, differs between seeds and between the two views', () => {
    const batch = randomBatch(4, 20, 5);
    for (const recipe of ['v1', 'v2'] as const) {
      const run = (seed: number) => {
        const { q, k } = new Augmenter({ recipe, resolution: 16, seed }).twoViews(batch);
        const out = [Array.from(q.dataSync()), Array.from(k.dataSync())];
        tf.dispose([q, k]);
        return out;
      };
      const [q1, k1] = run(42);
      const [q2, k2] = run(42);
      const [q3] = run(43);
      expect(q2).toEqual(q1);
      expect(k2).toEqual(k1);
      expect(q3).not.toEqual(q1);
      expect(k1).not.toEqual(q1);
    }
  });

  it('continues identically from a saved RNG state', () => {
    const batch = randomBatch(3, 16, 8);
    const a = new Augmenter({ recipe: 'v2', resolution: 12, seed: 9 });
    tf.dispose(a.twoViews(batch));
    const saved = a.rngState();
    const next = a.twoViews(batch);
    const b = new Augmenter({ recipe: 'v2', resolution: 12, seed: saved });
    const resumed = b.twoViews(batch);
    expect(Array.from(resumed.q.dataSync())).toEqual(Array.from(next.q.dataSync()));
    expect(Array.from(resumed.k.dataSync())).toEqual(Array.from(next.k.dataSync()));
    tf.dispose([next.q, next.k, resumed.q, resumed.k]);
  });

  it('leaves no tensor behind', () => {
    const batch = randomBatch(4, 20, 2);
    for (const recipe of ['v1', 'v2'] as const) {
      const aug = new Augmenter({ recipe, resolution: 16, seed: 3 });
      tf.dispose(aug.twoViews(batch)); // first call may create backend state
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(aug.twoViews(batch));
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses malformed input', () => {
    const aug = new Augmenter({ recipe: 'v1', resolution: 8, seed: 0 });
    expect(() => aug.twoViews({ data: new Uint8Array(10), n: 1, size: 4 })).toThrow(/expected 1x4x4x3 = 48 uint8 values, got 10/);
    expect(() => new Augmenter({ recipe: 'v3' as 'v1', resolution: 8, seed: 0 })).toThrow(/expected recipe v1 or v2, got 'v3'/);
    expect(() => new Augmenter({ recipe: { ...MOCO_V1, scale: [0.5, 0.2] }, resolution: 8, seed: 0 })).toThrow(/scale/);
    expect(() => new Augmenter({ recipe: 'v1', resolution: 0, seed: 0 })).toThrow(/resolution: expected an integer >= 1, got 0/);
  });
});

describe('random resized crop', () => {
  it('draws area fractions within [0.2, 1] and ratios within [3/4, 4/3] over their whole range', () => {
    const S = 74;
    const v = sampleView(new Rng(1), 4000, S, MOCO_V1);
    const areas: number[] = [];
    for (let i = 0; i < v.n; i++) {
      const [top, left, h, w] = v.crop.subarray(i * 4, i * 4 + 4);
      expect(top + h).toBeLessThanOrEqual(S);
      expect(left + w).toBeLessThanOrEqual(S);
      expect(Math.min(top, left)).toBeGreaterThanOrEqual(0);
      // Width and height are rounded to whole pixels: allow that much beyond the bounds.
      const area = (h * w) / (S * S);
      expect(area).toBeGreaterThanOrEqual(0.2 - 2 / S);
      expect(area).toBeLessThanOrEqual(1);
      expect(w / h).toBeGreaterThanOrEqual(3 / 4 - 1 / h);
      expect(w / h).toBeLessThanOrEqual(4 / 3 + 1 / h);
      areas.push(area);
    }
    expect(Math.min(...areas)).toBeLessThan(0.22);
    expect(Math.max(...areas)).toBeGreaterThan(0.95);
    const mean = areas.reduce((a, b) => a + b, 0) / areas.length;
    expect(mean).toBeGreaterThan(0.5); // U(0.2, 1) has mean 0.6; large tries fail more often
    expect(mean).toBeLessThan(0.62);
  });

  it('samples the crop box: a crop of the whole image at the same size is the image', () => {
    const batch = randomBatch(2, 12, 4);
    const [out] = applyViews(batch, [wholeView(2, 12)], 12);
    const px = denormalise(out);
    for (let i = 0; i < 2; i++) {
      for (let p = 0; p < 144; p++) {
        for (let c = 0; c < 3; c++) expect(px[i][p][c] * 255).toBeCloseTo(batch.data[(i * 144 + p) * 3 + c], 2);
      }
    }
    out.dispose();
  });

  it('mirrors the view when flipped, with everything else the same', () => {
    const batch = randomBatch(3, 20, 6);
    const views = new Augmenter({ recipe: MOCO_V2, resolution: 14, seed: 7 }).sample(3, 20, 1);
    views[0].blurSigma.set([1.5, 0, 0.7]);
    const flipped: ViewParams = { ...views[0], flip: views[0].flip.map((f) => 1 - f) };
    const [a, b] = applyViews(batch, [views[0], flipped], 14);
    const mirrored = tf.reverse(a, 2);
    const got = b.dataSync();
    const want = mirrored.dataSync();
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(got));
    tf.dispose([a, b, mirrored]);
  });
});

describe('colour', () => {
  it('makes the channels of the samples drawn for grayscale equal, and only those', () => {
    const batch = randomBatch(24, 16, 3);
    for (const recipe of [MOCO_V1, MOCO_V2]) {
      const views = new Augmenter({ recipe, resolution: 10, seed: 5 }).sample(24, 16, 1);
      expect(views[0].gray.some((g) => g === 1)).toBe(true);
      expect(views[0].gray.some((g) => g === 0)).toBe(true);
      const [out] = applyViews(batch, views, 10);
      const px = denormalise(out);
      for (let i = 0; i < 24; i++) {
        const spread = Math.max(...px[i].map(([r, g, b]) => Math.max(r, g, b) - Math.min(r, g, b)));
        if (views[0].gray[i]) expect(spread).toBeLessThan(1e-5);
        else expect(spread).toBeGreaterThan(0.02);
      }
      out.dispose();
    }
  });

  it('applies brightness, contrast and saturation as torchvision does, clamping after each, in the drawn order', () => {
    const batch = randomBatch(3, 8, 10);
    const v = wholeView(3, 8);
    v.jitter.fill(1);
    v.factors.set([1.4, 0.7, 1.3, 0], 0); // brightness, contrast, saturation, hue
    v.factors.set([0.6, 1.4, 0.6, 0], 4);
    v.factors.set([1.2, 1.3, 1.4, 0], 8);
    v.order.set([0, 1, 2, 3], 0);
    v.order.set([2, 3, 1, 0], 4);
    v.order.set([3, 1, 0, 2], 8);
    const [out] = applyViews(batch, [v], 8);
    const px = denormalise(out);
    const gray = (p: number[]) => GRAY[0] * p[0] + GRAY[1] * p[1] + GRAY[2] * p[2];
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    for (let i = 0; i < 3; i++) {
      let img = Array.from({ length: 64 }, (_, p) => [0, 1, 2].map((c) => batch.data[(i * 64 + p) * 3 + c] / 255));
      for (const op of v.order.subarray(i * 4, i * 4 + 4)) {
        const f = v.factors[i * 4 + op];
        if (op === 0) img = img.map((p) => p.map((x) => clamp(f * x)));
        if (op === 1) {
          const mean = img.reduce((s, p) => s + gray(p), 0) / img.length;
          img = img.map((p) => p.map((x) => clamp(f * x + (1 - f) * mean)));
        }
        if (op === 2) img = img.map((p) => p.map((x) => clamp(f * x + (1 - f) * gray(p))));
      }
      for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) expect(px[i][p][c]).toBeCloseTo(img[p][c], 4);
    }
    out.dispose();
  });

  it('shifts hue by rotating chroma in YIQ: luma and chroma kept, angle turned', () => {
    const toYiq = (p: number[]) => [
      GRAY[0] * p[0] + GRAY[1] * p[1] + GRAY[2] * p[2],
      0.595716 * p[0] - 0.274453 * p[1] - 0.321263 * p[2],
      0.211456 * p[0] - 0.522591 * p[1] + 0.311135 * p[2],
    ];
    const rgb = [0.8, 0.3, 0.2];
    for (const turns of [0.1, -0.25, 0.4]) {
      const A = hueRotation(turns);
      const out = A.map((row) => row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]);
      const [y0, i0, q0] = toYiq(rgb);
      const [y1, i1, q1] = toYiq(out);
      expect(y1).toBeCloseTo(y0, 6);
      expect(Math.hypot(i1, q1)).toBeCloseTo(Math.hypot(i0, q0), 6);
      const turned = (Math.atan2(q1, i1) - Math.atan2(q0, i0)) / (2 * Math.PI);
      expect(((turned - turns + 1.5) % 1) - 0.5).toBeCloseTo(0, 6);
    }
  });
});

describe('gaussian blur', () => {
  it('keeps flat images flat, smooths edges by sigma, and leaves unblurred samples unchanged', () => {
    const S = 16;
    const data = new Uint8Array(3 * S * S * 3);
    for (let i = 0; i < 3; i++)
      for (let p = 0; p < S * S; p++) if (p % S >= S / 2) data.fill(255, (i * S * S + p) * 3, (i * S * S + p + 1) * 3);
    const v = wholeView(3, S);
    v.blurSigma.set([0, 0.8, 2]);
    const [out] = applyViews({ data, n: 3, size: S }, [v], S);
    const px = denormalise(out);
    const row = (i: number) => Array.from({ length: S }, (_, x) => px[i][4 * S + x][0]);
    expect(row(0).map((x) => Math.round(x) + 0)).toEqual(Array.from({ length: S }, (_, x) => (x >= S / 2 ? 1 : 0)));
    const slope = (i: number) => row(i)[S / 2] - row(i)[S / 2 - 1];
    expect(slope(1)).toBeLessThan(0.99);
    expect(slope(2)).toBeLessThan(slope(1));
    // Reflect padding: the flat far ends stay exactly flat.
    expect(row(2)[0]).toBeCloseTo(0, 5);
    expect(row(2)[S - 1]).toBeCloseTo(1, 5);
    // Each row sums to the same total: blur moves intensity, it does not add any.
    expect(row(2).reduce((a, b) => a + b, 0)).toBeCloseTo(S / 2, 3);
    out.dispose();
  });
});

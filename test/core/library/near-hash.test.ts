// The perceptual hash against the edits a near-duplicate search must survive, measured on drawn
// photo-like images: every edited copy within the threshold of its original, distinct pictures
// beyond it. The scan path (thumbnail, then hash) is the one measured.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRng } from '../../../scripts/make-demo-library';
import {
  NEAR_HASH_BYTES,
  NEAR_HASH_THRESHOLD,
  nearDistance,
  nearHashFromGrey,
  nearHashOf,
  nearHashWords,
} from '../../../src-main/core/library/near-hash';
import { encodeThumb } from '../../../src-main/core/library/thumbs';
import { CROPS, drawPhoto, editedCopy } from './near-dup-photos';

const N = 40;
let originals: Uint32Array[];
let photos: Buffer[];

/** As the scan does it: the thumbnail first, then the hashes. */
async function hashOf(jpeg: Buffer): Promise<Uint32Array> {
  const thumb = await encodeThumb(sharp(jpeg).autoOrient(), 256);
  return nearHashWords(await nearHashOf(thumb, 1e9))!;
}

beforeAll(async () => {
  photos = [];
  for (let i = 0; i < N; i++) photos.push(await drawPhoto(i));
  originals = await Promise.all(photos.map(hashOf));
}, 60_000);

describe('near-duplicate hash', () => {
  it('is 80 bytes, 0 apart from itself, symmetric, and refuses a grid of the wrong size', () => {
    expect(NEAR_HASH_BYTES).toBe(80);
    const [a, b] = originals;
    expect(nearDistance(a, a)).toBe(0);
    expect(nearDistance(a, b)).toBe(nearDistance(b, a));
    expect(() => nearHashFromGrey(new Uint8Array(10), 4)).toThrow(/nearHashFromGrey: expected 16 pixels, got 10/);
    expect(nearHashWords(new Uint8Array(3))).toBeNull();
  });

  it('finds every copy cropped 6% (at any corner), halved, brightened 12% and saved at JPEG q55; distinct photos stay apart', async () => {
    const rng = makeRng(7);
    const worst: Record<string, number> = {};
    let found = 0;
    let copies = 0;
    let confusions = 0;
    for (const at of CROPS) {
      worst[at] = 0;
      for (let i = 0; i < 12; i++) {
        const copy = await hashOf(await editedCopy(photos[i], at, rng));
        const d = nearDistance(copy, originals[i]);
        worst[at] = Math.max(worst[at], d);
        copies++;
        if (d <= NEAR_HASH_THRESHOLD) found++;
        for (let j = 0; j < N; j++) if (j !== i && nearDistance(copy, originals[j]) <= NEAR_HASH_THRESHOLD) confusions++;
      }
    }
    let falsePairs = 0;
    let closest = 64;
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const d = nearDistance(originals[i], originals[j]);
        closest = Math.min(closest, d);
        if (d <= NEAR_HASH_THRESHOLD) falsePairs++;
      }
    }
    console.log(
      `near-hash: ${found}/${copies} copies within ${NEAR_HASH_THRESHOLD} (worst distance by crop ${JSON.stringify(worst)}); ` +
        `${falsePairs} of ${(N * (N - 1)) / 2} distinct pairs within it (closest ${closest}); ${confusions} copy-to-other matches`,
    );
    expect(found).toBe(copies);
    expect(falsePairs).toBe(0);
    expect(confusions).toBe(0);
  }, 120_000);
});

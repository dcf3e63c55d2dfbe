// The perceptual hashes (library/near-hash.ts) of a set's rows, and the two questions asked of
// them: which rows are near-duplicates of a query, and which pairs of rows are. All pairs are
// compared by brute force: 20 popcounts a pair, far cheaper than the embedding self-join beside it.
import { nearHashOf, nearDistance, nearHashWords, NEAR_HASH_THRESHOLD, NEAR_HASH_WORDS } from '../library/near-hash';
import { encodeThumb } from '../library/thumbs';
import type { NearHashStore } from '../db/near-hash-store';
import sharp from 'sharp';
import type { SpaceVectors } from './vector-cache';

export { NEAR_HASH_THRESHOLD };

export interface NearHashDeps {
  store: NearHashStore;
  /** computes the hashes images still lack (see library/near-hash-fill.ts) */
  fill: () => Promise<unknown>;
  /** thumbnail size and pixel limit, so a query file is hashed the way the scan hashed the library */
  media: () => { thumbnailSize: number; maxPixels: number };
}

export interface RowHashes {
  /** n x NEAR_HASH_WORDS */
  words: Uint32Array;
  /** 1 where the row has hashes */
  has: Uint8Array;
}

const cache = new WeakMap<SpaceVectors, Promise<RowHashes>>();

/** The hashes of every row of `v`, filling what the library lacks first. */
export function rowHashes(deps: NearHashDeps, v: SpaceVectors): Promise<RowHashes> {
  let p = cache.get(v);
  if (!p) {
    p = (async () => {
      await deps.fill();
      const all = deps.store.all();
      const words = new Uint32Array(v.n * NEAR_HASH_WORDS);
      const has = new Uint8Array(v.n);
      for (let r = 0; r < v.n; r++) {
        const w = nearHashWords(all.get(v.ids[r]));
        if (!w) continue;
        words.set(w, r * NEAR_HASH_WORDS);
        has[r] = 1;
      }
      return { words, has };
    })();
    cache.set(v, p);
    p.catch(() => cache.delete(v));
  }
  return p;
}

/** The hashes of an image file from outside the library, through the same thumbnail the scan makes. */
export async function fileNearHash(deps: NearHashDeps, bytes: Buffer): Promise<Uint32Array | null> {
  const { thumbnailSize, maxPixels } = deps.media();
  try {
    const thumb = await encodeThumb(sharp(bytes, { failOn: 'none', limitInputPixels: maxPixels }).autoOrient(), thumbnailSize);
    return nearHashWords(await nearHashOf(thumb, maxPixels));
  } catch {
    return null; // the embedding step reports an undecodable file
  }
}

/** Allowed rows within `maxDistance` of the query's hashes: nearest first, then by row. */
export function nearRows(
  h: RowHashes,
  query: Uint32Array,
  allow: Uint8Array,
  maxDistance = NEAR_HASH_THRESHOLD,
): { row: number; distance: number }[] {
  const out: { row: number; distance: number }[] = [];
  for (let r = 0; r < h.has.length; r++) {
    if (!h.has[r] || !allow[r]) continue;
    const d = nearDistance(query, h.words, 0, r * NEAR_HASH_WORDS);
    if (d <= maxDistance) out.push({ row: r, distance: d });
  }
  return out.sort((x, y) => x.distance - y.distance || x.row - y.row);
}

/** Every pair of allowed rows (a < b) within `maxDistance`. */
export function nearPairs(
  h: RowHashes,
  allow: Uint8Array | undefined,
  maxDistance = NEAR_HASH_THRESHOLD,
): { a: Int32Array; b: Int32Array } {
  const a: number[] = [];
  const b: number[] = [];
  const n = h.has.length;
  const W = NEAR_HASH_WORDS;
  for (let i = 0; i < n; i++) {
    if (!h.has[i] || (allow && !allow[i])) continue;
    for (let j = i + 1; j < n; j++) {
      if (!h.has[j] || (allow && !allow[j])) continue;
      if (nearDistance(h.words, h.words, i * W, j * W) <= maxDistance) {
        a.push(i);
        b.push(j);
      }
    }
  }
  return { a: Int32Array.from(a), b: Int32Array.from(b) };
}

/** Cosine similarity of two unit rows of `v`. */
export function rowCosine(v: SpaceVectors, i: number, j: number): number {
  let s = 0;
  const d = v.dim;
  for (let k = 0; k < d; k++) s += v.matrix[i * d + k] * v.matrix[j * d + k];
  return s;
}

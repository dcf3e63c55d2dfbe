// On-disk layout of a training cache. One cache per (frame side, library content), three files:
//   <base>.bin   count slots of rowBytes(S), slot r at offset r·rowBytes: a header (height,
//                width: uint16 little-endian each), then height x width x 3 uint8 of the frame
//                (short side S, long side up to MAX_FRAME_ASPECT·S). A sparse file: the unused
//                tail of a slot is never written.
//   <base>.done  count bytes, 1 where the row holds its decoded image (written only after the
//                rows it vouches for reached the disk, so an interrupted build stays consistent)
//   <base>.json  the index: image id and hash per row, and once complete, the skipped images
// base = train-f<S>-<first 16 hex of sha256(format, S, ids, hashes)>. Format 1 (train-s<side>-*,
// centre squares) is never read: a build removes those files and decodes frames anew. Format 2
// (alpha dropped, not flattened onto white) is neither read nor copied from: it is removed once
// the new cache is complete.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namesIn } from '../../paths';
import { MAX_FRAME_ASPECT } from './decode';
import type { TrainImage } from './training-images';

export const CACHE_FORMAT = 3;
/** Bytes before a slot's pixels: height and width, uint16 LE. */
export const FRAME_HEADER = 4;

export type SkipReason = 'missing' | 'changed' | 'unreadable';

export interface SkippedImage {
  row: number;
  id: number;
  path: string;
  reason: SkipReason;
  message: string;
}

export interface CacheIndex {
  format: number;
  key: string;
  /** short side S of the stored frames */
  size: number;
  count: number;
  ids: number[];
  hashes: string[];
  complete: boolean;
  /** sorted by row; filled in when the build completes */
  skipped: SkippedImage[];
}

export interface CacheFiles {
  base: string;
  index: string;
  data: string;
  done: string;
}

/** Bytes of a slot: the header and the largest frame of short side S. */
export function rowBytes(size: number): number {
  return FRAME_HEADER + size * Math.round(size * MAX_FRAME_ASPECT) * 3;
}

/** Height and width of the frame in a slot (read from its header). */
export function slotDims(slot: Uint8Array, offset = 0): [number, number] {
  return [slot[offset] | (slot[offset + 1] << 8), slot[offset + 2] | (slot[offset + 3] << 8)];
}

/** FRAME_HEADER + h*w*3 bytes: the header, then the pixels. */
export function encodeSlot(height: number, width: number, pixels: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_HEADER + pixels.length);
  out.writeUInt16LE(height, 0);
  out.writeUInt16LE(width, 2);
  out.set(pixels, FRAME_HEADER);
  return out;
}

export function contentKey(size: number, images: readonly TrainImage[]): string {
  const h = createHash('sha256').update(`moco-train-cache ${CACHE_FORMAT} ${size}\n`);
  for (const im of images) h.update(`${im.id} ${im.hash}\n`);
  return h.digest('hex').slice(0, 16);
}

export function cacheFiles(dir: string, size: number, key: string): CacheFiles {
  return filesOf(join(dir, `train-f${size}-${key}`));
}

function filesOf(base: string): CacheFiles {
  return { base, index: `${base}.json`, data: `${base}.bin`, done: `${base}.done` };
}

/** Every cache of side `size` in dir (complete or not), by the index files present. */
export function listCaches(dir: string, size: number): CacheFiles[] {
  const names = namesIn(dir);
  const pattern = new RegExp(`^train-f${size}-[0-9a-f]{16}\\.json$`);
  return names.filter((n) => pattern.test(n)).map((n) => filesOf(join(dir, n.slice(0, -'.json'.length))));
}

/** Files of format-1 caches (centre squares, train-s<side>-*) in dir: never read, only removed. */
export function staleCacheFiles(dir: string): string[] {
  const names = namesIn(dir);
  return names.filter((n) => /^train-s\d+-[0-9a-f]{16}\.(json|json\.tmp|bin|done)$/.test(n)).map((n) => join(dir, n));
}

/** The index at `path`; throws an error that names the file when it is not a valid index. */
export function readIndex(path: string): CacheIndex {
  const text = readFileSync(path, 'utf8');
  let idx: CacheIndex;
  try {
    idx = JSON.parse(text) as CacheIndex;
  } catch (err) {
    throw new Error(`${path}: expected a training cache index (JSON), got unparsable text (${(err as Error).message})`);
  }
  const ok =
    idx !== null &&
    typeof idx === 'object' &&
    idx.format === CACHE_FORMAT &&
    Number.isInteger(idx.size) &&
    Number.isInteger(idx.count) &&
    Array.isArray(idx.ids) &&
    Array.isArray(idx.hashes) &&
    idx.ids.length === idx.count &&
    idx.hashes.length === idx.count &&
    typeof idx.complete === 'boolean' &&
    Array.isArray(idx.skipped);
  if (!ok) throw new Error(`${path}: expected a training cache index of format ${CACHE_FORMAT}, got another structure`);
  return idx;
}

/** Written beside and renamed over, so a reader sees the old index or the new one. */
export async function writeIndex(path: string, idx: CacheIndex): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(idx));
  await rename(tmp, path);
}

export async function removeCache(files: CacheFiles): Promise<void> {
  // The index goes first: without it the other two files are never read again.
  await rm(files.index, { force: true });
  await rm(`${files.index}.tmp`, { force: true });
  await rm(files.done, { force: true });
  await rm(files.data, { force: true });
}

/**
 * The index at files.index when it and its data and done files fit a cache of `count` rows;
 * null when any is absent or does not fit: the build then starts that cache afresh.
 */
export function indexIfValid(files: CacheFiles, count: number | null, rb: number): CacheIndex | null {
  let idx: CacheIndex;
  let dataSize: number;
  let doneSize: number;
  try {
    idx = readIndex(files.index);
    dataSize = fileSize(files.data);
    doneSize = fileSize(files.done);
  } catch {
    return null; // unreadable pieces of a cache are rebuilt, never read
  }
  const n = count ?? idx.count;
  if (idx.count !== n || rowBytes(idx.size) !== rb || dataSize !== n * rb || doneSize !== n) return null;
  return idx;
}

function fileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

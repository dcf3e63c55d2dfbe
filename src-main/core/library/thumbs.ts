// Thumbnails cached on disk by content hash, so duplicates share one file and a rescan of an
// unchanged image never re-encodes. Written to a temp file and renamed, so a killed process
// never leaves a half-written thumbnail that a later scan would trust.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Sharp } from 'sharp';
import { DEFAULT_SETTINGS } from '../db/settings-store';

export function thumbPath(dataDir: string, hash: string, size: number): string {
  const name = size === DEFAULT_SETTINGS.thumbnailSize ? `${hash}.webp` : `${hash}-${size}.webp`;
  return join(dataDir, 'thumbs', hash.slice(0, 2), name);
}

export function thumbExists(dataDir: string, hash: string, size: number): boolean {
  return existsSync(thumbPath(dataDir, hash, size));
}

let tmpCounter = 0;
// Beside the two-hex-digit hash folders; same filesystem, so the final rename is atomic.
const TMP_DIR = 'tmp';

/** Encodes `pipeline` (already oriented) as a thumbnail; throws only on decode errors. */
export async function encodeThumb(pipeline: Sharp, size: number): Promise<Buffer> {
  return pipeline
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, effort: 2 })
    .toBuffer();
}

/** Stores encoded thumbnail bytes in the cache; throws only on disk errors. */
export async function storeThumb(bytes: Buffer, dataDir: string, hash: string, size: number): Promise<string> {
  const dest = thumbPath(dataDir, hash, size);
  const tmpDir = join(dataDir, 'thumbs', TMP_DIR);
  await Promise.all([ensureDir(dirname(dest)), ensureDir(tmpDir)]);
  // Named by process id, so a later scan can tell the leftovers of a killed process.
  const tmp = join(tmpDir, `${process.pid}-${threadId}-${++tmpCounter}.webp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return dest;
}

// Folders known to exist, so the common case costs one stat instead of a mkdir round trip.
const madeDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir) && existsSync(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

/** Deletes temp files left by processes that died while writing a thumbnail. */
export async function removeStaleTemps(dataDir: string): Promise<void> {
  const tmpDir = join(dataDir, 'thumbs', TMP_DIR);
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => !isAlive(Number(n.split('-')[0]))).map((n) => rm(join(tmpDir, n), { force: true })));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Removes the cached thumbnails (of every size) of hashes no image uses any more. */
export async function removeThumbs(dataDir: string, hashes: readonly string[]): Promise<void> {
  await Promise.all(
    hashes.map(async (hash) => {
      const dir = join(dataDir, 'thumbs', hash.slice(0, 2));
      const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      await Promise.all(names.filter((n) => n.startsWith(hash)).map((n) => rm(join(dir, n), { force: true })));
    }),
  );
}

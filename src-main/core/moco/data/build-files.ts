// The files a cache build writes (its target: data, done flags, index) and the finished rows it
// may copy instead of decoding (donors: the other caches of the same side, by content hash).
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { indexIfValid, listCaches, removeCache, writeIndex, type CacheFiles, type CacheIndex } from './cache-files';

export interface Target {
  data: FileHandle;
  doneFile: FileHandle;
  done: Uint8Array;
}

/** Reopens an interrupted build of the same content, or lays out empty files for a new one. */
export async function openTarget(files: CacheFiles, index: CacheIndex, rb: number): Promise<Target> {
  if (indexIfValid(files, index.count, rb)) {
    const done = new Uint8Array(readFileSync(files.done));
    return { data: await open(files.data, 'r+'), doneFile: await open(files.done, 'r+'), done };
  }
  await removeCache(files);
  const data = await open(files.data, 'w+');
  const doneFile = await open(files.done, 'w+');
  await data.truncate(index.count * rb); // sparse: unwritten rows read as zeros
  const done = new Uint8Array(index.count);
  await doneFile.write(done, 0, index.count, 0);
  await writeIndex(files.index, index);
  return { data, doneFile, done };
}

export interface Donors {
  caches: CacheFiles[];
  handles: FileHandle[];
  byHash: Map<string, { file: FileHandle; files: CacheFiles; row: number }>;
}

/** Finished rows of the other caches of this side, by content hash. */
export async function openDonors(self: CacheFiles, size: number, rb: number): Promise<Donors> {
  const donors: Donors = { caches: [], handles: [], byHash: new Map() };
  for (const files of listCaches(dirname(self.base), size)) {
    if (files.base === self.base) continue;
    donors.caches.push(files);
    const idx = indexIfValid(files, null, rb);
    if (!idx) continue; // a broken leftover: nothing to copy, removed with the rest
    const done = readFileSync(files.done);
    const file = await open(files.data, 'r');
    donors.handles.push(file);
    for (let r = 0; r < idx.count; r++) {
      if (done[r] === 1 && !donors.byHash.has(idx.hashes[r])) donors.byHash.set(idx.hashes[r], { file, files, row: r });
    }
  }
  return donors;
}

// Computes the perceptual hashes that images indexed before they existed lack: from the cached
// thumbnail when there is one (a small decode), from the file otherwise. Runs after every scan
// and before near-duplicates are looked for, a batch at a time, so an old library gets them
// without a full rescan.
import type { NearHashStore, PendingNearHash } from '../db/near-hash-store';
import { nearHashOf } from './near-hash';
import { thumbExists, thumbPath } from './thumbs';

export interface NearHashFillOptions {
  dataDir: string;
  thumbnailSize: number;
  maxPixels: number;
  isCancelled?: () => boolean;
  /** images hashed so far, of the ones pending at the start */
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 64;
const LANES = 2;

/** Fills every missing hash; returns how many images were hashed. */
export async function fillNearHashes(store: NearHashStore, opts: NearHashFillOptions): Promise<number> {
  const total = store.pendingCount();
  let done = 0;
  let afterId = 0; // a row the save skipped (its file changed meanwhile) is not tried again here
  while (!opts.isCancelled?.()) {
    const batch = store.pending(afterId, BATCH);
    if (!batch.length) break;
    afterId = batch[batch.length - 1].id;
    const out: { id: number; hash: string; nearHash: Uint8Array }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < batch.length) {
        const row = batch[next++];
        out.push({ id: row.id, hash: row.hash, nearHash: await hashOf(row, opts) });
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    store.save(out);
    done += out.length;
    opts.onProgress?.(done, total);
  }
  return done;
}

async function hashOf(row: PendingNearHash, opts: NearHashFillOptions): Promise<Uint8Array> {
  const source = thumbExists(opts.dataDir, row.hash, opts.thumbnailSize) ? thumbPath(opts.dataDir, row.hash, opts.thumbnailSize) : row.path;
  try {
    return await nearHashOf(source, opts.maxPixels);
  } catch {
    return new Uint8Array(0); // unreadable or gone: the next scan records why
  }
}

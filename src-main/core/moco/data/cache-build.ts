// Building the training cache: the library decoded once to whole frames (aspect kept, short
// side frameSideFor(R)), one fixed-size slot each. The build runs a few sharp decodes at a time,
// can be cancelled, and resumes: rows already on disk are kept, and rows of another cache of
// the same side (the library before it changed) are copied by content hash instead of decoded
// again.
import { mkdir, rm, stat, type FileHandle } from 'node:fs/promises';
import {
  CACHE_FORMAT,
  cacheFiles,
  contentKey,
  encodeSlot,
  FRAME_HEADER,
  indexIfValid,
  removeCache,
  rowBytes,
  slotDims,
  staleCacheFiles,
  writeIndex,
  type CacheFiles,
  type CacheIndex,
  type SkippedImage,
  type SkipReason,
} from './cache-files';
import { openDonors, openTarget, type Donors, type Target } from './build-files';
import { decodeFrame } from './decode';
import { TrainCache } from './train-cache';
import type { TrainImage } from './training-images';

export interface BuildProgress {
  /** rows finished, whether kept, copied, decoded or skipped */
  done: number;
  total: number;
  decoded: number;
  reused: number;
  skipped: number;
}

export interface BuildOptions {
  dir: string;
  images: readonly TrainImage[];
  /** short side of the stored frames (frameSideFor(resolution)) */
  size: number;
  /** decodes in flight; default 4 */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: BuildProgress) => void;
  onSkip?: (s: SkippedImage) => void;
}

export interface BuildResult {
  cache: TrainCache;
  /** rows found already written by an earlier, interrupted build */
  kept: number;
  decoded: number;
  /** rows copied from an older cache of the same side */
  reused: number;
  skipped: SkippedImage[];
}

/** How often finished rows are made durable and recorded, at most. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * Builds (or completes, or just opens) the cache of `images` at side `size` in `dir`. On abort
 * it finishes the decodes in flight, records every finished row, and rejects with the
 * signal's reason; the next call continues from there. Once complete, older caches of the
 * same side are removed.
 */
export async function buildTrainCache(opts: BuildOptions): Promise<BuildResult> {
  const { dir, images, size, signal } = opts;
  const concurrency = opts.concurrency ?? 4;
  checkInt('buildTrainCache: size', size, 2);
  checkInt('buildTrainCache: concurrency', concurrency, 1);
  if (images.length === 0) throw new RangeError('buildTrainCache: expected at least one image, got an empty library');
  checkUniqueIds(images);
  signal?.throwIfAborted();

  const count = images.length;
  const rb = rowBytes(size);
  const key = contentKey(size, images);
  const files = cacheFiles(dir, size, key);
  await mkdir(dir, { recursive: true });
  // Caches of the older format (centre squares) are never read: their space goes back.
  for (const stale of staleCacheFiles(dir)) await rm(stale, { force: true });
  const progress: BuildProgress = { done: 0, total: count, decoded: 0, reused: 0, skipped: 0 };

  const finished = completeIndex(files, count, rb);
  if (finished) {
    progress.done = count;
    progress.skipped = finished.skipped.length;
    opts.onProgress?.(progress);
    return { cache: TrainCache.open(files.base), kept: count, decoded: 0, reused: 0, skipped: finished.skipped };
  }

  const index: CacheIndex = {
    format: CACHE_FORMAT,
    key,
    size,
    count,
    ids: images.map((im) => im.id),
    hashes: images.map((im) => im.hash),
    complete: false,
    skipped: [],
  };
  const target = await openTarget(files, index, rb);
  const donors = await openDonors(files, size, rb);
  const pending: number[] = [];
  for (let r = 0; r < count; r++) if (target.done[r] !== 1) pending.push(r);
  const kept = count - pending.length;
  progress.done = kept;
  opts.onProgress?.(progress);

  const filler = new RowFiller(opts, rb, target, donors, progress);
  await filler.run(pending, concurrency);
  const { skipped } = filler;
  skipped.sort((a, b) => a.row - b.row);
  await writeIndex(files.index, { ...index, complete: true, skipped });
  // The older caches of this side served as donors; the complete cache replaces them.
  for (const old of donors.caches) await removeCache(old);
  return { cache: TrainCache.open(files.base), kept, decoded: progress.decoded, reused: progress.reused, skipped };
}

/** Fills the pending rows a few at a time, copying from a donor or decoding, and records finished rows now and then. */
class RowFiller {
  readonly skipped: SkippedImage[] = [];
  private flushed = Date.now();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: BuildOptions,
    private readonly rb: number,
    private readonly target: Target,
    private readonly donors: Donors,
    private readonly progress: BuildProgress,
  ) {}

  /** Runs `concurrency` workers over `pending` until done, aborted or failed; closes the files either way. */
  async run(pending: readonly number[], concurrency: number): Promise<void> {
    const { signal } = this.opts;
    let next = 0;
    const failures: unknown[] = [];
    const worker = async () => {
      while (next < pending.length && !signal?.aborted && failures.length === 0) {
        const row = pending[next++];
        try {
          await this.fillRow(row);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
      await this.flush();
    } finally {
      const { target, donors } = this;
      await Promise.all([target.data.close(), target.doneFile.close(), ...donors.handles.map((h) => h.close())]);
    }
    if (failures.length > 0) throw failures[0];
    signal?.throwIfAborted();
  }

  // The done bytes are snapshotted before the sync, so they only vouch for rows already written.
  private flush(): Promise<void> {
    const { target } = this;
    const snapshot = target.done.slice();
    this.flushing = this.flushing.then(async () => {
      await target.data.datasync();
      await target.doneFile.write(snapshot, 0, snapshot.length, 0);
    });
    return this.flushing;
  }

  private async fillRow(row: number): Promise<void> {
    const { opts, progress, rb, target } = this;
    const im = opts.images[row];
    const donor = this.donors.byHash.get(im.hash);
    if (donor) {
      // Only the header and the frame's pixels: the rest of the slot stays a hole in the file.
      const head = Buffer.alloc(FRAME_HEADER);
      await readExactly(donor.file, head, donor.row * rb, `${donor.files.data} row ${donor.row}`);
      const [h, w] = slotDims(head);
      const used = FRAME_HEADER + h * w * 3;
      if (used > rb) throw new Error(`${donor.files.data} row ${donor.row}: expected a frame within ${rb} bytes, got ${h}x${w}`);
      const buf = Buffer.alloc(used);
      await readExactly(donor.file, buf, donor.row * rb, `${donor.files.data} row ${donor.row}`);
      await target.data.write(buf, 0, used, row * rb);
      progress.reused++;
    } else {
      const result = await decodeImage(im, opts.size);
      if ('reason' in result) {
        const s: SkippedImage = { row, id: im.id, path: im.path, ...result };
        this.skipped.push(s);
        progress.skipped++;
        progress.done++;
        opts.onSkip?.(s);
        opts.onProgress?.(progress);
        return;
      }
      await target.data.write(result.slot, 0, result.slot.length, row * rb);
      progress.decoded++;
    }
    target.done[row] = 1;
    progress.done++;
    opts.onProgress?.(progress);
    if (Date.now() - this.flushed >= FLUSH_INTERVAL_MS) {
      this.flushed = Date.now();
      await this.flush();
    }
  }
}

type Decoded = { slot: Buffer } | { reason: SkipReason; message: string };

async function decodeImage(im: TrainImage, size: number): Promise<Decoded> {
  try {
    const st = await stat(im.path);
    if (st.size !== im.size || st.mtimeMs !== im.mtimeMs) {
      return { reason: 'changed', message: `${im.path}: changed since the last scan (rescan the library)` };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'missing', message: `${im.path}: file not found` };
    return { reason: 'unreadable', message: `${im.path}: ${(err as Error).message}` };
  }
  try {
    const f = await decodeFrame(im.path, size);
    return { slot: encodeSlot(f.height, f.width, f.pixels) };
  } catch (err) {
    return { reason: 'unreadable', message: `${im.path}: ${(err as Error).message}` };
  }
}

/** The index of a finished cache whose files are all there and of the right size, else null. */
function completeIndex(files: CacheFiles, count: number, rb: number): CacheIndex | null {
  const idx = indexIfValid(files, count, rb);
  return idx?.complete ? idx : null;
}

async function readExactly(file: FileHandle, buf: Buffer, position: number, what: string): Promise<void> {
  const { bytesRead } = await file.read(buf, 0, buf.length, position);
  if (bytesRead !== buf.length) throw new Error(`${what}: expected ${buf.length} bytes, got ${bytesRead}`);
}

function checkInt(where: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${where}: expected an integer >= ${min}, got ${v}`);
}

function checkUniqueIds(images: readonly TrainImage[]): void {
  const seen = new Set<number>();
  for (const im of images) {
    if (seen.has(im.id)) throw new RangeError(`buildTrainCache: expected unique image ids, got ${im.id} twice`);
    seen.add(im.id);
  }
}

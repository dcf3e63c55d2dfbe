// The training cache: the library decoded once to whole frames (aspect kept, short side
// frameSideFor(R)), one fixed-size slot each in a flat file read by positioned reads, so epochs never decode a photo again and the library never
// sits in RAM. The build runs a few sharp decodes at a time, can be cancelled, and resumes:
// rows already on disk are kept, and rows of another cache of the same side (the library
// before it changed) are copied by content hash instead of decoded again.
import { closeSync, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  cacheFiles,
  contentKey,
  listCaches,
  readIndex,
  removeCache,
  rowBytes,
  slotDims,
  encodeSlot,
  staleCacheFiles,
  FRAME_HEADER,
  writeIndex,
  type CacheFiles,
  type CacheIndex,
  type SkippedImage,
  type SkipReason,
  CACHE_FORMAT,
} from './cache-files';
import { decodeFrame } from './decode';
import type { FrameLayout } from './augment';
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
  const skipped: SkippedImage[] = [];
  const pending: number[] = [];
  for (let r = 0; r < count; r++) if (target.done[r] !== 1) pending.push(r);
  const kept = count - pending.length;
  progress.done = kept;
  opts.onProgress?.(progress);

  let flushed = Date.now();
  let flushing: Promise<void> = Promise.resolve();
  // The done bytes are snapshotted before the sync, so they only vouch for rows already written.
  const flush = () => {
    const snapshot = target.done.slice();
    flushing = flushing.then(async () => {
      await target.data.datasync();
      await target.doneFile.write(snapshot, 0, count, 0);
    });
    return flushing;
  };

  const fillRow = async (row: number): Promise<void> => {
    const im = images[row];
    const donor = donors.byHash.get(im.hash);
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
      const result = await decodeImage(im, size);
      if ('reason' in result) {
        const s: SkippedImage = { row, id: im.id, path: im.path, ...result };
        skipped.push(s);
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
    if (Date.now() - flushed >= FLUSH_INTERVAL_MS) {
      flushed = Date.now();
      await flush();
    }
  };

  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < pending.length && !signal?.aborted && failures.length === 0) {
      const row = pending[next++];
      try {
        await fillRow(row);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
    await flush();
  } finally {
    await Promise.all([target.data.close(), target.doneFile.close(), ...donors.handles.map((h) => h.close())]);
  }
  if (failures.length > 0) throw failures[0];
  signal?.throwIfAborted();

  skipped.sort((a, b) => a.row - b.row);
  await writeIndex(files.index, { ...index, complete: true, skipped });
  // The older caches of this side served as donors; the complete cache replaces them.
  for (const old of donors.caches) await removeCache(old);
  return { cache: TrainCache.open(files.base), kept, decoded: progress.decoded, reused: progress.reused, skipped };
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

/**
 * The index at files.index when it and its data and done files fit a cache of `count` rows;
 * null when any is absent or does not fit: the build then starts that cache afresh.
 */
function indexIfValid(files: CacheFiles, count: number | null, rb: number): CacheIndex | null {
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

interface Target {
  data: FileHandle;
  doneFile: FileHandle;
  done: Uint8Array;
}

/** Reopens an interrupted build of the same content, or lays out empty files for a new one. */
async function openTarget(files: CacheFiles, index: CacheIndex, rb: number): Promise<Target> {
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

interface Donors {
  caches: CacheFiles[];
  handles: FileHandle[];
  byHash: Map<string, { file: FileHandle; files: CacheFiles; row: number }>;
}

/** Finished rows of the other caches of this side, by content hash. */
async function openDonors(self: CacheFiles, size: number, rb: number): Promise<Donors> {
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

/**
 * A complete cache opened for reading. Rows are read with positioned reads on one file
 * descriptor, synchronously or on the thread pool (readBatchAsync) while the caller computes.
 */
export class TrainCache {
  readonly size: number;
  readonly rowBytes: number;
  readonly count: number;
  /** image id of each row */
  readonly ids: readonly number[];
  /** the rows that hold an image (skipped images leave a row of zeros) */
  readonly rows: Int32Array;
  readonly skipped: readonly SkippedImage[];
  private readonly valid: Uint8Array;
  private readonly rowById: Map<number, number>;
  private fd: number | null;

  private constructor(
    readonly files: CacheFiles,
    idx: CacheIndex,
    done: Uint8Array,
  ) {
    this.size = idx.size;
    this.rowBytes = rowBytes(idx.size);
    this.count = idx.count;
    this.ids = idx.ids;
    this.skipped = idx.skipped;
    this.valid = done;
    const rows: number[] = [];
    for (let r = 0; r < idx.count; r++) if (done[r] === 1) rows.push(r);
    this.rows = Int32Array.from(rows);
    this.rowById = new Map(idx.ids.map((id, r) => [id, r]));
    this.fd = openSync(files.data, 'r');
  }

  /** Opens the complete cache at `base` (a path without extension, as BuildResult.cache.files.base). */
  static open(base: string): TrainCache {
    const files: CacheFiles = { base, index: `${base}.json`, data: `${base}.bin`, done: `${base}.done` };
    const idx = readIndex(files.index);
    if (!idx.complete) throw new Error(`${files.index}: expected a complete training cache, got an unfinished build`);
    if (!indexIfValid(files, idx.count, rowBytes(idx.size))) {
      throw new Error(`${files.base}: expected data and done files for ${idx.count} rows of ${idx.size} px, got files that do not fit`);
    }
    return new TrainCache(files, idx, new Uint8Array(readFileSync(files.done)));
  }

  /** The row of an image id, or undefined when the image is not in this cache. */
  rowOf(imageId: number): number | undefined {
    return this.rowById.get(imageId);
  }

  /**
   * Where the frames of a batch read by readBatch are: their sizes (from the slot headers), the
   * slot size and the header length, as augmentation takes them.
   */
  framesOf(data: Uint8Array, n: number): FrameLayout {
    if (data.length !== n * this.rowBytes)
      throw new RangeError(`TrainCache.framesOf: expected ${n} slots (${n * this.rowBytes} bytes), got ${data.length} bytes`);
    const dims = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [h, w] = slotDims(data, i * this.rowBytes);
      if (!(Math.min(h, w) === this.size && FRAME_HEADER + h * w * 3 <= this.rowBytes)) {
        throw new Error(`${this.files.data}: expected a frame of short side ${this.size} in slot ${i} of the batch, got ${h}x${w}`);
      }
      dims[2 * i] = h;
      dims[2 * i + 1] = w;
    }
    return { dims, slotBytes: this.rowBytes, header: FRAME_HEADER };
  }

  /** rows.length slots of the given rows, in that order (see framesOf for their frames). */
  readBatch(rows: ArrayLike<number>, out?: Uint8Array): Uint8Array {
    const fd = this.openFd();
    const buf = this.batchBuffer(rows, out);
    for (let i = 0; i < rows.length; i++) {
      const got = readSync(fd, buf, i * this.rowBytes, this.rowBytes, rows[i] * this.rowBytes);
      this.checkRead(rows[i], got);
    }
    return buf;
  }

  /** readBatch on the thread pool: all rows of the batch are read concurrently. */
  async readBatchAsync(rows: ArrayLike<number>, out?: Uint8Array): Promise<Uint8Array> {
    const fd = this.openFd();
    const buf = this.batchBuffer(rows, out);
    await Promise.all(
      Array.from(
        rows,
        (row, i) =>
          new Promise<void>((resolve, reject) => {
            read(fd, buf, i * this.rowBytes, this.rowBytes, row * this.rowBytes, (err, got) => {
              if (err) reject(err);
              else {
                try {
                  this.checkRead(row, got);
                  resolve();
                } catch (e) {
                  reject(e);
                }
              }
            });
          }),
      ),
    );
    return buf;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`${this.files.data}: expected an open training cache, got one already closed`);
    return this.fd;
  }

  private batchBuffer(rows: ArrayLike<number>, out?: Uint8Array): Uint8Array {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= this.count || this.valid[r] !== 1) {
        throw new RangeError(`TrainCache.readBatch: expected rows that hold an image (0..${this.count - 1}), got ${r}`);
      }
    }
    const bytes = rows.length * this.rowBytes;
    if (out && out.length !== bytes) throw new RangeError(`TrainCache.readBatch: expected an output of ${bytes} bytes, got ${out.length}`);
    return out ?? new Uint8Array(bytes);
  }

  private checkRead(row: number, got: number): void {
    if (got !== this.rowBytes) throw new Error(`${this.files.data} row ${row}: expected ${this.rowBytes} bytes, got ${got}`);
  }
}

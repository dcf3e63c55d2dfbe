// The training cache opened for reading: whole frames (aspect kept, short side
// frameSideFor(R)), one fixed-size slot each in a flat file read by positioned reads, so epochs
// never decode a photo again and the library never sits in RAM (cache-build.ts writes it).
import { closeSync, openSync, read, readFileSync, readSync } from 'node:fs';
import {
  FRAME_HEADER,
  indexIfValid,
  readIndex,
  rowBytes,
  slotDims,
  type CacheFiles,
  type CacheIndex,
  type SkippedImage,
} from './cache-files';
import type { FrameLayout } from './augment';

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

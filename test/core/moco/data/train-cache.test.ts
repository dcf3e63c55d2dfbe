import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src-main/core/db/connection';
import { cacheSideFor, decodeFrame, frameDims, frameSideFor } from '../../../../src-main/core/moco/data/decode';
import { FRAME_HEADER, rowBytes, slotDims } from '../../../../src-main/core/moco/data/cache-files';
import { buildTrainCache, type BuildProgress } from '../../../../src-main/core/moco/data/cache-build';
import { TrainCache } from '../../../../src-main/core/moco/data/train-cache';
import { listTrainingImages } from '../../../../src-main/core/moco/data/training-images';
import { makeLibrary, tempDir, trainImage, writeImage, writeRotatedImage } from './fixtures';

const S = 20;
const opened: TrainCache[] = [];
const dirs: string[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

function keep<T extends { cache: TrainCache }>(r: T): T {
  opened.push(r.cache);
  return r;
}

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pixel(data: Uint8Array, size: number, y: number, x: number): number[] {
  const o = (y * size + x) * 3;
  return [data[o], data[o + 1], data[o + 2]];
}

/** The frame stored in a one-slot read: its height, width and pixels. */
function frameOf(slot: Uint8Array): { h: number; w: number; pixels: Uint8Array } {
  const [h, w] = slotDims(slot);
  return { h, w, pixels: slot.subarray(FRAME_HEADER, FRAME_HEADER + h * w * 3) };
}

describe('buildTrainCache', () => {
  it('stores each image decoded whole, oriented by EXIF, short side at the cache side, aspect kept up to 2:1', async () => {
    const lib = dir('lib');
    const images = await makeLibrary(lib, 3);
    const rotated = join(lib, 'rotated.jpg');
    await writeRotatedImage(rotated);
    images.push(trainImage(10, rotated));

    const progress: BuildProgress[] = [];
    const { cache, decoded, skipped } = keep(
      await buildTrainCache({ dir: dir('cache'), images, size: S, onProgress: (p) => progress.push({ ...p }) }),
    );
    expect(decoded).toBe(4);
    expect(skipped).toEqual([]);
    expect(cache.count).toBe(4);
    expect(Array.from(cache.rows)).toEqual([0, 1, 2, 3]);
    expect(progress.at(-1)).toMatchObject({ done: 4, total: 4, decoded: 4 });

    for (let r = 0; r < 3; r++) {
      const stored = frameOf(cache.readBatch([r]));
      const want = await decodeFrame(images[r].path, S);
      // 48x40 photos: the whole frame, 20 px high and 24 wide, not a centre square.
      expect([stored.h, stored.w]).toEqual([20, 24]);
      expect([want.height, want.width]).toEqual([20, 24]);
      expect(Buffer.from(stored.pixels).equals(want.pixels)).toBe(true);
    }
    // Stored 60x20 with red left, blue right; orientation 6 shows it 20x60 with red on top,
    // kept as its centre 20x40 (2:1 at most).
    const slot = cache.readBatch([cache.rowOf(10)!]);
    const { h, w, pixels: rot } = frameOf(slot);
    expect([h, w]).toEqual([40, 20]);
    const top = pixel(rot, S, 1, S / 2);
    const bottom = pixel(rot, S, h - 2, S / 2);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
    // The left and right edges of the middle row are the same colour: no longer side by side.
    const left = pixel(rot, S, 2, 1);
    const right = pixel(rot, S, 2, S - 2);
    expect(Math.abs(left[0] - right[0])).toBeLessThan(40);
  });

  it('skips missing, changed and unreadable files with a reason and keeps the rest', async () => {
    const lib = dir('lib');
    const images = await makeLibrary(lib, 5);
    rmSync(images[1].path);
    writeFileSync(images[2].path, 'now a different file');
    const broken = join(lib, 'broken.jpg');
    writeFileSync(broken, Buffer.from('not an image at all'));
    images.push(trainImage(6, broken));

    const reported: string[] = [];
    const { cache, skipped } = keep(await buildTrainCache({ dir: dir('cache'), images, size: S, onSkip: (s) => reported.push(s.reason) }));
    expect(skipped.map((s) => [s.id, s.reason])).toEqual([
      [2, 'missing'],
      [3, 'changed'],
      [6, 'unreadable'],
    ]);
    expect(skipped[2].message).toContain('broken.jpg');
    expect(reported.sort()).toEqual(['changed', 'missing', 'unreadable']);
    expect(Array.from(cache.rows)).toEqual([0, 3, 4]);
    expect(() => cache.readBatch([1])).toThrow(/expected rows that hold an image/);
    expect(() => cache.readBatch([7])).toThrow(/expected rows that hold an image/);
  });

  it('resumes an aborted build to the same files as a build in one go', async () => {
    const images = await makeLibrary(dir('lib'), 14);
    const oneShot = dir('one');
    const { cache: full } = keep(await buildTrainCache({ dir: oneShot, images, size: S, concurrency: 2 }));

    const resumed = dir('resumed');
    const controller = new AbortController();
    const first = buildTrainCache({
      dir: resumed,
      images,
      size: S,
      concurrency: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 5) controller.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const partial = readdirSync(resumed).filter((n) => n.endsWith('.json'));
    expect(partial).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(resumed, partial[0]), 'utf8')).complete).toBe(false);

    const second = keep(await buildTrainCache({ dir: resumed, images, size: S, concurrency: 3 }));
    expect(second.kept).toBeGreaterThanOrEqual(5);
    expect(second.kept).toBeLessThan(14);
    expect(second.decoded).toBe(14 - second.kept);

    const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    expect(name(second.cache.files.base)).toBe(name(full.files.base));
    for (const ext of ['.bin', '.done', '.json']) {
      const a = readFileSync(full.files.base + ext);
      const b = readFileSync(second.cache.files.base + ext);
      expect(b.equals(a), ext).toBe(true);
    }

    // A complete cache is opened, not rebuilt.
    const third = keep(await buildTrainCache({ dir: resumed, images, size: S }));
    expect([third.kept, third.decoded]).toEqual([14, 0]);
  });

  it('copies rows of the previous cache by hash when the library changes, then removes it', async () => {
    const lib = dir('lib');
    const images = await makeLibrary(lib, 6);
    const cacheDir = dir('cache');
    const before = keep(await buildTrainCache({ dir: cacheDir, images, size: S }));
    const extra = join(lib, 'new.jpg');
    await writeImage(extra, 99);
    const grown = [...images.slice(1), trainImage(7, extra)]; // one gone, one added

    const after = keep(await buildTrainCache({ dir: cacheDir, images: grown, size: S }));
    expect([after.reused, after.decoded]).toEqual([5, 1]);
    for (let r = 0; r < 5; r++) {
      expect(Buffer.from(after.cache.readBatch([r])).equals(Buffer.from(before.cache.readBatch([r + 1])))).toBe(true);
    }
    expect(existsSync(`${before.cache.files.base}.json`)).toBe(false);
    expect(existsSync(`${before.cache.files.base}.bin`)).toBe(false);
    expect(readdirSync(cacheDir).sort()).toHaveLength(3);
  });

  it('never reads a cache of the older format (centre squares): it is removed and the frames decoded anew', async () => {
    const images = await makeLibrary(dir('lib'), 3);
    const cacheDir = dir('cache');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cacheDir, { recursive: true });
    // A complete format-1 cache of the same images, as the previous version wrote it.
    const old = join(cacheDir, 'train-s20-0123456789abcdef');
    writeFileSync(
      `${old}.json`,
      JSON.stringify({
        format: 1,
        key: '0123456789abcdef',
        size: 20,
        count: 3,
        ids: [1, 2, 3],
        hashes: images.map((im) => im.hash),
        complete: true,
        skipped: [],
      }),
    );
    writeFileSync(`${old}.bin`, Buffer.alloc(3 * 20 * 20 * 3, 7));
    writeFileSync(`${old}.done`, Buffer.from([1, 1, 1]));
    const built = keep(await buildTrainCache({ dir: cacheDir, images, size: S }));
    expect([built.decoded, built.reused]).toEqual([3, 0]);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('train-s'))).toEqual([]);
    expect(frameOf(built.cache.readBatch([0])).h).toBe(20);
  });

  it('never copies from a cache of format 2 (alpha dropped, not flattened): its frames are decoded anew, then it is removed', async () => {
    const images = await makeLibrary(dir('lib'), 3);
    const cacheDir = dir('cache');
    const first = await buildTrainCache({ dir: cacheDir, images, size: S });
    const base = first.cache.files.base;
    first.cache.close();
    // The same frames under another key, marked format 2 and filled with a colour no decode gives.
    const old = join(cacheDir, `train-f${S}-0123456789abcdef`);
    const idx = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    writeFileSync(`${old}.json`, JSON.stringify({ ...idx, format: 2, key: '0123456789abcdef' }));
    writeFileSync(`${old}.bin`, Buffer.alloc(readFileSync(`${base}.bin`).length, 7));
    writeFileSync(`${old}.done`, readFileSync(`${base}.done`));
    for (const ext of ['json', 'bin', 'done']) rmSync(`${base}.${ext}`);
    const built = keep(await buildTrainCache({ dir: cacheDir, images, size: S }));
    expect([built.decoded, built.reused]).toEqual([3, 0]);
    expect(existsSync(`${old}.json`)).toBe(false);
    expect(Buffer.from(frameOf(built.cache.readBatch([0])).pixels).equals((await decodeFrame(images[0].path, S)).pixels)).toBe(true);
  });

  it('refuses bad options before any work', async () => {
    const images = await makeLibrary(dir('lib'), 2);
    const cacheDir = dir('cache');
    await expect(buildTrainCache({ dir: cacheDir, images: [], size: S })).rejects.toThrow(/expected at least one image/);
    await expect(buildTrainCache({ dir: cacheDir, images, size: 1 })).rejects.toThrow(/size: expected an integer >= 2, got 1/);
    await expect(buildTrainCache({ dir: cacheDir, images: [images[0], images[0]], size: S })).rejects.toThrow(
      /expected unique image ids, got 1 twice/,
    );
    expect(() => cacheSideFor(64)).not.toThrow();
    expect(cacheSideFor(64)).toBe(74);
    expect(cacheSideFor(32)).toBe(37);
    expect(frameSideFor(64)).toBe(112);
    expect(frameSideFor(32)).toBe(56);
    expect(frameSideFor(224)).toBe(320);
    expect(() => frameSideFor(1)).toThrow(/expected an integer resolution >= 2, got 1/);
    expect(frameDims(40, 48, 20)).toEqual([20, 24]);
    expect(frameDims(60, 20, 20)).toEqual([40, 20]);
    expect(frameDims(30, 30, 20)).toEqual([20, 20]);
  });
});

describe('TrainCache', () => {
  it('reads the same rows synchronously and on the thread pool', async () => {
    const images = await makeLibrary(dir('lib'), 8);
    const { cache } = keep(await buildTrainCache({ dir: dir('cache'), images, size: S }));
    const rows = [5, 0, 7, 3];
    const sync = cache.readBatch(rows);
    const async = await cache.readBatchAsync(rows);
    const slot = rowBytes(S);
    expect(sync.length).toBe(4 * slot);
    expect(Buffer.from(async).equals(Buffer.from(sync))).toBe(true);
    // Row order is kept: the second image of the batch is row 0.
    expect(Buffer.from(sync.subarray(slot, 2 * slot)).equals(Buffer.from(cache.readBatch([0])))).toBe(true);
    const layout = cache.framesOf(sync, 4);
    expect(Array.from(layout.dims)).toEqual([20, 24, 20, 24, 20, 24, 20, 24]);
    expect(layout).toMatchObject({ slotBytes: slot, header: FRAME_HEADER });
    expect(() => cache.framesOf(sync, 3)).toThrow(/expected 3 slots/);
    expect(cache.ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    cache.close();
    expect(() => cache.readBatch([0])).toThrow(/already closed/);
  });

  it('refuses to open an unfinished build', async () => {
    const images = await makeLibrary(dir('lib'), 6);
    const cacheDir = dir('cache');
    const controller = new AbortController();
    await expect(
      buildTrainCache({
        dir: cacheDir,
        images,
        size: S,
        concurrency: 1,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 2) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const base = join(
      cacheDir,
      readdirSync(cacheDir)
        .find((n) => n.endsWith('.json'))!
        .slice(0, -5),
    );
    expect(() => TrainCache.open(base)).toThrow(/expected a complete training cache, got an unfinished build/);
  });
});

describe('listTrainingImages', () => {
  it('lists the present images of the library in id order', () => {
    const d = dir('db');
    const db = openDatabase(join(d, 'library.db'));
    try {
      db.prepare("INSERT INTO folders (id, path, added_at) VALUES (1, '/photos', 'now')").run();
      const insert = db.prepare(`INSERT INTO images (id, folder_id, path, rel_path, size, mtime_ms, hash, width, height,
        format, missing, indexed_at) VALUES (?, 1, ?, ?, ?, ?, ?, 10, 10, 'jpeg', ?, 'now')`);
      insert.run(3, '/photos/c.jpg', 'c.jpg', 30, 3.5, 'hc', 0);
      insert.run(1, '/photos/a.jpg', 'a.jpg', 10, 1.5, 'ha', 0);
      insert.run(2, '/photos/b.jpg', 'b.jpg', 20, 2.5, 'hb', 1);
      expect(listTrainingImages(db)).toEqual([
        { id: 1, path: '/photos/a.jpg', hash: 'ha', size: 10, mtimeMs: 1.5 },
        { id: 3, path: '/photos/c.jpg', hash: 'hc', size: 30, mtimeMs: 3.5 },
      ]);
    } finally {
      db.close();
    }
  });
});

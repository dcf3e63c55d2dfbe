import { mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copySampleLibrary, noisyImage, tempDir, writeSampleLibrary, type SampleLibrary } from './fixtures';
import { addAndScan, closeStudios, imagesByPath, openStudio, rescanAndWait } from './helpers/studio';
import type { Studio } from '../../src-main/core/studio-types';

let dir: string;
let cleanup: () => void;
let lib: SampleLibrary;
let template: SampleLibrary;
let templateCleanup: () => void;
let studio: Studio;
let folderId: number;

beforeAll(async () => {
  const t = tempDir('moco-sample-');
  templateCleanup = t.cleanup;
  template = await writeSampleLibrary(join(t.dir, 'photos'));
});
afterAll(() => templateCleanup());
beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  lib = copySampleLibrary(template, join(dir, 'photos'));
  studio = await openStudio(join(dir, 'data'));
  ({ folderId } = await addAndScan(studio, lib.root));
});
afterEach(async () => {
  await closeStudios();
  cleanup();
});

const at = (rel: string) => join(lib.root, rel);

describe('incremental rescan', () => {
  it('skips unchanged files without reading them', async () => {
    const before = await imagesByPath(studio);
    // A whole-second mtime that can be set again exactly (utimes loses the nanoseconds).
    const mtime = new Date('2024-05-06T07:08:09Z');
    utimesSync(at('a.jpg'), mtime, mtime);
    const first = await rescanAndWait(studio, folderId);
    expect(first.skipped).toBe(10 - 1);
    // Every problem counts as failed, those not read again included: the count matches the list.
    expect(first.failed).toBe(7);
    expect((await studio.api.listFolders())[0].problemCount).toBe(first.failed);
    const indexedAt = (await studio.api.getImage(before.get('a.jpg')!.id)).indexedAt;
    // Same size and mtime, different bytes: a scan that read the file would now see a problem.
    writeFileSync(at('a.jpg'), Buffer.alloc(statSync(at('a.jpg')).size, 0x41));
    utimesSync(at('a.jpg'), mtime, mtime);

    const p = await rescanAndWait(studio, folderId);
    // Images and problems whose cause is in the bytes are not read again (the images count as
    // unchanged, the problems as failed); permission and pixel-limit problems are retried.
    expect(p).toMatchObject({ phase: 'done', skipped: 10, failed: 5 + 2, missing: 0 });
    expect(p.processed).toBe(p.found);
    const after = await studio.api.getImage(before.get('a.jpg')!.id);
    expect(after.indexedAt).toBe(indexedAt);
    expect((await studio.api.listProblems({})).items.some((x) => x.path === at('a.jpg'))).toBe(false);
  });

  it('re-reads a changed file in place: same id, new hash and size', async () => {
    const g = (await imagesByPath(studio)).get('sub/g.jpg')!;
    const oldHash = (await studio.api.getImage(g.id)).hash;
    await (await noisyImage(500, 300, 77)).jpeg().toFile(at('sub/g.jpg'));
    const p = await rescanAndWait(studio);
    expect(p.skipped).toBe(9);
    const now = await studio.api.getImage(g.id);
    expect(now).toMatchObject({ id: g.id, relPath: 'sub/g.jpg', width: 500, height: 300, missing: false });
    expect(now.hash).not.toBe(oldHash);
  });

  it('marks deleted files missing, keeps them until purged, then erases them and their thumbnails', async () => {
    const b = (await imagesByPath(studio)).get('b.png')!;
    const thumb = await studio.thumbnail(b.id);
    rmSync(at('b.png'));
    rmSync(at('empty.jpg'));
    const p = await rescanAndWait(studio, folderId);
    expect(p.missing).toBe(1);
    expect((await studio.api.getImage(b.id)).missing).toBe(true);
    expect((await studio.api.listImages({})).items.map((i) => i.id)).not.toContain(b.id);
    expect((await studio.api.listImages({ includeMissing: true })).items.map((i) => i.id)).toContain(b.id);
    expect((await studio.api.listFolders())[0]).toMatchObject({ imageCount: 9, missingCount: 1, problemCount: 6 });
    // What was computed for a missing image stays until the purge: its thumbnail still serves.
    expect((await studio.thumbnail(b.id)).path).toBe(thumb.path);

    expect(await studio.api.purgeMissing()).toEqual({ purged: 1 });
    await expect(studio.api.getImage(b.id)).rejects.toMatchObject({ name: 'NotFound' });
    expect(() => statSync(thumb.path)).toThrow();
    expect(await studio.api.purgeMissing()).toEqual({ purged: 0 });
  });

  it('keeps the identity of a moved file, within a scan and across scans', async () => {
    const images = await imagesByPath(studio);
    const c = images.get('c.webp')!;
    const d = images.get('d.avif')!;
    mkdirSync(at('moved'));
    renameSync(at('c.webp'), at('moved/c renamed.webp'));
    let p = await rescanAndWait(studio);
    expect(p.missing).toBe(1);
    const moved = await studio.api.getImage(c.id);
    expect(moved).toMatchObject({ id: c.id, relPath: 'moved/c renamed.webp', path: at('moved/c renamed.webp'), missing: false });

    // Gone in one scan (missing), back under another name in the next: still the same image.
    const dBytes = readFileSync(at('d.avif'));
    rmSync(at('d.avif'));
    p = await rescanAndWait(studio);
    expect((await studio.api.getImage(d.id)).missing).toBe(true);
    writeFileSync(at('sub/d again.avif'), dBytes);
    p = await rescanAndWait(studio);
    expect(await studio.api.getImage(d.id)).toMatchObject({ relPath: 'sub/d again.avif', missing: false });
    expect((await studio.api.getStatus()).images).toBe(10);
  });

  it('clears a problem once the file is fixed, and records one when an image breaks', async () => {
    await (await noisyImage(64, 48, 90)).png().toFile(at('notes.png'));
    writeFileSync(at('sub/g.jpg'), 'overwritten with text');
    const g = (await imagesByPath(studio)).get('sub/g.jpg')!;
    const p = await rescanAndWait(studio);
    // g.jpg now, the retried bomb and broken link, and the 4 unchanged problems: as many as listed
    expect(p.failed).toBe(7);
    expect((await studio.api.listFolders())[0].problemCount).toBe(7);
    const problems = (await studio.api.listProblems({})).items.map((x) => x.path);
    expect(problems).not.toContain(at('notes.png'));
    expect(problems).toContain(at('sub/g.jpg'));
    expect((await imagesByPath(studio)).get('notes.png')).toMatchObject({ width: 64, height: 48, format: 'png' });
    // The broken image keeps its row (and what was computed for it) as missing.
    expect((await studio.api.getImage(g.id)).missing).toBe(true);
  });

  it('refuses a second scan while one runs, and a cancelled scan can be completed later', async () => {
    const big = join(dir, 'big');
    const { writeDistinctJpegs } = await import('./fixtures');
    await writeDistinctJpegs(big, 120);
    const folder = await studio.api.addFolder(big);
    await expect(studio.api.rescan()).rejects.toMatchObject({
      name: 'Conflict',
      message: expect.stringMatching(/^rescan: expected no scan running, got scan/),
    });
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const off = studio.on('scan.progress', (p) => {
        if (p.phase === 'processing' && p.processed >= 5) {
          off();
          resolve();
        }
      });
    });
    await studio.api.cancelScan();
    const cancelled = await studio.waitForScan();
    expect(cancelled).toMatchObject({ phase: 'cancelled' });
    expect(cancelled!.processed).toBeLessThan(120);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await studio.api.listFolders()).find((f) => f.id === folder.id)?.lastScanAt).toBeNull();

    const done = await rescanAndWait(studio, folder.id);
    expect(done).toMatchObject({ phase: 'done', found: 120 });
    expect(done.skipped).toBeGreaterThanOrEqual(cancelled!.processed - 4 - 1);
    expect((await studio.api.listFolders()).find((f) => f.id === folder.id)?.imageCount).toBe(120);
  });
});

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../src-main/api/contract';
import { copySampleLibrary, noisyImage, tempDir, writeSampleLibrary, type SampleLibrary } from './fixtures';
import { addAndScan, closeStudios, imagesByPath, openStudio } from './helpers/studio';

let dir: string;
let cleanup: () => void;
let lib: SampleLibrary;
let dataDir: string;
let template: SampleLibrary;
let templateCleanup: () => void;

beforeAll(async () => {
  const t = tempDir('moco-sample-');
  templateCleanup = t.cleanup;
  template = await writeSampleLibrary(join(t.dir, 'photos'));
});
afterAll(() => templateCleanup());

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  dataDir = join(dir, 'data');
  lib = copySampleLibrary(template, join(dir, 'photos'));
});
afterEach(async () => {
  await closeStudios();
  cleanup();
});

describe('Studio: indexing a folder', () => {
  it('indexes every format, records each hostile file with its reason, and keeps going', async () => {
    const studio = await openStudio(dataDir);
    const seen: ApiEvents['scan.progress'][] = [];
    const changes: string[] = [];
    studio.on('scan.progress', (p) => seen.push(p));
    studio.on('library.changed', (c) => changes.push(c.reason));
    const { folderId, progress } = await addAndScan(studio, lib.root);

    const total = lib.images.length + Object.keys(lib.problems).length;
    expect(progress).toMatchObject({
      phase: 'done',
      found: total,
      processed: total,
      failed: Object.keys(lib.problems).length,
      skipped: 0,
      missing: 0,
    });
    expect(seen.map((p) => p.phase)).toEqual(expect.arrayContaining(['walking', 'processing', 'done']));
    expect(seen.at(-1)?.phase).toBe('done');
    expect(changes).toContain('folder added');
    expect(changes.at(-1)).toBe('scan done');

    const images = await imagesByPath(studio);
    expect([...images.keys()].sort()).toEqual([...lib.images].sort());
    expect(images.get('d.avif')).toMatchObject({ format: 'avif', width: 300, height: 200, missing: false, name: 'd.avif' });
    expect(images.get('e.gif')?.format).toBe('gif');
    expect(images.get('f.tiff')?.format).toBe('tiff');
    expect(images.get('sideways.jpg')).toMatchObject({ width: 200, height: 400 });

    const problems = (await studio.api.listProblems({})).items;
    expect(Object.fromEntries(problems.map((p) => [relative(lib.root, p.path), p.reason]))).toEqual(lib.problems);
    for (const p of problems) {
      expect(p.folderId).toBe(folderId);
      expect(p.message.length).toBeGreaterThan(10);
    }
    expect(problems.find((p) => p.path.endsWith('empty.jpg'))?.size).toBe(0);

    const [folder] = await studio.api.listFolders();
    expect(folder).toMatchObject({ id: folderId, path: lib.root, available: true, imageCount: 10, missingCount: 0, problemCount: 7 });
    expect(folder.lastScanAt).not.toBeNull();
    const status = await studio.api.getStatus();
    expect(status).toMatchObject({ host: 'web', dataDir, folders: 1, images: 10, missing: 0, problems: 7, duplicateGroups: 1, scan: null });
  });

  it('groups exact duplicates and gives each image its details', async () => {
    const studio = await openStudio(dataDir);
    await addAndScan(studio, lib.root);
    const images = await imagesByPath(studio);
    const a = images.get('a.jpg')!;
    const copy = images.get('sub/copy of a.jpg')!;
    const groups = await studio.api.listDuplicateGroups();
    expect(groups).toHaveLength(1);
    expect(groups[0].images.map((i) => i.id).sort()).toEqual([a.id, copy.id].sort());
    expect(groups[0].size).toBe(a.size);

    const detail = await studio.api.getImage(a.id);
    expect(detail).toMatchObject({ path: join(lib.root, 'a.jpg'), duplicateIds: [copy.id], takenAt: null, missing: false });
    expect(detail.hash).toBe(groups[0].hash);
    const sideways = await studio.api.getImage(images.get('sideways.jpg')!.id);
    expect(sideways).toMatchObject({ orientation: 6, takenAt: '2021-06-01T14:03:00', duplicateIds: [] });
    const odd = await studio.api.getImage(images.get('ferien 2023 – Ålesund ü.jpg')!.id);
    expect(odd.path).toBe(join(lib.root, 'ferien 2023 – Ålesund ü.jpg'));
  });

  it('serves thumbnails (shared by duplicates, remade when the cache lost them) and rotated previews', async () => {
    const studio = await openStudio(dataDir);
    await addAndScan(studio, lib.root);
    const images = await imagesByPath(studio);
    const a = await studio.thumbnail(images.get('a.jpg')!.id);
    const copy = await studio.thumbnail(images.get('sub/copy of a.jpg')!.id);
    expect(a).toEqual(copy);
    expect(a.contentType).toBe('image/webp');
    expect(a.path.startsWith(join(dataDir, 'thumbs'))).toBe(true);
    rmSync(a.path);
    const again = await studio.thumbnail(images.get('a.jpg')!.id);
    expect(again.path).toBe(a.path);
    expect(await sharp(again.path).metadata()).toMatchObject({ format: 'webp', width: 256, height: 192 });

    const sid = images.get('sideways.jpg')!.id;
    const full = await studio.preview(sid);
    expect(full.contentType).toBe('image/jpeg');
    expect(await sharp(full.body).metadata()).toMatchObject({ width: 200, height: 400 });
    const small = await studio.preview(sid, 100);
    expect(await sharp(small.body).metadata()).toMatchObject({ width: 50, height: 100 });
    const png = await studio.preview(images.get('b.png')!.id, 64);
    expect(png.contentType).toMatch(/^image\/(jpeg|webp)$/);
  });

  it('answers bad ids and bad arguments with clear errors', async () => {
    const studio = await openStudio(dataDir);
    await addAndScan(studio, lib.root);
    await expect(studio.api.getImage(999_999)).rejects.toMatchObject({
      name: 'NotFound',
      message: 'getImage: expected an image id in the library, got 999999',
    });
    await expect(studio.api.getImage(0)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.api.getImage('1' as unknown as number)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.api.listImages({ limit: 0 })).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.api.listImages({ folderId: 77 })).rejects.toMatchObject({ name: 'NotFound' });
    await expect(studio.api.removeFolder(77)).rejects.toMatchObject({ name: 'NotFound' });
    await expect(studio.api.rescan(77)).rejects.toMatchObject({ name: 'NotFound' });
    await expect(studio.thumbnail(999_999)).rejects.toMatchObject({ name: 'NotFound' });
    await expect(studio.thumbnail(-1)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.preview(1, 5)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'preview: expected a size from 16 to 8192 px, got 5',
    });
    await expect(studio.api.updateSettings({ thumbnailSize: 3 })).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.api.updateSettings({ colour: 'red' } as never)).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('pages and sorts the image list', async () => {
    const studio = await openStudio(dataDir);
    await addAndScan(studio, lib.root);
    const first = await studio.api.listImages({ limit: 4 });
    const rest = await studio.api.listImages({ offset: 4, limit: 100 });
    expect(first).toMatchObject({ total: 10, offset: 0 });
    expect(first.items).toHaveLength(4);
    const all = [...first.items, ...rest.items].map((i) => i.relPath);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(10);
    const bySize = (await studio.api.listImages({ sort: 'size' })).items.map((i) => i.size);
    expect(bySize).toEqual([...bySize].sort((x, y) => y - x));
    const byTaken = (await studio.api.listImages({ sort: 'taken' })).items;
    expect(byTaken[0].relPath).toBe('sideways.jpg'); // the only one with a date comes first
    expect((await studio.api.listImages({ sort: 'indexed', limit: 3 })).items).toHaveLength(3);
  });
});

describe('Studio: folders', () => {
  it('validates what is added, saying why a folder is refused', async () => {
    const studio = await openStudio(dataDir);
    await expect(studio.api.addFolder(join(dir, 'nope'))).rejects.toMatchObject({
      name: 'NotFound',
      message: `addFolder: expected an existing folder, got nothing at ${join(dir, 'nope')}`,
    });
    await expect(studio.api.addFolder(join(lib.root, 'a.jpg'))).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `addFolder: expected a folder, got a file at ${join(lib.root, 'a.jpg')}`,
    });
    await expect(studio.api.addFolder('')).rejects.toMatchObject({ name: 'InvalidInput' });
    await addAndScan(studio, lib.root);
    await expect(studio.api.addFolder(lib.root + '/')).rejects.toMatchObject({
      name: 'Conflict',
      message: expect.stringContaining('already added'),
    });
    await expect(studio.api.addFolder(join(lib.root, 'sub'))).rejects.toMatchObject({
      name: 'Conflict',
      message: expect.stringContaining(`which is inside ${lib.root}`),
    });
    await expect(studio.api.addFolder(dir)).rejects.toMatchObject({
      name: 'Conflict',
      message: expect.stringContaining(`which contains ${lib.root}`),
    });
    expect(await studio.api.listFolders()).toHaveLength(1);
  });

  it('keeps one folder when the same one is added twice at once', async () => {
    const studio = await openStudio(dataDir);
    const results = await Promise.allSettled([studio.api.addFolder(lib.root), studio.api.addFolder(lib.root)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ name: 'Conflict', message: expect.stringContaining('already added') });
    await studio.waitForScan();
    expect(await studio.api.listFolders()).toHaveLength(1);
  });

  it('removes a folder with its images, problems and their thumbnails, never touching the files', async () => {
    const studio = await openStudio(dataDir);
    const other = join(dir, 'other');
    mkdirSync(other);
    await (await noisyImage(100, 100, 50)).jpeg().toFile(join(other, 'z.jpg'));
    const { folderId } = await addAndScan(studio, lib.root);
    const { folderId: otherId } = await addAndScan(studio, other);
    const thumb = await studio.thumbnail((await imagesByPath(studio)).get('a.jpg')!.id);
    await studio.api.removeFolder(folderId);
    expect((await studio.api.listFolders()).map((f) => f.id)).toEqual([otherId]);
    expect(await studio.api.getStatus()).toMatchObject({ images: 1, problems: 0, duplicateGroups: 0 });
    expect(existsSync(thumb.path)).toBe(false);
    expect(existsSync(join(lib.root, 'a.jpg'))).toBe(true);
  });

  it('marks a folder that disappeared as unavailable, keeping its images', async () => {
    const studio = await openStudio(dataDir);
    const gone = join(dir, 'usb');
    mkdirSync(gone);
    await (await noisyImage(100, 100, 51)).jpeg().toFile(join(gone, 'y.jpg'));
    const { folderId } = await addAndScan(studio, gone);
    rmSync(gone, { recursive: true });
    await studio.api.rescan(folderId);
    await studio.waitForScan();
    const [folder] = await studio.api.listFolders();
    expect(folder).toMatchObject({ available: false, imageCount: 1, missingCount: 0 });
  });
});

describe('Studio: scans that cannot run', () => {
  it('fails a scan whose thumbnails cannot be written, with a message, and the app goes on', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'thumbs'), 'a file where the thumbnail folder should be');
    const studio = await openStudio(dataDir);
    const { progress } = await addAndScan(studio, lib.root);
    expect(progress.phase).toBe('failed');
    expect(progress.error).toMatch(/^scan: .*thumbs/);
    expect((await studio.api.getStatus()).scan).toBeNull();
    // Problems found before the failure are kept; the folder is not marked as scanned.
    expect((await studio.api.listFolders())[0].lastScanAt).toBeNull();
    rmSync(join(dataDir, 'thumbs'));
    const again = await studio.api.rescan();
    expect(again.phase).toBe('walking');
    expect(await studio.waitForScan()).toMatchObject({ phase: 'done', found: 17, processed: 17 });
    expect(await studio.api.getStatus()).toMatchObject({ images: 10, problems: 7 });
  });

  it('answers a rescan of an empty library at once', async () => {
    const studio = await openStudio(dataDir);
    expect(await studio.api.rescan()).toMatchObject({ phase: 'done', found: 0, folderIds: [] });
    expect(await studio.waitForScan()).toMatchObject({ phase: 'done' });
  });
});

describe('Studio: settings and first start', () => {
  it('has defaults, keeps updates, and skipHidden decides whether hidden files count', async () => {
    const studio = await openStudio(dataDir);
    expect(await studio.api.getSettings()).toEqual({
      skipHidden: true,
      watch: false,
      thumbnailSize: 256,
      maxPixels: 268402689,
      approximateSearch: false,
      followOutsideLinks: false,
      computeBackend: 'auto',
    });
    const { folderId } = await addAndScan(studio, lib.root);
    expect((await imagesByPath(studio)).has('.hidden.jpg')).toBe(false);
    expect(await studio.api.updateSettings({ skipHidden: false })).toMatchObject({ skipHidden: false, thumbnailSize: 256 });
    await studio.api.rescan(folderId);
    await studio.waitForScan();
    expect((await imagesByPath(studio)).has('.hidden.jpg')).toBe(true);
    await studio.close();
    const again = await openStudio(dataDir);
    expect((await again.api.getSettings()).skipHidden).toBe(false);
  });

  it('adds the demo folder on the very first start only', async () => {
    const demo = join(dir, 'demo');
    mkdirSync(join(demo, 'cats'), { recursive: true });
    await (await noisyImage(64, 64, 60)).png().toFile(join(demo, 'cats', 'c1.png'));
    const first = await openStudio(dataDir, { demoFolder: demo });
    await first.waitForScan();
    const [folder] = await first.api.listFolders();
    expect(folder).toMatchObject({ path: demo, imageCount: 1 });
    await first.api.removeFolder(folder.id);
    await first.close();
    const second = await openStudio(dataDir, { demoFolder: demo });
    expect(await second.api.listFolders()).toEqual([]);
  });

  it('does not add a demo folder that does not exist, and refuses calls after close', async () => {
    const studio = await openStudio(dataDir, { demoFolder: join(dir, 'no-demo') });
    expect(await studio.api.listFolders()).toEqual([]);
    await studio.close();
    await expect(studio.api.listFolders()).rejects.toMatchObject({
      name: 'Conflict',
      message: 'listFolders: expected an open library, got one that was closed',
    });
    await expect(studio.thumbnail(1)).rejects.toMatchObject({ name: 'Conflict' });
  });
});

// The library service as hosts reach it through the studio: folders found by path (their own
// name or a link to them), adding or rescanning in one call, and capabilities instead of a host name.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures';
import { closeStudios, openStudio } from './helpers/studio';

let dir: string;
let cleanup: () => void;
let photos: string;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  photos = join(dir, 'photos');
  mkdirSync(photos);
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c33' } })
    .png()
    .toBuffer();
  writeFileSync(join(photos, 'a.png'), png);
});
afterEach(async () => {
  await closeStudios();
  cleanup();
});

describe('library service', () => {
  it('adds a folder it does not know, and rescans it the second time', async () => {
    const studio = await openStudio(join(dir, 'data'), { demoFolder: null });
    expect(await studio.findFolder(photos)).toBeUndefined();
    const first = await studio.addOrRescan(photos);
    expect(first.added).toBe(true);
    expect(first.folder.path).toBe(photos);
    expect((await studio.waitForScan())?.phase).toBe('done');
    const again = await studio.addOrRescan(photos);
    expect(again).toMatchObject({ added: false, folder: { id: first.folder.id } });
    expect((await studio.waitForScan())?.phase).toBe('done');
    expect(await studio.api.listFolders()).toHaveLength(1);
    expect((await studio.api.getStatus()).images).toBe(1);
  });

  it('finds a folder by a link that leads to it', async () => {
    const studio = await openStudio(join(dir, 'data'), { demoFolder: null });
    const { folder } = await studio.addOrRescan(photos);
    await studio.waitForScan();
    const link = join(dir, 'link-to-photos');
    symlinkSync(photos, link);
    expect((await studio.findFolder(link))?.id).toBe(folder.id);
    const viaLink = await studio.addOrRescan(link);
    expect(viaLink).toMatchObject({ added: false, folder: { id: folder.id } });
    await studio.waitForScan();
    expect(await studio.findFolder(join(dir, 'elsewhere'))).toBeUndefined();
  });

  it('a read-only library refuses to add, and a closed one refuses to look', async () => {
    const data = join(dir, 'data');
    const writer = await openStudio(data, { demoFolder: null });
    await writer.close();
    const reader = await openStudio(data, { readOnly: true });
    await expect(reader.addOrRescan(photos)).rejects.toThrow(/expected a library open for writing/);
    expect(await reader.findFolder(photos)).toBeUndefined();
    await reader.close();
    await expect(reader.findFolder(photos)).rejects.toThrow(/expected an open library/);
  });

  it('watches only where the host says it can', async () => {
    const watching = await openStudio(join(dir, 'a'), { demoFolder: null, capabilities: { label: 'test host', watchFolders: true } });
    await watching.api.addFolder(photos);
    await watching.waitForScan();
    await watching.api.updateSettings({ watch: true });
    expect((await watching.api.getStatus()).watch.mode).toBe('events');
    const oneShot = await openStudio(join(dir, 'b'), { demoFolder: null, capabilities: { label: 'test host', watchFolders: false } });
    await oneShot.api.addFolder(photos);
    await oneShot.waitForScan();
    await oneShot.api.updateSettings({ watch: true });
    expect((await oneShot.api.getStatus()).watch.mode).toBe('off');
    await expect(oneShot.api.trashImages([1])).rejects.toThrow(/got the test host/);
  });
});

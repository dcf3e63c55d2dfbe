// A library folder holding symbolic links: those that stay inside are followed; one leading out
// (to /, to /proc/self, to another folder) is listed as a problem unless the setting allows it;
// the folder is stored by its real path.
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures';
import { addAndScan, closeStudios, imagesByPath, openStudio, rescanAndWait } from '../helpers/studio';

let dir: string;
let cleanup: () => void;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  const png = (v: number) =>
    sharp({ create: { width: 8, height: 8, channels: 3, background: { r: v, g: 40, b: 90 } } })
      .png()
      .toBuffer();
  mkdirSync(join(dir, 'photos', 'trip'), { recursive: true });
  mkdirSync(join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'photos', 'a.png'), await png(10));
  writeFileSync(join(dir, 'photos', 'trip', 'b.png'), await png(120));
  writeFileSync(join(dir, 'elsewhere', 'c.png'), await png(220));
  symlinkSync('/', join(dir, 'photos', 'root'));
  symlinkSync('/proc/self', join(dir, 'photos', 'me'));
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'photos', 'more'));
  symlinkSync('trip', join(dir, 'photos', 'trip-again'));
  symlinkSync(join(dir, 'photos'), join(dir, 'photos-link'));
});

afterEach(async () => {
  await closeStudios();
  cleanup();
});

describe('symbolic links in a library folder', () => {
  it('indexes only the folder, lists links that lead out as problems, and stores the real path', async () => {
    const studio = await openStudio(join(dir, 'data'), { demoFolder: null });
    const { folderId, progress } = await addAndScan(studio, join(dir, 'photos-link'));
    const folder = (await studio.api.listFolders()).find((f) => f.id === folderId)!;
    expect(folder.path).toBe(realpathSync(join(dir, 'photos')));

    expect([...(await imagesByPath(studio)).keys()].sort()).toEqual(['a.png', 'trip/b.png']);
    const problems = (await studio.api.listProblems({ limit: 100 })).items;
    expect(problems.map((p) => [p.path.slice(folder.path.length + 1), p.reason]).sort()).toEqual([
      ['me', 'outside-link'],
      ['more', 'outside-link'],
      ['root', 'outside-link'],
    ]);
    expect(problems.find((p) => p.path.endsWith('/root'))!.message).toContain('This is a link to /, outside the folder');
    expect(progress.phase).toBe('done');

    // Allowed by the setting, the link to another folder is followed; / is then the only
    // way out left, so it is removed first (the test must not index the whole disk).
    await studio.api.updateSettings({ followOutsideLinks: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'photos', 'root'));
    await rescanAndWait(studio, folderId);
    expect([...(await imagesByPath(studio)).keys()].sort()).toEqual(['a.png', 'more/c.png', 'trip/b.png']);
    const after = (await studio.api.listProblems({ limit: 100 })).items;
    expect(after.map((p) => p.path.slice(folder.path.length + 1))).toEqual(['me']);
    expect(after[0].message).toMatch(/a system folder the app never reads/);
  });

  it('refuses /proc, /sys and /dev as folders, by any name', async () => {
    const studio = await openStudio(join(dir, 'data'), { demoFolder: null });
    await expect(studio.api.addFolder(join(dir, 'photos', 'me'))).rejects.toThrow(
      /^addFolder: expected a folder of photos, got a system folder the app never reads: .*\/me \(\/proc\/\d+\)$/,
    );
    await expect(studio.api.addFolder('/sys')).rejects.toThrow(
      'addFolder: expected a folder of photos, got a system folder the app never reads: /sys',
    );
  });

  it('settings offer followOutsideLinks, off by default', async () => {
    const studio = await openStudio(join(dir, 'data'), { demoFolder: null });
    expect((await studio.api.getSettings()).followOutsideLinks).toBe(false);
    expect((await studio.api.updateSettings({ followOutsideLinks: true })).followOutsideLinks).toBe(true);
  });
});

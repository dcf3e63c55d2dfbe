import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkFolder } from '../../../src-main/core/library/walk';
import { tempDir } from '../fixtures';

let dir: string;
let cleanup: () => void;
let root: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'lib');
  const files = [
    'a.jpg',
    'sub/b.PNG',
    'sub/deeper/c.webp',
    '.hidden/h.jpg',
    '.dot.jpg',
    'ferien 2023 – Ålesund ü.jpg',
    'notes.txt',
    'sub/x.heic',
  ];
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f);
  }
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'o.gif'), 'o');
  symlinkSync(root, join(root, 'sub', 'loop')); // a link back to the top
  symlinkSync('..', join(root, 'sub', 'deeper', 'up')); // and one to its parent
  symlinkSync(join(dir, 'outside'), join(root, 'elsewhere')); // a linked folder: followed
  symlinkSync(join(dir, 'outside'), join(root, 'sub', 'elsewhere-again')); // the same folder twice: once
  symlinkSync('nowhere.jpg', join(root, 'dangling.jpg'));
  symlinkSync('self.jpg', join(root, 'self.jpg'));
  symlinkSync('nowhere', join(root, 'dangling-dir'));
});
afterEach(() => cleanup());

// followOutsideLinks: the setting that lets 'elsewhere' (a link out of the folder) be followed
const walk = (skipHidden: boolean) => walkFolder(root, { skipHidden, followOutsideLinks: true, isCancelled: () => false });

describe('walkFolder', () => {
  it('finds image files through links, never loops, skips hidden entries, and names broken links', async () => {
    const r = await walk(true);
    expect(r.rootAvailable).toBe(true);
    expect(r.files.map((f) => f.relPath)).toEqual([
      'a.jpg',
      'elsewhere/o.gif',
      'ferien 2023 – Ålesund ü.jpg',
      'sub/b.PNG',
      'sub/deeper/c.webp',
      'sub/x.heic',
    ]);
    const a = r.files[0];
    expect(a).toMatchObject({ path: join(root, 'a.jpg'), size: 5 });
    expect(a.mtimeMs).toBeGreaterThan(0);
    expect(r.problems).toEqual([
      expect.objectContaining({
        path: join(root, 'dangling.jpg'),
        reason: 'unreadable',
        message: 'This is a link to nowhere.jpg, which does not exist.',
        isFile: true,
      }),
      expect.objectContaining({
        path: join(root, 'self.jpg'),
        reason: 'unreadable',
        message: 'This is a link to self.jpg, which points back to itself.',
      }),
    ]);
    // lib, sub, sub/deeper, elsewhere: the loops and the second link to 'outside' add nothing
    expect(r.dirCount).toBe(4);
  });

  it('by default follows links inside the folder only, reports the others, and never enters /proc, /sys or /dev', async () => {
    symlinkSync('/', join(root, 'whole-disk'));
    symlinkSync('/proc/self', join(root, 'proc-self'));
    symlinkSync('/sys', join(root, 'sub', 'sys'));
    symlinkSync('a.jpg', join(root, 'a-again.jpg')); // a file link inside: followed
    symlinkSync('sub/deeper', join(root, 'deeper-link')); // a folder link inside: already walked, nothing twice
    symlinkSync(join(dir, 'outside', 'o.gif'), join(root, 'o-link.gif')); // a file link outside
    const r = await walkFolder(root, { skipHidden: true, isCancelled: () => false });
    const found = r.files.map((f) => f.relPath);
    expect(found.filter((f) => !f.endsWith('c.webp'))).toEqual([
      'a-again.jpg',
      'a.jpg',
      'ferien 2023 – Ålesund ü.jpg',
      'sub/b.PNG',
      'sub/x.heic',
    ]);
    // sub/deeper is walked once, by whichever of its two names the walk meets first
    expect(found.filter((f) => f.endsWith('c.webp'))).toHaveLength(1);
    const outside = r.problems.filter((p) => p.reason === 'outside-link');
    expect(outside.map((p) => [p.path.slice(root.length + 1), p.isFile])).toEqual([
      ['elsewhere', false],
      ['o-link.gif', true],
      ['proc-self', false],
      ['sub/elsewhere-again', false],
      ['sub/sys', false],
      ['whole-disk', false],
    ]);
    const byName = (n: string) => outside.find((p) => p.path === join(root, n))!.message;
    expect(byName('elsewhere')).toBe(
      `This is a link to ${join(dir, 'outside')}, outside the folder ${root}; it was not followed (turn on "Follow links outside added folders" in Settings to include it).`,
    );
    expect(byName('proc-self')).toMatch(/^This is a link to \/proc\/self \(\/proc\/\d+\), a system folder the app never reads\.$/);
    expect(byName('whole-disk')).toContain('This is a link to /, outside the folder');
    // lib, sub, sub/deeper: nothing outside was entered
    expect(r.dirCount).toBe(3);

    // Allowed, outside links are followed; /proc and /sys still are not.
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'whole-disk'));
    const allowed = await walkFolder(root, { skipHidden: true, followOutsideLinks: true, isCancelled: () => false });
    expect(allowed.files.map((f) => f.relPath)).toContain('elsewhere/o.gif');
    expect(allowed.files.map((f) => f.relPath)).toContain('o-link.gif');
    expect(allowed.problems.filter((p) => p.reason === 'outside-link').map((p) => p.path.slice(root.length + 1))).toEqual([
      'proc-self',
      'sub/sys',
    ]);
  });

  it('indexes a folder reachable by a link and by its own name under its own name, whichever stat settles first', async () => {
    mkdirSync(join(root, 'zz-real'));
    writeFileSync(join(root, 'zz-real', 'z.jpg'), 'z');
    for (const name of ['aa-link', 'ab-link', 'zz-real-again']) symlinkSync('zz-real', join(root, name));
    for (let trial = 0; trial < 5; trial++) {
      const r = await walk(true);
      expect(r.files.map((f) => f.relPath).filter((p) => p.endsWith('z.jpg'))).toEqual(['zz-real/z.jpg']);
    }
  });

  it('refuses to walk a folder that is a system folder', async () => {
    const r = await walkFolder('/proc/self', { skipHidden: true, isCancelled: () => false });
    expect(r).toMatchObject({ rootAvailable: false, files: [] });
    expect(r.rootError).toContain(
      '/proc/self: expected a readable folder, got a system folder (/proc, /sys or /dev), which the app never reads',
    );
  });

  it('includes hidden entries when asked to', async () => {
    const r = await walk(false);
    expect(r.files.map((f) => f.relPath)).toEqual(expect.arrayContaining(['.dot.jpg', '.hidden/h.jpg']));
  });

  it('reports a folder that is gone instead of failing', async () => {
    const r = await walkFolder(join(dir, 'not-there'), { skipHidden: true, isCancelled: () => false });
    expect(r).toMatchObject({ rootAvailable: false, files: [] });
    expect(r.rootError).toContain('expected a readable folder, got nothing at that path');
  });

  it('stops when cancelled', async () => {
    const r = await walkFolder(root, { skipHidden: true, isCancelled: () => true });
    expect(r.files).toEqual([]);
  });
});

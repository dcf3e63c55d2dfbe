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
  const files = ['a.jpg', 'sub/b.PNG', 'sub/deeper/c.webp', '.hidden/h.jpg', '.dot.jpg', 'ferien 2023 – Ålesund ü.jpg', 'notes.txt', 'sub/x.heic'];
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

const walk = (skipHidden: boolean) => walkFolder(root, { skipHidden, isCancelled: () => false });

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
      expect.objectContaining({ path: join(root, 'dangling.jpg'), reason: 'unreadable', message: 'This is a link to nowhere.jpg, which does not exist.', isFile: true }),
      expect.objectContaining({ path: join(root, 'self.jpg'), reason: 'unreadable', message: 'This is a link to self.jpg, which points back to itself.' }),
    ]);
    // lib, sub, sub/deeper, elsewhere: the loops and the second link to 'outside' add nothing
    expect(r.dirCount).toBe(4);
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

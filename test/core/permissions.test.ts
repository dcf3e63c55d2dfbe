// Files and folders the app may not read. Root reads everything, so when the tests run as
// root the scans here run in a child process as 'nobody', where permissions are real.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noisyImage, tempDir } from './fixtures';
import { openUp, scanInChild } from './helpers/child';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => {
  // Give back what a failed test may have left locked, so the temp tree can be removed.
  if (existsSync(join(dir, 'photos', 'locked'))) chmodSync(join(dir, 'photos', 'locked'), 0o755);
  cleanup();
});

interface Row {
  path: string;
  reason?: string;
  message?: string;
  missing?: number;
}

function read(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  const images = db.prepare('SELECT path, missing FROM images ORDER BY path').all() as Row[];
  const problems = db.prepare('SELECT path, reason, message FROM problems ORDER BY path').all() as Row[];
  db.close();
  return { images, problems };
}

describe('unreadable files and folders', () => {
  it('records them as unreadable, keeps going, keeps their images, and clears the problem once readable', async () => {
    const photos = join(dir, 'photos');
    const dataDir = join(dir, 'data');
    mkdirSync(join(photos, 'locked'), { recursive: true });
    mkdirSync(dataDir);
    openUp(dir, photos, join(photos, 'locked'), dataDir);
    await (await noisyImage(64, 64, 1)).jpeg().toFile(join(photos, 'open.jpg'));
    await (await noisyImage(64, 64, 3)).jpeg().toFile(join(photos, 'locked', 'inside.jpg'));

    const first = await scanInChild(dataDir, photos, { asNobody: true });
    expect(first).toMatchObject({ phase: 'done', found: 2, failed: 0 });

    // A new file that arrives without read permission, and a folder that loses it.
    await (await noisyImage(64, 64, 2)).jpeg().toFile(join(photos, 'secret.jpg'));
    chmodSync(join(photos, 'secret.jpg'), 0o000);
    chmodSync(join(photos, 'locked'), 0o000);
    const second = await scanInChild(dataDir, photos, { asNobody: true });
    expect(second).toMatchObject({ phase: 'done', failed: 2 });
    const { images, problems } = read(join(dataDir, 'library.db'));
    expect(problems).toEqual([
      {
        path: join(photos, 'locked'),
        reason: 'unreadable',
        message: 'This folder cannot be read (permission denied), so the images inside it were not scanned.',
      },
      { path: join(photos, 'secret.jpg'), reason: 'unreadable', message: 'The file cannot be read: permission denied.' },
    ]);
    // A folder that cannot be listed is not evidence that its images are gone.
    expect(images).toEqual([
      { path: join(photos, 'locked', 'inside.jpg'), missing: 0 },
      { path: join(photos, 'open.jpg'), missing: 0 },
    ]);

    chmodSync(join(photos, 'secret.jpg'), 0o644);
    chmodSync(join(photos, 'locked'), 0o755);
    const third = await scanInChild(dataDir, photos, { asNobody: true });
    expect(third).toMatchObject({ phase: 'done', found: 3, failed: 0 });
    const after = read(join(dataDir, 'library.db'));
    expect(after.problems).toEqual([]);
    expect(after.images.map((i) => [i.path, i.missing])).toEqual([
      [join(photos, 'locked', 'inside.jpg'), 0],
      [join(photos, 'open.jpg'), 0],
      [join(photos, 'secret.jpg'), 0],
    ]);
  });
});

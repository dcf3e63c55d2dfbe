// A scan killed with SIGKILL half-way leaves a consistent database that the next scan completes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { thumbPath } from '../../src-main/core/library/thumbs';
import { tempDir, writeDistinctJpegs } from './fixtures';
import { scanInChild, spawnScan } from './helpers/child';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const COUNT = 600;

function countImages(dbPath: string): number {
  if (!existsSync(dbPath)) return 0;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
}

describe('kill -9 mid-scan', () => {
  it('leaves whole rows only, and the next scan finishes the work', async () => {
    const photos = join(dir, 'photos');
    const dataDir = join(dir, 'data');
    const dbPath = join(dataDir, 'library.db');
    await writeDistinctJpegs(photos, COUNT);

    const child = spawnScan(dataDir, photos);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let committed = 0;
    const deadline = Date.now() + 60_000;
    // Kill as soon as the first batch is committed, with most of the folder still to do.
    while (committed === 0 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 10));
      committed = countImages(dbPath);
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    expect(committed).toBeGreaterThan(0);

    const db = new Database(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = db.prepare('SELECT hash FROM images').all() as { hash: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(committed);
    expect(rows.length).toBeLessThan(COUNT);
    // A committed row always has its thumbnail: thumbnails are written (atomically) first.
    for (const r of rows) expect(existsSync(thumbPath(dataDir, r.hash, 256))).toBe(true);
    const survivors = rows.length;
    db.close();

    const next = await scanInChild(dataDir, photos);
    expect(next, next.error).toMatchObject({ phase: 'done', found: COUNT, processed: COUNT, failed: 0, missing: 0 });
    expect(next.skipped).toBe(survivors);
    expect(countImages(dbPath)).toBe(COUNT);
    // Temp files the killed process left mid-write are gone too.
    expect(readdirSync(join(dataDir, 'thumbs', 'tmp'))).toEqual([]);
  });
});

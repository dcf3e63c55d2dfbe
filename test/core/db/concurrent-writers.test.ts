// Several processes writing one library at once (three `index` commands, say): each waits its
// turn for the write lock instead of failing with "database is locked", and every folder ends
// fully indexed.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/core/db/connection';
import { tempDir, writeDistinctJpegs } from '../fixtures';
import { scanInChild } from '../helpers/child';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const PER_FOLDER = 100;

describe('concurrent writers', () => {
  it('three processes scanning into one database all finish, nothing half-done', async () => {
    const dataDir = join(dir, 'data');
    const folders = ['a', 'b', 'c'].map((n) => join(dir, n));
    for (const f of folders) await writeDistinctJpegs(f, PER_FOLDER, 320, 240);

    const results = await Promise.allSettled(folders.map((f) => scanInChild(dataDir, f)));
    for (const r of results) {
      expect(r.status === 'rejected' ? String(r.reason) : '').toBe('');
      if (r.status === 'fulfilled') expect(r.value, r.value.error).toMatchObject({ phase: 'done', found: PER_FOLDER, failed: 0 });
    }

    const db = new Database(join(dataDir, 'library.db'), { readonly: true });
    const perFolder = db
      .prepare(
        'SELECT f.path, f.last_scan_at AS scanned, (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.missing = 0) AS n FROM folders f ORDER BY f.path',
      )
      .all() as { path: string; scanned: string | null; n: number }[];
    expect(db.prepare('SELECT COUNT(*) AS n FROM problems').get()).toEqual({ n: 0 });
    db.close();
    expect(perFolder.map((f) => [f.path, f.n, f.scanned !== null])).toEqual(folders.map((f) => [f, PER_FOLDER, true]));
  });

  it('a scan waits for a process that holds the write lock instead of failing', async () => {
    const dataDir = join(dir, 'data');
    const photos = join(dir, 'photos');
    await writeDistinctJpegs(photos, 600, 320, 240);
    openDatabase(join(dataDir, 'library.db')).close();
    // Another process takes the write lock again and again, holding it 300 ms each time, the way
    // a busy writer (a training run saving metrics, another scan) does.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1], { timeout: 10000 });
         const end = Date.now() + 20000;
         const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
         process.stdout.write('ready\\n');
         while (Date.now() < end) {
           db.exec('BEGIN IMMEDIATE');
           db.prepare("INSERT INTO settings (key, value) VALUES ('holder', '1') ON CONFLICT(key) DO UPDATE SET value = value + 1").run();
           sleep(300);
           db.exec('COMMIT');
           sleep(30);
         }`,
        join(dataDir, 'library.db'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((r) => holder.stdout!.once('data', r));
    try {
      const scan = await scanInChild(dataDir, photos);
      expect(scan, scan.error).toMatchObject({ phase: 'done', found: 600, processed: 600, failed: 0 });
    } finally {
      holder.kill('SIGKILL');
    }
    const db = new Database(join(dataDir, 'library.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM images WHERE missing = 0').get()).toEqual({ n: 600 });
    db.close();
  });

  it('every write transaction in the core begins IMMEDIATE', () => {
    // A deferred transaction that reads before it writes cannot take the write lock while another
    // process holds it (SQLite answers "database is locked" without waiting), so writers use
    // .immediate(). Read-only transactions are listed here by name.
    const READ_ONLY = ['listDuplicateGroups'];
    const root = resolve('src-main');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const offenders: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/\.transaction\(/g)) {
        // The call that runs the transaction: the first ')(' or ').immediate(' closing it.
        const rest = text.slice(m.index);
        const run = /\)\s*\.\s*(immediate|deferred|exclusive)\s*\(|\)\s*\(\s*\)/.exec(rest);
        const kind = run?.[1] ?? 'deferred';
        const before = text.slice(0, m.index);
        const method = /(\w+)\s*\([^)]*\)\s*(?::[^{]*)?\{[^{}]*$/.exec(before)?.[1] ?? '?';
        if (kind !== 'immediate' && !READ_ONLY.includes(method)) offenders.push(`${f}: ${method}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

// Databases in odd places: a read-only folder, a read-only file, a path that does not exist, a
// file that is not a database. Commands that only look open read-only and never create; every
// error names the file and says why. Root may write anywhere, so when the tests run as root the
// commands run as 'nobody', where permissions are real.
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../core/helpers/child';
import { makeImageFolder, tempDir, runCli, type CliRun } from './helpers';

const NOBODY = 65534;

function cli(args: string[], opts: { asNobody?: boolean; dataDir?: string } = {}): Promise<CliRun> {
  const ids = opts.asNobody && isRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return runCli(args, { env: { ...process.env, MOCO_DATA_DIR: opts.dataDir ?? join(tmp.dir, 'default-data') }, timeoutMs: 60_000, ...ids });
}

let tmp: ReturnType<typeof tempDir>;
let photos: string;
let roDir: string;
let roDb: string;

beforeAll(async () => {
  tmp = tempDir('odd');
  chmodSync(tmp.dir, 0o755);
  photos = join(tmp.dir, 'photos');
  await makeImageFolder(photos, 3);
  chmodSync(photos, 0o755);
  roDir = join(tmp.dir, 'read-only');
  roDb = join(roDir, 'library.db');
  const made = await cli(['index', photos, '--db', roDb]);
  expect(made.code, made.stderr).toBe(0);
  chmodSync(roDir, 0o555);
});

afterAll(() => {
  if (roDir) chmodSync(roDir, 0o755);
  tmp?.cleanup();
});

describe('databases in odd places', () => {
  it('reads a library in a read-only folder, and says why it cannot write there', async () => {
    const before = readdirSync(roDir);
    expect(before).toContain('library.db');
    const status = await cli(['status', '--db', roDb], { asNobody: true });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Folders\s+1/);
    expect(status.stdout).toMatch(/Images\s+3/);
    for (const command of ['folders', 'problems', 'runs', 'embeddings', 'duplicates']) {
      const r = await cli([command, '--db', roDb, '--json'], { asNobody: true });
      expect(r.code, `${command}: ${r.stderr}`).toBe(0);
    }

    const index = await cli(['index', photos, '--db', roDb], { asNobody: true });
    expect(index.code).toBe(1);
    expect(index.stderr).toContain(
      `${roDb}: expected a SQLite database it can open for writing, got a database in a read-only folder, ${roDir} (permission denied), where its journal files (-wal, -shm) cannot be made; commands that only read it still work`,
    );
    expect(readdirSync(roDir)).toEqual(before);
  });

  it('says why a new database cannot be made in a read-only folder', async () => {
    const fresh = join(roDir, 'new.db');
    const r = await cli(['index', photos, '--db', fresh], { asNobody: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${fresh}: expected a SQLite database it can open for writing, got a read-only folder, ${roDir} (permission denied), where it cannot be created`,
    );
  });

  it('reads a read-only database file; writing to it says the file is read-only', async () => {
    const dir = join(tmp.dir, 'writable');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const db = join(dir, 'library.db');
    expect((await cli(['index', photos, '--db', db])).code).toBe(0);
    chmodSync(db, 0o444);
    const status = await cli(['status', '--db', db], { asNobody: true });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Images\s+3/);
    const index = await cli(['index', photos, '--db', db], { asNobody: true });
    expect(index.code).toBe(1);
    expect(index.stderr).toContain(
      `${db}: expected a SQLite database it can open for writing, got a read-only file (permission denied); commands that only read it still work`,
    );

    chmodSync(db, 0o000);
    const locked = await cli(['status', '--db', db], { asNobody: true });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(`${db}: expected a SQLite database it can read, got a file it may not read (permission denied)`);
  });

  it('commands that only look never create a database or its folders', async () => {
    const missing = join(tmp.dir, 'no', 'such', 'place', 'library.db');
    for (const command of ['status', 'folders', 'runs', 'problems', 'embeddings']) {
      const r = await cli([command, '--db', missing]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain(`${missing}: expected an existing library database, got no such file (nothing was created`);
    }
    expect(existsSync(join(tmp.dir, 'no'))).toBe(false);
    // At the default place (no --db), a new user looking sees an empty library; still nothing is made.
    const fresh = join(tmp.dir, 'fresh-data');
    const status = await cli(['status'], { dataDir: fresh });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Folders\s+0/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('says when the file is not a database', async () => {
    const notDb = join(tmp.dir, 'notes.db');
    writeFileSync(notDb, 'plain text, not SQLite\n'.repeat(50));
    const r = await cli(['status', '--db', notDb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${notDb}: expected a SQLite database it can read, got a file that is not one (file is not a database)`);
    const w = await cli(['index', photos, '--db', notDb]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain(
      `${notDb}: expected a SQLite database it can open for writing, got a file that is not one (file is not a database)`,
    );
  });
});

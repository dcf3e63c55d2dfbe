// Opening the library read-only: nothing created, an older schema upgraded once, a newer one
// refused, and writes refused by the Studio with the file named.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/core/db/connection';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src-main/core/db/migrations';
import { createStudio } from '../../../src-main/core/studio';
import { tempDir } from '../fixtures';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('read-only open', () => {
  it('creates nothing where there is no database', () => {
    const path = join(dir, 'a', 'b', 'library.db');
    expect(() => openDatabase(path, { readOnly: true })).toThrow(`${path}: expected an existing library database, got no such file`);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });

  it('brings an older library up to date once, then reads it read-only', () => {
    const path = join(dir, 'library.db');
    openDatabase(path, { migrations: MIGRATIONS.slice(0, SCHEMA_VERSION - 1) }).close();
    const db = openDatabase(path, { readOnly: true });
    expect(db.readonly).toBe(true);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(() => db.prepare("INSERT INTO settings (key, value) VALUES ('x', '1')").run()).toThrow(/readonly/);
    db.close();
  });

  it('refuses a newer database untouched', () => {
    const path = join(dir, 'library.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path, { readOnly: true })).toThrow(
      `${path}: expected schema version <= ${SCHEMA_VERSION}, got ${SCHEMA_VERSION + 1}`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a Studio opened read-only answers reads and refuses writes, naming the file', async () => {
    const path = join(dir, 'library.db');
    openDatabase(path).close();
    const studio = await createStudio({ dataDir: dir, host: 'cli', readOnly: true });
    expect(await studio.api.getStatus()).toMatchObject({ folders: 0, dbPath: path, elsewhere: [] });
    await expect(studio.api.addFolder(dir)).rejects.toMatchObject({
      name: 'Conflict',
      message: `addFolder: expected a library open for writing, got ${path} opened read-only`,
    });
    await studio.close();
  });
});

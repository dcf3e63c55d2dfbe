import { readFileSync, writeFileSync } from 'node:fs';
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

const tables = (db: Database.Database) =>
  db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => (r as { name: string }).name);

describe('database', () => {
  it('brings a fresh file to the latest version with WAL and foreign keys on', () => {
    const db = openDatabase(join(dir, 'library.db'));
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(expect.arrayContaining(['folders', 'images', 'problems', 'settings']));
    // Foreign keys are enforced: an image cannot name a folder that does not exist.
    expect(() =>
      db
        .prepare(
          `INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, hash, width, height, format, indexed_at)
           VALUES (42, '/x.jpg', 'x.jpg', 1, 1, 'h', 1, 1, 'jpeg', 'now')`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('opens an up-to-date file again without re-running migrations', () => {
    const path = join(dir, 'library.db');
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('applies only the steps a file lacks, each with its version bump', () => {
    const path = join(dir, 'library.db');
    const v1 = [{ description: 'one', sql: 'CREATE TABLE a (x INTEGER);' }];
    const v2 = [...v1, { description: 'two', sql: 'CREATE TABLE b (y INTEGER);' }];
    openDatabase(path, { migrations: v1 }).close();
    const db = openDatabase(path, { migrations: v2 });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']);
    db.close();
  });

  it('marks the vectors of images that can carry transparency stale, keeping those of JPEGs', () => {
    const path = join(dir, 'library.db');
    const before = MIGRATIONS.findIndex((m) => m.description.startsWith('decoding flattens transparency'));
    expect(before).toBeGreaterThan(0);
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, before) });
    old.exec(`
      INSERT INTO folders (id, path, added_at) VALUES (1, '/p', 'now');
      INSERT INTO images (id, folder_id, path, rel_path, size, mtime_ms, hash, width, height, format, indexed_at) VALUES
        (1, 1, '/p/a.jpg', 'a.jpg', 1, 1, 'ha', 8, 8, 'jpeg', 'now'),
        (2, 1, '/p/b.png', 'b.png', 1, 1, 'hb', 8, 8, 'png', 'now'),
        (3, 1, '/p/c.webp', 'c.webp', 1, 1, 'hc', 8, 8, 'webp', 'now');
      INSERT INTO runs (id, name, status, config, backend, created_at, updated_at) VALUES (1, 'r', 'done', '{}', 'wasm', 'now', 'now');
      INSERT INTO embedding_sets (id, run_id, checkpoint_step, name, status, engine, feature_dim, out_dim, input_size, created_at, updated_at)
        VALUES (1, 1, 10, 's', 'done', 'wasm', 2, 2, 32, 'now', 'now');
      INSERT INTO embeddings (set_id, image_id, hash, features, embedding) VALUES
        (1, 1, 'ha', x'00', x'00'), (1, 2, 'hb', x'00', x'00'), (1, 3, 'hc', x'00', x'00');
    `);
    old.close();
    const db = openDatabase(path);
    const current = db
      .prepare('SELECT e.image_id AS id FROM embeddings e JOIN images i ON i.id = e.image_id WHERE e.hash = i.hash ORDER BY id')
      .all();
    expect(current).toEqual([{ id: 1 }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM embeddings').get()).toEqual({ n: 3 }); // rows kept, recomputed in place
    db.close();
  });

  it('rolls a failing step back whole: no half-made tables, version unchanged', () => {
    const path = join(dir, 'library.db');
    const bad = [
      { description: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
      { description: 'breaks halfway', sql: 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => openDatabase(path, { migrations: bad })).toThrow(/nowhere/);
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(raw)).toEqual(['a']);
    raw.close();
  });

  it('refuses a database from a newer app version and leaves the file untouched', async () => {
    const path = join(dir, 'library.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (7);');
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    const before = readFileSync(path);
    const message = `library.db: expected schema version <= ${SCHEMA_VERSION}, got ${SCHEMA_VERSION + 5}; this database was written by a newer MoCo Studio`;
    expect(() => openDatabase(path)).toThrow(message);
    await expect(createStudio({ dataDir: dir, host: 'cli' })).rejects.toThrow(message);
    expect(readFileSync(path).equals(before)).toBe(true);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('says so when the file is not a database at all', () => {
    const path = join(dir, 'library.db');
    writeFileSync(path, 'this is not sqlite '.repeat(100));
    expect(() => openDatabase(path)).toThrow(/library\.db: expected a SQLite database/);
    expect(readFileSync(path, 'utf8')).toBe('this is not sqlite '.repeat(100));
  });
});

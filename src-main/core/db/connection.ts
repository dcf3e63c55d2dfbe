// Opens library.db the one way every part of the app does: WAL, foreign keys, a busy timeout
// (the scan worker writes while the host reads), migrations applied, a newer schema refused.
// Every write transaction in the stores begins IMMEDIATE (`.immediate()`): a deferred one that
// reads first holds a snapshot and cannot upgrade to a writer while another process writes;
// SQLite then answers "database is locked" at once instead of waiting out the busy timeout.
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export class NewerSchemaError extends Error {
  constructor(file: string, version: number, known: number) {
    super(
      `${file}: expected schema version <= ${known}, got ${version}; this database was written by a newer MoCo Studio`,
    );
    this.name = 'NewerSchema';
  }
}

export interface OpenOptions {
  /** only for tests of the migration machinery */
  migrations?: readonly Migration[];
}

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const migrations = opts.migrations ?? MIGRATIONS;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // Checked before any pragma that writes (journal_mode=WAL does), so a newer file is untouched.
    const version = readVersion(db, path);
    if (version > migrations.length) throw new NewerSchemaError(basename(path), version, migrations.length);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function readVersion(db: Db, path: string): number {
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new Error(`${basename(path)}: expected a SQLite database, got a file it cannot read (${(err as Error).message})`);
  }
}

function migrate(db: Db, migrations: readonly Migration[]): void {
  for (;;) {
    // Re-read inside an IMMEDIATE transaction so two processes opening a fresh file at once
    // cannot both apply the same step.
    const applied = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version >= migrations.length) return false;
        db.exec(migrations[version].sql);
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}


// Opens library.db the one way every part of the app does: WAL, foreign keys, a busy timeout
// (the scan worker writes while the host reads), migrations applied, a newer schema refused.
// Every write transaction in the stores begins IMMEDIATE (`.immediate()`): a deferred one that
// reads first holds a snapshot and cannot upgrade to a writer while another process writes;
// SQLite then answers "database is locked" at once instead of waiting out the busy timeout.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { NotFoundError } from '../../api/errors';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export class NewerSchemaError extends Error {
  constructor(file: string, version: number, known: number) {
    super(`${file}: expected schema version <= ${known}, got ${version}; this database was written by a newer MoCo Studio`);
    this.name = 'NewerSchema';
  }
}

export interface OpenOptions {
  /** only for tests of the migration machinery */
  migrations?: readonly Migration[];
  /**
   * Open to read only: the file must exist (nothing is created), nothing is written, and a
   * database in a read-only folder still opens.
   */
  readOnly?: boolean;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const migrations = opts.migrations ?? MIGRATIONS;
  return opts.readOnly && path !== ':memory:' ? openReadOnly(path, migrations) : openWritable(path, migrations);
}

function openWritable(path: string, migrations: readonly Migration[]): Db {
  if (path !== ':memory:') {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new Error(`${path}: expected a folder to keep the library database in, got ${fsReason(err)} creating ${dirname(path)}`);
    }
  }
  // SQLite opens a file it may not write read-only without a word, and fails later at the
  // first write; say so now.
  if (path !== ':memory:' && existsSync(path) && !canAccess(path, constants.W_OK)) {
    throw openError(path, Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), 'write');
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw openError(path, err, 'write');
  }
  try {
    // Checked before any pragma that writes (journal_mode=WAL does), so a newer file is untouched.
    const version = readVersion(db, path, 'write');
    if (version > migrations.length) throw new NewerSchemaError(path, version, migrations.length);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof NewerSchemaError || isOpenError(err) ? err : openError(path, err, 'write');
  }
}

function openReadOnly(path: string, migrations: readonly Migration[], upgraded = false): Db {
  if (!existsSync(path)) {
    throw new NotFoundError(
      `${path}: expected an existing library database, got no such file (nothing was created; adding a folder makes a library)`,
    );
  }
  let db: Db | null = null;
  let version: number;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    db?.close();
    db = snapshotOf(path, err);
    version = readVersion(db, path, 'read');
  }
  try {
    if (version > migrations.length) throw new NewerSchemaError(path, version, migrations.length);
    if (version < migrations.length) {
      if (version === 0 && tableCount(db) === 0) {
        throw new NotFoundError(
          `${path}: expected a library database, got an empty database (nothing was created; adding a folder makes a library)`,
        );
      }
      if (upgraded) throw new Error(`${path}: expected schema version ${migrations.length} after its upgrade, got ${version}`);
      // An older library is brought up to date once (a write), then read like any other.
      db.close();
      try {
        openWritable(path, migrations).close();
      } catch (err) {
        throw new Error(
          `${path}: expected a database of schema version ${migrations.length}, got version ${version}, which cannot be upgraded here: ${(err as Error).message}`,
        );
      }
      return openReadOnly(path, migrations, true);
    }
    db.pragma('busy_timeout = 10000');
    return db;
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}

function tableCount(db: Db): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
}

/**
 * A WAL database in a folder this process may not write cannot be opened in place (SQLite needs
 * its -shm file there), so it is read from a copy in memory, taken now. Only when no journal is
 * pending: a non-empty -wal holds commits the copy would miss.
 */
function snapshotOf(path: string, cause: unknown): Db {
  const code = (cause as { code?: string }).code;
  const folderBlocks = (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN') && !canAccess(dirname(path), constants.W_OK);
  if (!folderBlocks || !canAccess(path, constants.R_OK) || sizeOf(`${path}-wal`) > 0) throw openError(path, cause, 'read');
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 16).toString('latin1') !== 'SQLite format 3\0') throw openError(path, cause, 'read');
  // The header's file format bytes say WAL (2); the copy has no journal (1).
  bytes[18] = 1;
  bytes[19] = 1;
  try {
    return new Database(bytes, { readonly: true });
  } catch (err) {
    throw openError(path, err, 'read');
  }
}

function readVersion(db: Db, path: string, mode: 'read' | 'write'): number {
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw openError(path, err, mode);
  }
}

const OPEN_ERROR = Symbol('openError');

function isOpenError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && OPEN_ERROR in err;
}

/** "<path>: expected a SQLite database it can read, got <the reason, in words>" */
function openError(path: string, cause: unknown, mode: 'read' | 'write'): Error {
  const message = (cause as Error).message ?? String(cause);
  const code = (cause as { code?: string }).code ?? '';
  const dir = dirname(path);
  const exists = existsSync(path);
  let reason: string;
  if (code === 'SQLITE_NOTADB' || /not a database/.test(message)) {
    reason = `a file that is not one (${message})`;
  } else if (exists && !canAccess(path, constants.R_OK)) {
    reason = 'a file it may not read (permission denied)';
  } else if (mode === 'write' && !canAccess(dir, constants.W_OK)) {
    reason = exists
      ? `a database in a read-only folder, ${dir} (${accessReason(dir)}), where its journal files (-wal, -shm) cannot be made; commands that only read it still work`
      : `a read-only folder, ${dir} (${accessReason(dir)}), where it cannot be created`;
  } else if (mode === 'write' && exists && !canAccess(path, constants.W_OK)) {
    reason = `a read-only file (${accessReason(path)}); commands that only read it still work`;
  } else if (mode === 'read' && !canAccess(dir, constants.W_OK) && sizeOf(`${path}-wal`) > 0) {
    reason = `a database in a read-only folder, ${dir}, with unfinished writes in its -wal file, which only a process that may write there can apply`;
  } else {
    reason = message;
  }
  const err = new Error(`${path}: expected a SQLite database it can ${mode === 'write' ? 'open for writing' : 'read'}, got ${reason}`);
  Object.defineProperty(err, OPEN_ERROR, { value: true });
  return err;
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function accessReason(path: string): string {
  try {
    accessSync(path, constants.W_OK);
    return 'not writable';
  } catch (err) {
    return fsReason(err);
  }
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'a read-only file system';
  if (code === 'ENOENT') return 'no such folder';
  if (code === 'ENOTDIR') return 'a file where a folder was expected';
  return (err as Error).message ?? String(err);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
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

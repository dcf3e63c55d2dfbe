// The writes a scan makes. Batches go in one transaction each, so a scan killed at any
// moment leaves whole rows only, and the next scan skips what was committed as unchanged.
import type { ProblemReason } from '../../api/contract';
import type { Db } from './connection';
import type { ImageFacts } from './rows';

export interface KnownImage {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  missing: number;
}

export interface KnownProblem {
  path: string;
  reason: ProblemReason;
  size: number | null;
  mtime_ms: number | null;
}

export interface FolderRef {
  id: number;
  path: string;
}

export interface ProblemWrite {
  folderId: number;
  path: string;
  reason: ProblemReason;
  message: string;
  size: number | null;
  mtimeMs: number | null;
}

export type FileOutcome =
  | { kind: 'image'; folderId: number; path: string; relPath: string; mtimeMs: number; facts: ImageFacts }
  | ({ kind: 'problem' } & ProblemWrite)
  | { kind: 'vanished'; path: string };

export class ScanStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      folder: db.prepare<[number], FolderRef>('SELECT id, path FROM folders WHERE id = ?'),
      imagesOf: db.prepare<[number], KnownImage>('SELECT id, path, size, mtime_ms, missing FROM images WHERE folder_id = ?'),
      problemsOf: db.prepare<[number], KnownProblem>('SELECT path, reason, size, mtime_ms FROM problems WHERE folder_id = ?'),
      markMissing: db.prepare<[number]>('UPDATE images SET missing = 1 WHERE id = ?'),
      markPathMissing: db.prepare<[string]>('UPDATE images SET missing = 1 WHERE path = ?'),
      deleteProblem: db.prepare<[string]>('DELETE FROM problems WHERE path = ?'),
      upsertProblem: db.prepare(`
        INSERT INTO problems (folder_id, path, reason, message, size, mtime_ms, at)
        VALUES (@folderId, @path, @reason, @message, @size, @mtimeMs, @at)
        ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id, reason = excluded.reason,
          message = excluded.message, size = excluded.size, mtime_ms = excluded.mtime_ms, at = excluded.at`),
      imageIdByPath: db.prepare<[string], { id: number }>('SELECT id FROM images WHERE path = ?'),
      // The oldest missing copy: a move takes over the row that existed first.
      missingByHash: db.prepare<[string], { id: number }>('SELECT id FROM images WHERE hash = ? AND missing = 1 ORDER BY id LIMIT 1'),
      insertImage: db.prepare(`
        INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, hash, width, height, format,
          taken_at, orientation, missing, indexed_at, thumb_ok, near_hash)
        VALUES (@folderId, @path, @relPath, @size, @mtimeMs, @hash, @width, @height, @format,
          @takenAt, @orientation, 0, @at, 1, @nearHash)`),
      updateImage: db.prepare(`
        UPDATE images SET folder_id = @folderId, path = @path, rel_path = @relPath, size = @size,
          mtime_ms = @mtimeMs, hash = @hash, width = @width, height = @height, format = @format,
          taken_at = @takenAt, orientation = @orientation, missing = 0, indexed_at = @at, thumb_ok = 1,
          near_hash = @nearHash
        WHERE id = @id`),
      finishFolder: db.prepare<[string, number, number]>('UPDATE folders SET last_scan_at = ?, available = 1, dir_count = ? WHERE id = ?'),
      folderUnavailable: db.prepare<[string, number]>('UPDATE folders SET last_scan_at = ?, available = 0 WHERE id = ?'),
    };
  }

  folder(id: number): FolderRef | undefined {
    return this.s.folder.get(id);
  }

  imagesOf(folderId: number): KnownImage[] {
    return this.s.imagesOf.all(folderId);
  }

  problemsOf(folderId: number): KnownProblem[] {
    return this.s.problemsOf.all(folderId);
  }

  /** One transaction: files that are gone become missing, problems of gone files go, walk problems are recorded. */
  applyWalk(missingIds: readonly number[], goneProblemPaths: readonly string[], walkProblems: readonly ProblemWrite[]): void {
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        for (const id of missingIds) this.s.markMissing.run(id);
        for (const p of goneProblemPaths) this.s.deleteProblem.run(p);
        for (const p of walkProblems) this.s.upsertProblem.run({ ...p, at });
      })
      .immediate();
  }

  /** Writes a batch of per-file outcomes in one transaction. */
  writeBatch(outcomes: readonly FileOutcome[]): void {
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        for (const o of outcomes) {
          if (o.kind === 'vanished') {
            this.s.markPathMissing.run(o.path);
          } else if (o.kind === 'problem') {
            // The path no longer holds a readable image: its row (if any) keeps its data but is missing.
            this.s.markPathMissing.run(o.path);
            this.s.upsertProblem.run({ ...o, at });
          } else {
            this.writeImage(o, at);
            this.s.deleteProblem.run(o.path);
          }
        }
      })
      .immediate();
  }

  private writeImage(o: Extract<FileOutcome, { kind: 'image' }>, at: string): void {
    const f = o.facts;
    const row = {
      folderId: o.folderId,
      path: o.path,
      relPath: o.relPath,
      size: f.size,
      mtimeMs: o.mtimeMs,
      hash: f.hash,
      width: f.width,
      height: f.height,
      format: f.format,
      takenAt: f.takenAt,
      orientation: f.orientation,
      nearHash: Buffer.from(f.nearHash.buffer, f.nearHash.byteOffset, f.nearHash.byteLength),
      at,
    };
    // Same path: update in place. New path with the bytes of a missing image: a move, same id.
    const existing = this.s.imageIdByPath.get(o.path) ?? this.s.missingByHash.get(f.hash);
    if (existing) this.s.updateImage.run({ ...row, id: existing.id });
    else this.s.insertImage.run(row);
  }

  finishFolder(folderId: number, dirCount: number): void {
    this.s.finishFolder.run(new Date().toISOString(), dirCount, folderId);
  }

  folderUnavailable(folderId: number): void {
    this.s.folderUnavailable.run(new Date().toISOString(), folderId);
  }
}

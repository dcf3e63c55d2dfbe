// The queries the Studio answers the API with. Statements are prepared once per connection.
import type { DuplicateGroup, Folder, ImageDetail, ImageSort, ImageSummary, Page, Problem } from '../../api/contract';
import type { Db } from './connection';
import { toFolder, toImageDetail, toImageSummary, toProblem, type FolderRow, type ImageRow, type ProblemRow } from './rows';

const FOLDER_SELECT = `
  SELECT f.*,
    (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.missing = 0) AS image_count,
    (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.missing = 1) AS missing_count,
    (SELECT COUNT(*) FROM problems p WHERE p.folder_id = f.id) AS problem_count
  FROM folders f`;

// Every order ends on id so pages never overlap or skip rows with equal keys.
const ORDER_BY: Record<ImageSort, string> = {
  path: 'path ASC, id ASC',
  taken: 'taken_at IS NULL, taken_at DESC, path ASC, id ASC',
  size: 'size DESC, id ASC',
  indexed: 'indexed_at DESC, id DESC',
};

const IMAGE_WHERE = `(@folder IS NULL OR folder_id = @folder) AND (@missing = 1 OR missing = 0)
  AND (@excluded IS NULL OR excluded = @excluded)
  AND (@tag IS NULL OR id IN (SELECT it.image_id FROM image_tags it JOIN tags t ON t.id = it.tag_id WHERE t.name = @tag))`;

interface ImageParams {
  folder: number | null;
  missing: number;
  excluded: number | null;
  tag: string | null;
}

export interface ImageFilter {
  folderId: number | null;
  includeMissing: boolean;
  tag?: string | null;
  excluded?: boolean | null;
}

export interface LibraryCounts {
  folders: number;
  images: number;
  missing: number;
  problems: number;
  duplicateGroups: number;
}

export class LibraryStore {
  private readonly s;
  private readonly pageStmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {
    this.s = {
      folders: db.prepare<[], FolderRow>(`${FOLDER_SELECT} ORDER BY f.path`),
      folder: db.prepare<[number], FolderRow>(`${FOLDER_SELECT} WHERE f.id = ?`),
      insertFolder: db.prepare<[string, string]>('INSERT INTO folders (path, added_at) VALUES (?, ?)'),
      deleteFolder: db.prepare<[number]>('DELETE FROM folders WHERE id = ?'),
      image: db.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?'),
      duplicatesOf: db.prepare<[string, number], { id: number }>(
        'SELECT id FROM images WHERE hash = ? AND id != ? AND missing = 0 ORDER BY id',
      ),
      countImages: db.prepare<[ImageParams], { n: number }>(`SELECT COUNT(*) AS n FROM images WHERE ${IMAGE_WHERE}`),
      problems: db.prepare<[number, number], ProblemRow>('SELECT * FROM problems ORDER BY path LIMIT ? OFFSET ?'),
      countProblems: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM problems'),
      duplicateHashes: db.prepare<[], { hash: string }>(
        'SELECT hash FROM images WHERE missing = 0 GROUP BY hash HAVING COUNT(*) > 1 ORDER BY MAX(size) DESC, hash',
      ),
      imagesWithHash: db.prepare<[string], ImageRow>('SELECT * FROM images WHERE hash = ? AND missing = 0 ORDER BY path'),
      counts: db.prepare<[], LibraryCounts>(`
        SELECT
          (SELECT COUNT(*) FROM folders) AS folders,
          (SELECT COUNT(*) FROM images WHERE missing = 0) AS images,
          (SELECT COUNT(*) FROM images WHERE missing = 1) AS missing,
          (SELECT COUNT(*) FROM problems) AS problems,
          (SELECT COUNT(*) FROM (SELECT 1 FROM images WHERE missing = 0 GROUP BY hash HAVING COUNT(*) > 1)) AS duplicateGroups`),
      missingHashes: db.prepare<[], { hash: string }>('SELECT DISTINCT hash FROM images WHERE missing = 1'),
      folderHashes: db.prepare<[number], { hash: string }>('SELECT DISTINCT hash FROM images WHERE folder_id = ?'),
      deleteMissing: db.prepare('DELETE FROM images WHERE missing = 1'),
      hashInUse: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM images WHERE hash = ? LIMIT 1'),
      deleteImage: db.prepare<[number]>('DELETE FROM images WHERE id = ?'),
      refusedLargeFolders: db.prepare<[], { folder_id: number }>("SELECT DISTINCT folder_id FROM problems WHERE reason = 'too-large'"),
      tagsOf: db.prepare<[number], { name: string }>(
        'SELECT t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id WHERE it.image_id = ? ORDER BY t.name',
      ),
    };
  }

  listFolders(): Folder[] {
    return this.s.folders.all().map(toFolder);
  }

  getFolder(id: number): Folder | undefined {
    const row = this.s.folder.get(id);
    return row && toFolder(row);
  }

  folderRow(id: number): FolderRow | undefined {
    return this.s.folder.get(id);
  }

  folderRows(): FolderRow[] {
    return this.s.folders.all();
  }

  insertFolder(path: string, addedAt: string): number {
    return Number(this.s.insertFolder.run(path, addedAt).lastInsertRowid);
  }

  /** Deletes the folder with its images and problems; returns the hashes no image uses any more. */
  deleteFolder(id: number): string[] {
    return this.db
      .transaction(() => {
        const hashes = this.s.folderHashes.all(id).map((r) => r.hash);
        this.s.deleteFolder.run(id);
        return hashes.filter((h) => !this.s.hashInUse.get(h));
      })
      .immediate();
  }

  /** Erases one image's row with everything computed for it (after its file went to the trash). */
  forgetImage(id: number): void {
    this.s.deleteImage.run(id);
  }

  imageRow(id: number): ImageRow | undefined {
    return this.s.image.get(id);
  }

  getImage(id: number): ImageDetail | undefined {
    const row = this.s.image.get(id);
    if (!row) return undefined;
    const duplicates = this.s.duplicatesOf.all(row.hash, row.id).map((r) => r.id);
    return toImageDetail(
      row,
      duplicates,
      this.s.tagsOf.all(row.id).map((r) => r.name),
    );
  }

  listImages(filter: ImageFilter, sort: ImageSort, offset: number, limit: number): Page<ImageSummary> {
    const params: ImageParams = {
      folder: filter.folderId,
      missing: filter.includeMissing ? 1 : 0,
      excluded: filter.excluded == null ? null : Number(filter.excluded),
      tag: filter.tag ?? null,
    };
    const total = this.s.countImages.get(params)!.n;
    const rows = this.pageStatement(sort).all({ ...params, limit, offset }) as ImageRow[];
    return { total, offset, items: rows.map(toImageSummary) };
  }

  private pageStatement(sort: ImageSort) {
    let stmt = this.pageStmts.get(sort);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT * FROM images WHERE ${IMAGE_WHERE} ORDER BY ${ORDER_BY[sort]} LIMIT @limit OFFSET @offset`);
      this.pageStmts.set(sort, stmt);
    }
    return stmt;
  }

  listProblems(offset: number, limit: number): Page<Problem> {
    const total = this.s.countProblems.get()!.n;
    return { total, offset, items: this.s.problems.all(limit, offset).map(toProblem) };
  }

  listDuplicateGroups(): DuplicateGroup[] {
    return this.db.transaction(() =>
      this.s.duplicateHashes.all().map(({ hash }) => {
        const rows = this.s.imagesWithHash.all(hash);
        return { hash, size: rows[0].size, images: rows.map(toImageSummary) };
      }),
    )();
  }

  /** Folders with images refused as over the pixel limit. */
  refusedLargeFolders(): number[] {
    return this.s.refusedLargeFolders.all().map((r) => r.folder_id);
  }

  counts(): LibraryCounts {
    return this.s.counts.get()!;
  }

  /** Erases missing images; returns how many and the hashes no image uses any more. */
  purgeMissing(): { purged: number; orphanHashes: string[] } {
    return this.db
      .transaction(() => {
        const hashes = this.s.missingHashes.all().map((r) => r.hash);
        const purged = this.s.deleteMissing.run().changes;
        return { purged, orphanHashes: hashes.filter((h) => !this.s.hashInUse.get(h)) };
      })
      .immediate();
  }
}

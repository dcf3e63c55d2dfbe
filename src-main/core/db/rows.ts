// Row shapes as SQLite returns them, and their mapping to the API's DTOs.
import { basename } from 'node:path';
import type { Folder, ImageDetail, ImageSummary, Problem, ProblemReason } from '../../api/contract';

export interface FolderRow {
  id: number;
  path: string;
  added_at: string;
  last_scan_at: string | null;
  available: number;
  dir_count: number;
  image_count: number;
  missing_count: number;
  problem_count: number;
}

export interface ImageRow {
  id: number;
  folder_id: number;
  path: string;
  rel_path: string;
  size: number;
  mtime_ms: number;
  hash: string;
  width: number;
  height: number;
  format: string;
  taken_at: string | null;
  orientation: number | null;
  missing: number;
  indexed_at: string;
  thumb_ok: number;
  excluded: number;
}

/** What reading an image file tells about it (see library/inspect.ts). */
export interface ImageFacts {
  hash: string;
  size: number;
  width: number;
  height: number;
  format: string;
  takenAt: string | null;
  orientation: number | null;
  /** perceptual hashes (library/near-hash.ts); empty when the picture could not be decoded for them */
  nearHash: Uint8Array;
}

export interface ProblemRow {
  id: number;
  folder_id: number;
  path: string;
  reason: ProblemReason;
  message: string;
  size: number | null;
  mtime_ms: number | null;
  at: string;
}

export function toFolder(r: FolderRow): Folder {
  return {
    id: r.id,
    path: r.path,
    addedAt: r.added_at,
    lastScanAt: r.last_scan_at,
    available: r.available === 1,
    imageCount: r.image_count,
    missingCount: r.missing_count,
    problemCount: r.problem_count,
  };
}

export function toImageSummary(r: ImageRow): ImageSummary {
  return {
    id: r.id,
    folderId: r.folder_id,
    relPath: r.rel_path,
    name: basename(r.rel_path),
    width: r.width,
    height: r.height,
    format: r.format,
    size: r.size,
    missing: r.missing === 1,
    excluded: r.excluded === 1,
  };
}

export function toImageDetail(r: ImageRow, duplicateIds: number[], tags: string[]): ImageDetail {
  return {
    ...toImageSummary(r),
    path: r.path,
    hash: r.hash,
    mtimeMs: r.mtime_ms,
    takenAt: r.taken_at,
    orientation: r.orientation,
    indexedAt: r.indexed_at,
    duplicateIds,
    tags,
  };
}

export function toProblem(r: ProblemRow): Problem {
  return {
    id: r.id,
    folderId: r.folder_id,
    path: r.path,
    reason: r.reason,
    message: r.message,
    size: r.size,
    at: r.at,
  };
}

// Types of the library part of the API (folders, images, problems, scans, settings, status).
// contract.ts re-exports them.
import type { BackendName } from './train-contract';

export type HostKind = 'electron' | 'web' | 'cli';

export interface Folder {
  id: number;
  path: string;
  addedAt: string; // ISO 8601
  lastScanAt: string | null;
  /** false when the folder itself is gone or unreadable at the last scan */
  available: boolean;
  imageCount: number;
  missingCount: number;
  problemCount: number;
}

export interface ImageSummary {
  id: number;
  folderId: number;
  /** path relative to its folder, with '/' separators */
  relPath: string;
  name: string;
  width: number; // after EXIF orientation
  height: number;
  format: string; // jpeg, png, webp, avif, gif, tiff, ...
  size: number; // bytes
  missing: boolean;
  /** left out of training, evaluation and export by the user */
  excluded: boolean;
}

export interface ImageDetail extends ImageSummary {
  path: string; // absolute
  hash: string; // hex content hash
  mtimeMs: number;
  /** EXIF DateTimeOriginal (or CreateDate) as ISO 8601, when present */
  takenAt: string | null;
  orientation: number | null; // EXIF orientation tag, 1..8
  indexedAt: string;
  /** ids of other images with the same content hash */
  duplicateIds: number[];
  tags: string[];
}

export type ProblemReason =
  | 'empty' // zero bytes
  | 'corrupt' // truncated or damaged image data
  | 'not-image' // the content is not an image at all
  | 'unsupported' // an image format this app cannot decode (e.g. HEIC)
  | 'unreadable' // permissions or I/O error
  | 'too-large' // over the pixel limit: refused before decoding
  | 'outside-link'; // a symbolic link leading outside the folder (or into /proc, /sys, /dev): not followed

export interface Problem {
  id: number;
  folderId: number;
  path: string;
  reason: ProblemReason;
  /** a sentence a person understands */
  message: string;
  size: number | null;
  at: string;
}

export interface DuplicateGroup {
  hash: string;
  /** bytes of one copy */
  size: number;
  images: ImageSummary[];
}

export type ScanPhase = 'walking' | 'processing' | 'finalizing' | 'done' | 'cancelled' | 'failed';

export interface ScanProgress {
  jobId: string;
  folderIds: number[];
  phase: ScanPhase;
  /** image-like files found by the walk so far */
  found: number;
  /** files handled (read, skipped as unchanged, or failed) */
  processed: number;
  /** unchanged files skipped without decoding */
  skipped: number;
  failed: number;
  /** files known before and not found any more */
  missing: number;
  /** processed files per second over the scan so far */
  rate: number;
  etaSeconds: number | null;
  elapsedMs: number;
  /** set when phase is 'failed' */
  error?: string;
}

export type WatchMode = 'off' | 'events' | 'polling';

export interface WatchStatus {
  mode: WatchMode;
  /** why polling was chosen, or what went wrong */
  message: string | null;
}

export interface Settings {
  /** skip folders and files whose name starts with '.' */
  skipHidden: boolean;
  /** pick up changes on disk while the app runs */
  watch: boolean;
  /** longest side of a thumbnail, px */
  thumbnailSize: number;
  /** images with more pixels than this are refused before decoding */
  maxPixels: number;
  /** search large libraries (over APPROX_MIN_IMAGES images) with an approximate HNSW index instead of exact search */
  approximateSearch: boolean;
  /** the compute engine for training: 'auto' picks the fastest that loads (MOCO_BACKEND, where set, decides then) */
  computeBackend: 'auto' | BackendName;
  /** follow symbolic links that lead outside an added folder (off: each is listed as a problem) */
  followOutsideLinks: boolean;
}

/** Libraries smaller than this are always searched exactly: exact search is fast enough and HNSW would only lose recall. */
export const APPROX_MIN_IMAGES = 100_000;

export interface LibraryStatus {
  appVersion: string;
  host: HostKind;
  dataDir: string;
  dbPath: string;
  folders: number;
  images: number;
  missing: number;
  problems: number;
  duplicateGroups: number;
  scan: ScanProgress | null;
  watch: WatchStatus;
  /** jobs another process (CLI, web host, desktop app) runs on this library now */
  elsewhere?: ForeignJob[];
}

/** The process that runs a job, when it is another process on the same library. */
export interface JobOwner {
  pid: number;
  /** the kind of host it recorded, null when unknown */
  kind: HostKind | null;
  hostname: string;
}

/** A job that runs in another process. */
export interface ForeignJob {
  job: 'scan' | 'training' | 'embedding' | 'probe';
  /** scan job id, run id, embedding set id or probe id */
  id: number | string;
  owner: JobOwner;
  /** a scan's progress as its owner last reported it (every few seconds) */
  progress: ScanProgress | null;
}

export interface Page<T> {
  total: number;
  offset: number;
  items: T[];
}

export type ImageSort = 'path' | 'taken' | 'size' | 'indexed';

export interface ListImagesQuery {
  offset?: number;
  limit?: number;
  folderId?: number;
  includeMissing?: boolean;
  sort?: ImageSort;
  /** only images with this tag */
  tag?: string;
  /** only excluded images (true) or only included ones (false) */
  excluded?: boolean;
}

export interface PageQuery {
  offset?: number;
  limit?: number;
}

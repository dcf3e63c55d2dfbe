// The one typed API of MoCo Studio. Every host (Electron, web, CLI) exposes exactly this,
// and the renderer talks to the app only through it. Types only, plus the method list and
// the event names used to check at run time that nothing else gets through.

import type {
  EmbeddingSet,
  EmbedProgress,
  NearDuplicateRequest,
  NearDuplicateResult,
  SearchRequest,
  SearchResult,
  StartEmbeddingOptions,
  TagCount,
} from './search-contract';
import type {
  ExportEmbeddingsRequest,
  ExportResult,
  ExportSubsetRequest,
  ExportWeightsRequest,
  ImportWeightsOptions,
  ImportWeightsResult,
  LabelPreview,
  LabelSource,
  ProbeCellQuery,
  ProbeConfig,
  ProbeProgress,
  ProbeRun,
} from './probe-contract';
import type {
  BackendName,
  CheckpointInfo,
  EngineStatus,
  MetricPoint,
  RunSummary,
  TrainConfig,
  TrainPreset,
  TrainProgress,
} from './train-contract';

export type * from './probe-contract';
export type * from './search-contract';
export type * from './train-contract';

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

/** Every call a host answers. Arguments and results are JSON-serialisable. */
export interface Api {
  getStatus(): Promise<LibraryStatus>;
  listFolders(): Promise<Folder[]>;
  /** adds a folder and starts scanning it; refuses a missing path or a non-folder */
  addFolder(path: string): Promise<Folder>;
  /** forgets a folder and what was computed for its images; never touches files on disk */
  removeFolder(folderId: number): Promise<void>;
  /** incremental rescan of one folder, or of all when no id is given */
  rescan(folderId?: number): Promise<ScanProgress>;
  cancelScan(): Promise<void>;
  listImages(query: ListImagesQuery): Promise<Page<ImageSummary>>;
  getImage(imageId: number): Promise<ImageDetail>;
  listProblems(query: PageQuery): Promise<Page<Problem>>;
  listDuplicateGroups(): Promise<DuplicateGroup[]>;
  /** erases images marked missing, with everything computed for them */
  purgeMissing(): Promise<{ purged: number }>;
  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  /** a native folder picker where the host has one; null where it has none or the user cancelled */
  pickFolder(): Promise<string | null>;

  // --- MoCo pretraining ---
  /** the compute backend in use, and why faster ones were not */
  getEngine(): Promise<EngineStatus>;
  listTrainPresets(): Promise<TrainPreset[]>;
  /** validates the config against the library (clear errors before any work) and starts a run */
  startTraining(config: TrainConfig): Promise<RunSummary>;
  /** pauses the running run after its current step, writing a checkpoint */
  pauseTraining(): Promise<void>;
  /** continues a paused or interrupted run from its last checkpoint */
  resumeTraining(runId: number): Promise<RunSummary>;
  /** stops the running run for good (its checkpoints are kept) */
  cancelTraining(): Promise<void>;
  listRuns(): Promise<RunSummary[]>;
  getRunMetrics(runId: number): Promise<MetricPoint[]>;
  listCheckpoints(runId: number): Promise<CheckpointInfo[]>;
  /** erases a run that is not running, with its checkpoints and metrics */
  deleteRun(runId: number): Promise<void>;

  // --- Embeddings, search and curation ---
  listEmbeddings(): Promise<EmbeddingSet[]>;
  /**
   * Embeds, with the run's newest checkpoint, every present image that has no current vector
   * in that encoder's set (the set is created on first use; later calls are incremental).
   */
  startEmbedding(runId: number, options?: StartEmbeddingOptions): Promise<EmbeddingSet>;
  cancelEmbedding(): Promise<void>;
  deleteEmbeddings(setId: number): Promise<void>;
  /** k nearest neighbours by cosine similarity, of a library image or of an outside file */
  searchSimilar(request: SearchRequest): Promise<SearchResult>;
  /** groups of images whose similarity reaches a threshold (union of pairs) */
  findNearDuplicates(request: NearDuplicateRequest): Promise<NearDuplicateResult>;
  /** marks images excluded from training, evaluation and export, or includes them again */
  setExcluded(imageIds: number[], excluded: boolean): Promise<{ changed: number }>;
  listTags(): Promise<TagCount[]>;
  tagImages(imageIds: number[], tag: string): Promise<{ changed: number }>;
  untagImages(imageIds: number[], tag: string): Promise<{ changed: number }>;
  /** moves the files to the OS trash and forgets them; only where the host has a trash (Electron) */
  trashImages(imageIds: number[]): Promise<{ trashed: number }>;

  // --- Evaluation and weights in/out ---
  /** the classes a label source gives (with the split a probe would use), before running one */
  previewLabels(
    labels: LabelSource,
    options: { folderIds: number[]; minPerClass: number; testFraction: number; seed: number },
  ): Promise<LabelPreview>;
  /** linear probe and kNN on frozen features of a run's encoder, with the chosen baselines */
  startProbe(config: ProbeConfig): Promise<ProbeRun>;
  cancelProbe(): Promise<void>;
  listProbes(): Promise<ProbeRun[]>;
  deleteProbe(probeId: number): Promise<void>;
  /** the test images of one confusion-matrix cell */
  probeCellImages(query: ProbeCellQuery): Promise<ImageSummary[]>;
  exportWeights(request: ExportWeightsRequest): Promise<ExportResult>;
  exportEmbeddings(request: ExportEmbeddingsRequest): Promise<ExportResult>;
  /** the curated library (excluded images left out) as an ImageFolder tree or a labelled file list */
  exportSubset(request: ExportSubsetRequest): Promise<ExportResult>;
  /** reads an official MoCo PyTorch checkpoint (.pth.tar) or safetensors file into a new imported run */
  importWeights(path: string, options?: ImportWeightsOptions): Promise<ImportWeightsResult>;
}

export type ApiMethod = keyof Api;

export const API_METHODS = [
  'getStatus',
  'listFolders',
  'addFolder',
  'removeFolder',
  'rescan',
  'cancelScan',
  'listImages',
  'getImage',
  'listProblems',
  'listDuplicateGroups',
  'purgeMissing',
  'getSettings',
  'updateSettings',
  'pickFolder',
  'getEngine',
  'listTrainPresets',
  'startTraining',
  'pauseTraining',
  'resumeTraining',
  'cancelTraining',
  'listRuns',
  'getRunMetrics',
  'listCheckpoints',
  'deleteRun',
  'listEmbeddings',
  'startEmbedding',
  'cancelEmbedding',
  'deleteEmbeddings',
  'searchSimilar',
  'findNearDuplicates',
  'setExcluded',
  'listTags',
  'tagImages',
  'untagImages',
  'trashImages',
  'previewLabels',
  'startProbe',
  'cancelProbe',
  'listProbes',
  'deleteProbe',
  'probeCellImages',
  'exportWeights',
  'exportEmbeddings',
  'exportSubset',
  'importWeights',
] as const satisfies readonly ApiMethod[];

// Compile-time proof that API_METHODS lists every method of Api.
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

/** Events pushed from the app to every connected UI. */
export interface ApiEvents {
  'scan.progress': ScanProgress;
  /** the set of folders, images or problems changed */
  'library.changed': { reason: string };
  'watch.status': WatchStatus;
  /** per training step (throttled), and on every phase change */
  'train.progress': TrainProgress;
  /** a run was created, finished, deleted or changed status */
  'runs.changed': { runId: number };
  /** while embeddings are computed (throttled), and on every phase change */
  'embed.progress': EmbedProgress;
  /** an embedding set was created, updated, finished or deleted */
  'embeddings.changed': { setId: number };
  /** images were excluded or included again, tagged or untagged */
  'curation.changed': { imageIds: number[] };
  /** while a probe runs (throttled), and on every phase change */
  'probe.progress': ProbeProgress;
  /** a probe was started, finished or deleted */
  'probes.changed': { probeId: number };
}

export type ApiEventName = keyof ApiEvents;

export const API_EVENTS = [
  'scan.progress',
  'library.changed',
  'watch.status',
  'train.progress',
  'runs.changed',
  'embed.progress',
  'embeddings.changed',
  'curation.changed',
  'probe.progress',
  'probes.changed',
] as const satisfies readonly ApiEventName[];

export type Unsubscribe = () => void;

/** What a renderer holds: the API, events, and URLs for image bytes. */
export interface ApiClient extends Api {
  readonly host: HostKind;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): Unsubscribe;
  /** URL of an image's thumbnail (~256 px WebP, EXIF orientation applied) */
  thumbUrl(imageId: number): string;
  /** URL of a large preview of an image (EXIF orientation applied) */
  previewUrl(imageId: number): string;
}

/** How an error crosses the API. */
export interface SerializedError {
  name: string;
  message: string;
}

export type ApiArgs<M extends ApiMethod> = Parameters<Api[M]>;
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<Api[M]>>;

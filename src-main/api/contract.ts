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
} from './export-contract';
import type { LabelPreview, LabelSource, ProbeCellQuery, ProbeConfig, ProbeProgress, ProbeRun } from './probe-contract';
import type { CheckpointInfo, EngineStatus, MetricPoint, RunSummary, TrainConfig, TrainPreset, TrainProgress } from './train-contract';
import type {
  DuplicateGroup,
  Folder,
  HostKind,
  ImageDetail,
  ImageSummary,
  LibraryStatus,
  ListImagesQuery,
  Page,
  PageQuery,
  Problem,
  ScanProgress,
  Settings,
  WatchStatus,
} from './library-contract';

export * from './library-contract';
export type * from './export-contract';
export type * from './probe-contract';
export type * from './search-contract';
export type * from './train-contract';

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

// The Studio: the core behind every host. It owns the database connection the API reads
// from, the scan scheduler (scans run in a worker with their own connection), the watcher,
// and the thumbnail/preview makers. Hosts import createStudio and the types, nothing else.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { APPROX_MIN_IMAGES, type ApiEvents, type ApiMethod, type ScanProgress } from '../api/contract';
import { ConflictError, InvalidInputError, NotFoundError } from '../api/errors';
import { validateArgs } from '../api/validate';
import { openDatabase } from './db/connection';
import { Lease, newOwner } from './db/job-owner';
import { ProbesStore } from './db/probes-store';
import { ScansStore } from './db/scans-store';
import { LibraryStore } from './db/library-store';
import type { ImageRow } from './db/rows';
import { SettingsStore } from './db/settings-store';
import { coalesce, ApiEmitter } from './events';
import { checkNewFolder } from './library/folder-rules';
import { previewBytes, thumbnailFile } from './library/media';
import { ScanScheduler } from './library/scan-scheduler';
import { removeThumbs } from './library/thumbs';
import { WatchControl } from './library/watch-control';
import { TrainingService } from './moco/train/training-service';
import { createCurationApi } from './library/curation';
import { RunsStore } from './db/runs-store';
import { EmbeddingService } from './search/embedding-service';
import { findNearDuplicates } from './search/near-duplicate-review';
import { searchSimilar } from './search/similar';
import { ExportService } from './export/export-service';
import { ProbeService } from './probe/probe-service';
import { dbPathIn } from './paths';
import type { CoreApi, MediaFile, Studio, StudioOptions } from './studio-types';
import type { Db } from './db/connection';
import type { Settings } from '../api/contract';
import { NearHashStore } from './db/near-hash-store';
import { fillNearHashes } from './library/near-hash-fill';
import type { NearHashDeps } from './search/near-hash-rows';

// sharp decodes and fs reads share libuv's thread pool (4 threads unless told otherwise). A scan
// keeps 2 files per core decoding; a few threads more keep file reads and writes from queueing
// behind them. Only takes effect if set before the pool's first use, i.e. at import.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() * 2 + 2));

const DEMO_FLAG = 'demoFolderOffered';
const DEFAULT_PAGE = 200;
const CHANGE_EVENT_MS = 1000;

/** What a library opened read-only answers; every other call would write. */
const READ_METHODS: ReadonlySet<string> = new Set<keyof CoreApi | 'preview'>([
  'preview',
  'getStatus',
  'listFolders',
  'listImages',
  'getImage',
  'listProblems',
  'listDuplicateGroups',
  'getSettings',
  'getEngine',
  'listTrainPresets',
  'listRuns',
  'getRunMetrics',
  'listCheckpoints',
  'listEmbeddings',
  'searchSimilar',
  'findNearDuplicates',
  'listTags',
  'previewLabels',
  'listProbes',
  'probeCellImages',
  'exportWeights',
  'exportEmbeddings',
  'exportSubset',
]);

export async function createStudio(opts: StudioOptions): Promise<Studio> {
  const readOnly = opts.readOnly === true;
  if (!readOnly) mkdirSync(opts.dataDir, { recursive: true });
  const dbPath = opts.dbPath ?? dbPathIn(opts.dataDir);
  // Nothing yet at the default place: a new user looking reads an empty library, made in memory.
  const db = readOnly && opts.emptyIfMissing && !existsSync(dbPath) ? openDatabase(':memory:') : openDatabase(dbPath, { readOnly });
  const library = new LibraryStore(db);
  const settingsStore = new SettingsStore(db);
  const events = new ApiEmitter();
  const emit = <E extends keyof ApiEvents>(e: E, p: ApiEvents[E]) => events.emit(e, p);
  let closed = false;
  // This library, opened by this process: the owner of the jobs it starts.
  const me = newOwner(opts.host);
  const scanRows = new ScansStore(db, me);
  const probeRows = new ProbesStore(db, me);
  const training = new TrainingService(db, opts.dataDir, emit, me, () => {
    const b = settingsStore.getSettings().computeBackend;
    return b === 'auto' ? undefined : b;
  });
  const embeddings = new EmbeddingService(db, dbPath, opts.dataDir, emit, me);
  const runsStore = new RunsStore(db, me);
  const searchDeps = {
    embeddings,
    library,
    runs: runsStore,
    approximate: () => settingsStore.getSettings().approximateSearch,
    approxMinImages: opts.approxMinImages ?? APPROX_MIN_IMAGES,
  };
  const nearHash = nearHashDeps(db, opts.dataDir, () => settingsStore.getSettings());
  const probes = new ProbeService(db, opts.dataDir, emit, me);
  const exports = new ExportService({
    db,
    dataDir: opts.dataDir,
    embeddings: embeddings.store,
    onRunsChanged: (runId) => emit('runs.changed', { runId }),
    me,
  });
  // Whatever changes the set of images or their content makes cached search matrices stale.
  events.on('library.changed', () => embeddings.libraryChanged());
  events.on('curation.changed', () => embeddings.libraryChanged());
  const curation = createCurationApi({
    db,
    library,
    hostName: opts.host === 'web' ? 'web host' : opts.host === 'cli' ? 'command line' : 'desktop app',
    trash: opts.trash,
    onCurated: (imageIds) => emit('curation.changed', { imageIds }),
    onForgotten: () => emit('library.changed', { reason: 'images trashed' }),
  });

  // While a scan commits batches, the UI hears about it at most once a second.
  const scanChanged = coalesce(CHANGE_EVENT_MS, () => emit('library.changed', { reason: 'scan' }));
  // A running scan is a row other processes can see, its progress refreshed with each heartbeat.
  let scanLease: Lease | null = null;
  const scans = new ScanScheduler({
    onLaunch: (p) => {
      scanRows.begin(p);
      // A scan row taken over elsewhere only stops being refreshed: scans may run side by side.
      scanLease = new Lease(
        () => scanRows.beat(scans.current ?? p),
        () => undefined,
      );
    },
    makeRequest: (jobId, ids) => {
      const folderIds = ids.filter((id) => library.folderRow(id));
      if (!folderIds.length) return null;
      return {
        jobId,
        dbPath,
        dataDir: opts.dataDir,
        folderIds,
        settings: settingsStore.getSettings(),
        concurrency: availableParallelism() * 2,
      };
    },
    onProgress: (p) => emit('scan.progress', p),
    onCommitted: () => scanChanged.call(),
    onEnd: (p) => {
      scanLease?.stop();
      scanLease = null;
      scanRows.end(p);
      scanChanged.cancel();
      emit('library.changed', { reason: `scan ${p.phase}` });
      watch.afterScan();
    },
  });

  // The CLI runs one command and exits: it never watches.
  const watch = new WatchControl({
    folders: () => library.folderRows().map((f) => ({ id: f.id, path: f.path, dirCount: f.dir_count })),
    settings: () => {
      const s = settingsStore.getSettings();
      return { skipHidden: s.skipHidden, watch: s.watch && opts.host !== 'cli' };
    },
    rescan: (ids) => scans.enqueue(ids),
    onStatus: (s) => emit('watch.status', s),
  });

  const imageRow = (where: string, id: number): ImageRow => {
    const row = library.imageRow(id);
    if (!row) throw new NotFoundError(`${where}: expected an image id in the library, got ${id}`);
    return row;
  };
  const requireFolder = (where: string, id: number) => {
    if (!library.folderRow(id)) throw new NotFoundError(`${where}: expected a folder id in the library, got ${id}`);
  };
  const mediaOptions = () => {
    const s = settingsStore.getSettings();
    return { dataDir: opts.dataDir, thumbnailSize: s.thumbnailSize, maxPixels: s.maxPixels };
  };

  const methods: CoreApi = {
    async getStatus() {
      const counts = library.counts();
      return {
        appVersion: opts.appVersion ?? '0.0.0',
        host: opts.host,
        dataDir: opts.dataDir,
        dbPath,
        ...counts,
        scan: scans.current,
        watch: watch.status,
        elsewhere: [
          ...scanRows.foreign(),
          ...runsStore.foreignJobs().map((j) => ({ job: 'training' as const, ...j, progress: null })),
          ...embeddings.store.foreignJobs().map((j) => ({ job: 'embedding' as const, ...j, progress: null })),
          ...probeRows.foreignJobs().map((j) => ({ job: 'probe' as const, ...j, progress: null })),
        ],
      };
    },

    async listFolders() {
      return library.listFolders();
    },

    async addFolder(input) {
      const path = await checkNewFolder(
        input,
        library.folderRows().map((f) => f.path),
      );
      let id: number;
      try {
        id = library.insertFolder(path, new Date().toISOString());
      } catch (err) {
        // Two adds of one folder at once: both passed the checks, the database keeps one.
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ConflictError(`addFolder: expected a folder not yet in the library, got ${path}, which is already added`);
        }
        throw err;
      }
      settingsStore.setFlag(DEMO_FLAG, true);
      emit('library.changed', { reason: 'folder added' });
      scans.enqueue([id]);
      await watch.restart();
      return library.getFolder(id)!;
    },

    async removeFolder(folderId) {
      requireFolder('removeFolder', folderId);
      await scans.forget(folderId);
      const orphans = library.deleteFolder(folderId);
      await removeThumbs(opts.dataDir, orphans);
      emit('library.changed', { reason: 'folder removed' });
      await watch.restart();
    },

    async rescan(folderId) {
      if (folderId !== undefined) requireFolder('rescan', folderId);
      const ids = folderId !== undefined ? [folderId] : library.folderRows().map((f) => f.id);
      return scans.start(ids, 'rescan');
    },

    async cancelScan() {
      await scans.cancel();
    },

    async listImages(query) {
      if (query.folderId !== undefined) requireFolder('listImages', query.folderId);
      return library.listImages(
        {
          folderId: query.folderId ?? null,
          includeMissing: query.includeMissing ?? false,
          tag: query.tag ?? null,
          excluded: query.excluded ?? null,
        },
        query.sort ?? 'path',
        query.offset ?? 0,
        query.limit ?? DEFAULT_PAGE,
      );
    },

    async getImage(imageId) {
      const detail = library.getImage(imageId);
      if (!detail) throw new NotFoundError(`getImage: expected an image id in the library, got ${imageId}`);
      return detail;
    },

    async listProblems(query) {
      return library.listProblems(query.offset ?? 0, query.limit ?? DEFAULT_PAGE);
    },

    async listDuplicateGroups() {
      return library.listDuplicateGroups();
    },

    async purgeMissing() {
      const { purged, orphanHashes } = library.purgeMissing();
      await removeThumbs(opts.dataDir, orphanHashes);
      if (purged) emit('library.changed', { reason: 'missing purged' });
      return { purged };
    },

    async getSettings() {
      return settingsStore.getSettings();
    },

    async updateSettings(patch) {
      const before = settingsStore.getSettings();
      const after = settingsStore.updateSettings(patch);
      if (before.watch !== after.watch || (after.watch && before.skipHidden !== after.skipHidden)) await watch.restart();
      // A higher pixel limit: the folders with images the old one refused are read again.
      if (after.maxPixels > before.maxPixels) {
        const refused = library.refusedLargeFolders();
        if (refused.length) scans.enqueue(refused);
      }
      return after;
    },

    getEngine: () => training.getEngine(),
    listTrainPresets: () => training.listTrainPresets(),
    startTraining: (config) => training.startTraining(config),
    pauseTraining: () => training.pauseTraining(),
    resumeTraining: (runId) => training.resumeTraining(runId),
    cancelTraining: () => training.cancelTraining(),
    listRuns: () => training.listRuns(),
    getRunMetrics: (runId) => training.getRunMetrics(runId),
    listCheckpoints: (runId) => training.listCheckpoints(runId),
    deleteRun: (runId) => training.deleteRun(runId),

    listEmbeddings: () => embeddings.listEmbeddings(),
    startEmbedding: (runId, options) => embeddings.startEmbedding(runId, options),
    cancelEmbedding: () => embeddings.cancelEmbedding(),
    deleteEmbeddings: (setId) => embeddings.deleteEmbeddings(setId),
    searchSimilar: (request) => searchSimilar({ ...searchDeps, nearHash }, request),
    findNearDuplicates: (request) => findNearDuplicates({ ...searchDeps, nearHash }, request),
    ...curation,

    previewLabels: (labels, options) => probes.previewLabels(labels, options),
    startProbe: (config) => probes.startProbe(config),
    cancelProbe: () => probes.cancelProbe(),
    listProbes: () => probes.listProbes(),
    deleteProbe: (probeId) => probes.deleteProbe(probeId),
    probeCellImages: (query) => probes.probeCellImages(query),
    exportWeights: (request) => exports.exportWeights(request),
    exportEmbeddings: (request) => exports.exportEmbeddings(request),
    exportSubset: (request) => exports.exportSubset(request),
    importWeights: (path, options) => exports.importWeights(path, options),
  };

  // Every call is checked against the contract here too: the CLI and tests call the core
  // directly, and a bad argument must be a clear error wherever it comes from.
  const ensureOpen = (where: string) => {
    if (closed) throw new ConflictError(`${where}: expected an open library, got one that was closed`);
    if (readOnly && !READ_METHODS.has(where))
      throw new ConflictError(`${where}: expected a library open for writing, got ${dbPath} opened read-only`);
  };
  const api = guard(methods, ensureOpen);

  try {
    // First start: show the demo library, once, unless the person already has folders.
    if (!readOnly && settingsStore.getFlag(DEMO_FLAG) === undefined) {
      if (library.folderRows().length) settingsStore.setFlag(DEMO_FLAG, true);
      else if (opts.demoFolder && isDirectory(opts.demoFolder)) await api.addFolder(opts.demoFolder);
    }
    await watch.restart();
  } catch (err) {
    closed = true;
    await watch.close();
    await scans.close();
    await training.close();
    await embeddings.close();
    await probes.close();
    db.close();
    throw err;
  }

  return {
    api,
    on: (event, listener) => events.on(event, listener),
    async thumbnail(imageId: number): Promise<MediaFile> {
      ensureOpen('thumbnail');
      checkId('thumbnail', imageId);
      const path = await thumbnailFile(imageRow('thumbnail', imageId), mediaOptions());
      return { path, contentType: 'image/webp' };
    },
    async preview(imageId: number, maxSize = 1600) {
      ensureOpen('preview');
      checkId('preview', imageId);
      if (!Number.isInteger(maxSize) || maxSize < 16 || maxSize > 8192) {
        throw new InvalidInputError(`preview: expected a size from 16 to 8192 px, got ${maxSize}`);
      }
      return previewBytes(imageRow('preview', imageId), maxSize, settingsStore.getSettings().maxPixels);
    },
    waitForScan: (): Promise<ScanProgress | null> => scans.waitIdle(),
    waitForEmbedding: () => embeddings.waitIdle(),
    waitForProbe: () => probes.waitIdle(),
    async close() {
      if (closed) return;
      closed = true;
      scanChanged.cancel();
      await watch.close();
      await scans.close();
      // A run in progress pauses at a checkpoint and its row is final before the database closes.
      await training.close();
      await embeddings.close();
      await probes.close();
      events.clear();
      db.close();
    },
  };
}

function guard(methods: CoreApi, ensureOpen: (where: string) => void): CoreApi {
  const out = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.keys(methods) as (keyof CoreApi)[]) {
    const fn = methods[name] as (...args: unknown[]) => Promise<unknown>;
    out[name] = async (...args: unknown[]) => {
      ensureOpen(name);
      // Trailing undefined (an omitted optional argument) is not an argument.
      while (args.length && args[args.length - 1] === undefined) args.pop();
      return fn(...validateArgs(name as ApiMethod, args));
    };
  }
  return out as unknown as CoreApi;
}

function checkId(where: string, id: unknown): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    throw new InvalidInputError(`${where}: expected a positive integer image id, got ${JSON.stringify(id)}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Perceptual hashes for search: one fill at a time fills what the library lacks. */
function nearHashDeps(db: Db, dataDir: string, settings: () => Settings): NearHashDeps {
  const store = new NearHashStore(db);
  let running: Promise<number> | null = null;
  const media = () => ({ thumbnailSize: settings().thumbnailSize, maxPixels: settings().maxPixels });
  const fill = () => {
    running ??= fillNearHashes(store, { dataDir, ...media() }).finally(() => (running = null));
    return running;
  };
  return { store, fill, media };
}

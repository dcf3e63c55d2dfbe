// The Studio: the core behind every host. It opens the database the API reads from, builds the
// services that answer the API (library, training, embeddings, probes, export) and closes them
// in reverse order. Hosts import createStudio and the types, nothing else.
import { existsSync, mkdirSync } from 'node:fs';
import { APPROX_MIN_IMAGES, type ApiEvents, type Settings } from '../api/contract';
import { InvalidInputError } from '../api/errors';
import { openDatabase, type Db } from './db/connection';
import { newOwner, type OwnerIdentity } from './db/job-owner';
import { NearHashStore } from './db/near-hash-store';
import { ProbesStore } from './db/probes-store';
import { RunsStore } from './db/runs-store';
import { ApiEmitter } from './events';
import { ExportService } from './export/export-service';
import { createCurationApi } from './library/curation';
import { LibraryService } from './library/library-service';
import { previewBytes, thumbnailFile } from './library/image-bytes';
import { fillNearHashes } from './library/near-hash-fill';
import { TrainingService } from './moco/train/training-service';
import { dbPathIn } from './paths';
import { ProbeService } from './probe/probe-service';
import { EmbeddingService } from './search/embedding-service';
import type { NearHashDeps } from './search/near-hash-rows';
import { checkId, guard, openCheck, serviceApi, type Services } from './studio-api';
import { DEFAULT_CAPABILITIES, type CoreApi, type MediaFile, type Studio, type StudioOptions } from './studio-types';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

/** What is closed at shutdown, last built first closed. */
class Teardown {
  private readonly steps: (() => unknown)[] = [];

  add<T extends { close(): unknown }>(service: T): T {
    this.steps.push(() => service.close());
    return service;
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

interface Opened {
  db: Db;
  dbPath: string;
  dataDir: string;
  emit: Emit;
  me: OwnerIdentity;
}

function buildServices(o: Opened, opts: StudioOptions, teardown: Teardown): Services {
  const { db, dataDir, emit, me } = o;
  const caps = opts.capabilities ?? DEFAULT_CAPABILITIES[opts.host];
  const library = teardown.add(new LibraryService({ ...o, watchFolders: caps.watchFolders }));
  const settings = () => library.settings.getSettings();
  const backend = () => {
    const b = settings().computeBackend;
    return b === 'auto' ? undefined : b;
  };
  const training = teardown.add(new TrainingService(db, dataDir, emit, me, backend));
  const embeddings = teardown.add(new EmbeddingService(db, o.dbPath, dataDir, emit, me));
  const probes = teardown.add(new ProbeService(db, dataDir, emit, me));
  const onRunsChanged = (runId: number) => emit('runs.changed', { runId });
  const exports = new ExportService({ db, dataDir, embeddings: embeddings.store, onRunsChanged, me });
  const curation = createCurationApi({
    db,
    library: library.store,
    hostName: caps.label,
    trash: caps.trash,
    onCurated: (imageIds) => emit('curation.changed', { imageIds }),
    onForgotten: () => emit('library.changed', { reason: 'images trashed' }),
  });
  const search = {
    library: library.store,
    runs: new RunsStore(db, me),
    approximate: () => settings().approximateSearch,
    approxMinImages: opts.approxMinImages ?? APPROX_MIN_IMAGES,
    nearHash: nearHashDeps(db, dataDir, settings),
  };
  return { library, training, embeddings, probes, exports, curation, search };
}

function statusCall(s: Services, o: Opened, opts: StudioOptions, probeRows: ProbesStore): CoreApi['getStatus'] {
  return async () => ({
    appVersion: opts.appVersion ?? '0.0.0',
    host: opts.host,
    dataDir: o.dataDir,
    dbPath: o.dbPath,
    ...s.library.store.counts(),
    scan: s.library.scan,
    watch: s.library.watchStatus,
    elsewhere: [
      ...s.library.foreignScans(),
      ...s.search.runs.foreignJobs().map((j) => ({ job: 'training' as const, ...j, progress: null })),
      ...s.embeddings.store.foreignJobs().map((j) => ({ job: 'embedding' as const, ...j, progress: null })),
      ...probeRows.foreignJobs().map((j) => ({ job: 'probe' as const, ...j, progress: null })),
    ],
  });
}

function openDb(opts: StudioOptions, dbPath: string, readOnly: boolean): Db {
  if (!readOnly) mkdirSync(opts.dataDir, { recursive: true });
  // Nothing yet at the default place: a new user looking reads an empty library, made in memory.
  if (readOnly && opts.emptyIfMissing && !existsSync(dbPath)) return openDatabase(':memory:');
  return openDatabase(dbPath, { readOnly });
}

export async function createStudio(opts: StudioOptions): Promise<Studio> {
  const readOnly = opts.readOnly === true;
  const dbPath = opts.dbPath ?? dbPathIn(opts.dataDir);
  const db = openDb(opts, dbPath, readOnly);
  const events = new ApiEmitter();
  const teardown = new Teardown();
  teardown.add(db);
  teardown.add({ close: () => events.clear() });
  // This library, opened by this process: the owner of the jobs it starts.
  const me = newOwner(opts.host);
  const opened: Opened = { db, dbPath, dataDir: opts.dataDir, emit: (e, p) => events.emit(e, p), me };
  const services = buildServices(opened, opts, teardown);
  // Whatever changes the set of images or their content makes cached search matrices stale.
  events.on('library.changed', () => services.embeddings.libraryChanged());
  events.on('curation.changed', () => services.embeddings.libraryChanged());
  let closed = false;
  const ensureOpen = openCheck(() => closed, readOnly, dbPath);
  const getStatus = statusCall(services, opened, opts, new ProbesStore(db, me));
  const api = guard({ getStatus, ...serviceApi(services) }, ensureOpen);
  try {
    await services.library.open(opts.demoFolder, (path) => api.addFolder(path), readOnly);
  } catch (err) {
    closed = true;
    await teardown.run();
    throw err;
  }
  const close = async () => {
    if (closed) return;
    closed = true;
    // A run in progress pauses at a checkpoint and its row is final before the database closes.
    await teardown.run();
  };
  return { api, on: (event, listener) => events.on(event, listener), ...media(services, opts.dataDir, ensureOpen), close };
}

/** Image bytes for thumbnails and previews, folders by path, and waiting for the long jobs. */
function media(s: Services, dataDir: string, ensureOpen: (where: string) => void): Omit<Studio, 'api' | 'on' | 'close'> {
  const lib = s.library;
  return {
    async thumbnail(imageId: number): Promise<MediaFile> {
      ensureOpen('thumbnail');
      checkId('thumbnail', imageId);
      const { thumbnailSize, maxPixels } = lib.settings.getSettings();
      const path = await thumbnailFile(lib.imageRow('thumbnail', imageId), { dataDir, thumbnailSize, maxPixels });
      return { path, contentType: 'image/webp' };
    },
    async preview(imageId: number, maxSize = 1600) {
      ensureOpen('preview');
      checkId('preview', imageId);
      if (!Number.isInteger(maxSize) || maxSize < 16 || maxSize > 8192) {
        throw new InvalidInputError(`preview: expected a size from 16 to 8192 px, got ${maxSize}`);
      }
      return previewBytes(lib.imageRow('preview', imageId), maxSize, lib.settings.getSettings().maxPixels);
    },
    async findFolder(path: string) {
      ensureOpen('listFolders');
      return lib.findFolder(path);
    },
    async addOrRescan(path: string) {
      ensureOpen('addFolder');
      return lib.addOrRescan(path);
    },
    waitForScan: () => lib.waitForScan(),
    waitForEmbedding: () => s.embeddings.waitIdle(),
    waitForProbe: () => s.probes.waitIdle(),
  };
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

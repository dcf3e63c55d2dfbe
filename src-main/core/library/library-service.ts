// The library part of the API: folders, images, problems, settings, and the scans and watcher
// that keep the index in line with the disk. Scans run in a worker with their own connection;
// a running scan is a row other processes can see.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ApiEvents, Folder, ForeignJob, ScanProgress, Settings } from '../../api/contract';
import { ConflictError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import { Lease, type OwnerIdentity } from '../db/job-owner';
import { LibraryStore } from '../db/library-store';
import type { ImageRow } from '../db/rows';
import { ScansStore } from '../db/scans-store';
import { SettingsStore } from '../db/settings-store';
import { coalesce } from '../events';
import type { CoreApi } from '../studio-types';
import { checkNewFolder } from './folder-rules';
import { ScanScheduler } from './scan-scheduler';
import { removeThumbs } from './thumbs';
import { WatchControl } from './watch-control';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

const DEMO_FLAG = 'demoFolderOffered';
const DEFAULT_PAGE = 200;
const CHANGE_EVENT_MS = 1000;

type LibraryMethod =
  | 'listFolders'
  | 'addFolder'
  | 'removeFolder'
  | 'rescan'
  | 'cancelScan'
  | 'listImages'
  | 'getImage'
  | 'listProblems'
  | 'listDuplicateGroups'
  | 'purgeMissing'
  | 'getSettings'
  | 'updateSettings';

export interface LibraryServiceOptions {
  db: Db;
  dbPath: string;
  dataDir: string;
  emit: Emit;
  me: OwnerIdentity;
  /** watch added folders while the process runs (a one-shot command does not) */
  watchFolders: boolean;
}

export class LibraryService {
  readonly store: LibraryStore;
  readonly settings: SettingsStore;
  private readonly scanRows: ScansStore;
  private readonly scans: ScanScheduler;
  private readonly watch: WatchControl;
  /** while a scan commits batches, the UI hears about it at most once a second */
  private readonly scanChanged;

  constructor(private readonly o: LibraryServiceOptions) {
    this.store = new LibraryStore(o.db);
    this.settings = new SettingsStore(o.db);
    this.scanRows = new ScansStore(o.db, o.me);
    this.scanChanged = coalesce(CHANGE_EVENT_MS, () => o.emit('library.changed', { reason: 'scan' }));
    this.scans = this.scheduler();
    this.watch = new WatchControl({
      folders: () => this.store.folderRows().map((f) => ({ id: f.id, path: f.path, dirCount: f.dir_count })),
      settings: () => {
        const s = this.settings.getSettings();
        return { skipHidden: s.skipHidden, watch: s.watch && o.watchFolders };
      },
      rescan: (ids) => this.scans.enqueue(ids),
      onStatus: (s) => o.emit('watch.status', s),
    });
  }

  private scheduler(): ScanScheduler {
    const { emit, dbPath, dataDir } = this.o;
    // A running scan's row is refreshed with each heartbeat; one taken over elsewhere only
    // stops being refreshed: scans may run side by side.
    let lease: Lease | null = null;
    const scans: ScanScheduler = new ScanScheduler({
      onLaunch: (p) => {
        this.scanRows.begin(p);
        lease = new Lease(
          () => this.scanRows.beat(scans.current ?? p),
          () => undefined,
        );
      },
      makeRequest: (jobId, ids) => {
        const folderIds = ids.filter((id) => this.store.folderRow(id));
        if (!folderIds.length) return null;
        const settings = this.settings.getSettings();
        return { jobId, dbPath, dataDir, folderIds, settings, concurrency: availableParallelism() * 2 };
      },
      onProgress: (p) => emit('scan.progress', p),
      onCommitted: () => this.scanChanged.call(),
      onEnd: (p) => {
        lease?.stop();
        lease = null;
        this.scanRows.end(p);
        this.scanChanged.cancel();
        emit('library.changed', { reason: `scan ${p.phase}` });
        this.watch.afterScan();
      },
    });
    return scans;
  }

  /** First start: offer the demo folder once, unless the person already has folders; then watch. */
  async open(demoFolder: string | null | undefined, addFolder: (path: string) => Promise<unknown>, readOnly: boolean): Promise<void> {
    if (!readOnly && this.settings.getFlag(DEMO_FLAG) === undefined) {
      if (this.store.folderRows().length) this.settings.setFlag(DEMO_FLAG, true);
      else if (demoFolder && isDirectory(demoFolder)) await addFolder(demoFolder);
    }
    await this.watch.restart();
  }

  get scan(): ScanProgress | null {
    return this.scans.current;
  }

  get watchStatus() {
    return this.watch.status;
  }

  foreignScans(): ForeignJob[] {
    return this.scanRows.foreign();
  }

  imageRow(where: string, id: number): ImageRow {
    const row = this.store.imageRow(id);
    if (!row) throw new NotFoundError(`${where}: expected an image id in the library, got ${id}`);
    return row;
  }

  private requireFolder(where: string, id: number): void {
    if (!this.store.folderRow(id)) throw new NotFoundError(`${where}: expected a folder id in the library, got ${id}`);
  }

  async addFolder(input: string): Promise<Folder> {
    const path = await checkNewFolder(
      input,
      this.store.folderRows().map((f) => f.path),
    );
    let id: number;
    try {
      id = this.store.insertFolder(path, new Date().toISOString());
    } catch (err) {
      // Two adds of one folder at once: both passed the checks, the database keeps one.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`addFolder: expected a folder not yet in the library, got ${path}, which is already added`);
      }
      throw err;
    }
    this.settings.setFlag(DEMO_FLAG, true);
    this.o.emit('library.changed', { reason: 'folder added' });
    this.scans.enqueue([id]);
    await this.watch.restart();
    return this.store.getFolder(id)!;
  }

  /** The library folder at `path`, matched by its own name or the one its links lead to. */
  findFolder(path: string): Folder | undefined {
    const real = realOrSame(path);
    return this.store.listFolders().find((f) => f.path === path || f.path === real || realOrSame(f.path) === real);
  }

  /** Adds a folder not in the library yet, and rescans one that is (or that another process just added). */
  async addOrRescan(path: string): Promise<{ folder: Folder; added: boolean }> {
    const known = this.findFolder(path);
    if (!known) {
      try {
        return { folder: await this.addFolder(path), added: true };
      } catch (err) {
        // Another process added it a moment ago: scan it here too, like a known folder.
        const added = err instanceof ConflictError ? this.findFolder(path) : undefined;
        if (!added) throw err;
        await this.rescan(added.id);
        return { folder: added, added: false };
      }
    }
    await this.rescan(known.id);
    return { folder: known, added: false };
  }

  async removeFolder(folderId: number): Promise<void> {
    this.requireFolder('removeFolder', folderId);
    await this.scans.forget(folderId);
    const orphans = this.store.deleteFolder(folderId);
    await removeThumbs(this.o.dataDir, orphans);
    this.o.emit('library.changed', { reason: 'folder removed' });
    await this.watch.restart();
  }

  async rescan(folderId?: number): Promise<ScanProgress> {
    if (folderId !== undefined) this.requireFolder('rescan', folderId);
    const ids = folderId !== undefined ? [folderId] : this.store.folderRows().map((f) => f.id);
    return this.scans.start(ids, 'rescan');
  }

  async cancelScan(): Promise<void> {
    await this.scans.cancel();
  }

  /** Checks the folder a listing is limited to. */
  checkFolderFilter(where: string, folderId: number | undefined): void {
    if (folderId !== undefined) this.requireFolder(where, folderId);
  }

  async purgeMissing(): Promise<{ purged: number }> {
    const { purged, orphanHashes } = this.store.purgeMissing();
    await removeThumbs(this.o.dataDir, orphanHashes);
    if (purged) this.o.emit('library.changed', { reason: 'missing purged' });
    return { purged };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const before = this.settings.getSettings();
    const after = this.settings.updateSettings(patch);
    if (before.watch !== after.watch || (after.watch && before.skipHidden !== after.skipHidden)) await this.watch.restart();
    // A higher pixel limit: the folders with images the old one refused are read again.
    if (after.maxPixels > before.maxPixels) {
      const refused = this.store.refusedLargeFolders();
      if (refused.length) this.scans.enqueue(refused);
    }
    return after;
  }

  waitForScan(): Promise<ScanProgress | null> {
    return this.scans.waitIdle();
  }

  /** Stops watching and scanning; the running scan ends before this resolves. */
  async close(): Promise<void> {
    this.scanChanged.cancel();
    await this.watch.close();
    await this.scans.close();
  }
}

/** The API calls the library answers. */
export function libraryApi(lib: LibraryService): Pick<CoreApi, LibraryMethod> {
  return {
    listFolders: async () => lib.store.listFolders(),
    addFolder: (path) => lib.addFolder(path),
    removeFolder: (id) => lib.removeFolder(id),
    rescan: (id) => lib.rescan(id),
    cancelScan: () => lib.cancelScan(),
    listImages: async (q) => {
      lib.checkFolderFilter('listImages', q.folderId);
      const filter = {
        folderId: q.folderId ?? null,
        includeMissing: q.includeMissing ?? false,
        tag: q.tag ?? null,
        excluded: q.excluded ?? null,
      };
      return lib.store.listImages(filter, q.sort ?? 'path', q.offset ?? 0, q.limit ?? DEFAULT_PAGE);
    },
    getImage: async (imageId) => {
      const detail = lib.store.getImage(imageId);
      if (!detail) throw new NotFoundError(`getImage: expected an image id in the library, got ${imageId}`);
      return detail;
    },
    listProblems: async (q) => lib.store.listProblems(q.offset ?? 0, q.limit ?? DEFAULT_PAGE),
    listDuplicateGroups: async () => lib.store.listDuplicateGroups(),
    purgeMissing: () => lib.purgeMissing(),
    getSettings: async () => lib.settings.getSettings(),
    updateSettings: (patch) => lib.updateSettings(patch),
  };
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

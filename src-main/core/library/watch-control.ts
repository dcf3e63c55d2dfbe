// Keeps watch mode in line with the settings and the folders: rebuilds the watcher when
// either changes, and turns its change reports into debounced folder rescans.
import type { WatchStatus } from '../../api/contract';
import { LibraryWatcher, type WatchedFolder } from './watcher';

export interface WatchControlHooks {
  folders: () => WatchedFolder[];
  settings: () => { watch: boolean; skipHidden: boolean };
  /** scan these folders when the running scan (if any) ends */
  rescan: (folderIds: number[]) => void;
  onStatus: (s: WatchStatus) => void;
}

const OFF: WatchStatus = { mode: 'off', message: null };
// Saving a batch of photos fires many events: wait for a quiet moment before rescanning.
const DEBOUNCE_MS = 1500;

export class WatchControl {
  private watcher: LibraryWatcher | null = null;
  private readonly pending = new Map<number, NodeJS.Timeout>();
  private closed = false;
  /** serialises restarts: a stop must finish before the next watcher starts */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly hooks: WatchControlHooks) {}

  get status(): WatchStatus {
    return this.watcher?.status ?? OFF;
  }

  /** Rebuilds the watcher from the current folders and settings. */
  restart(): Promise<void> {
    this.chain = this.chain.then(() => this.rebuild());
    return this.chain;
  }

  /** After a scan: a folder's directory count may now be over (or under) the watch budget. */
  afterScan(): void {
    if (this.watcher?.budgetChanged(this.hooks.folders())) {
      this.restart().catch((err: unknown) =>
        this.hooks.onStatus({ mode: 'off', message: `watch: ${err instanceof Error ? err.message : String(err)}` }),
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.restart();
  }

  private async rebuild(): Promise<void> {
    const old = this.watcher;
    this.watcher = null;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    await old?.stop();
    const settings = this.hooks.settings();
    if (this.closed || !settings.watch) {
      if (old) this.hooks.onStatus(OFF);
      return;
    }
    const watcher = new LibraryWatcher(
      this.hooks.folders(),
      { skipHidden: settings.skipHidden },
      {
        onChange: (folderId) => this.debounce(folderId),
        onPoll: () => this.hooks.rescan(this.hooks.folders().map((f) => f.id)),
        onStatus: this.hooks.onStatus,
      },
    );
    this.watcher = watcher;
    await watcher.start();
  }

  private debounce(folderId: number): void {
    clearTimeout(this.pending.get(folderId));
    this.pending.set(
      folderId,
      setTimeout(() => {
        this.pending.delete(folderId);
        this.hooks.rescan([folderId]);
      }, DEBOUNCE_MS),
    );
  }
}

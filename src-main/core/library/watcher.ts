// Watch mode: filesystem events (chokidar) tell the library which folder changed. On Linux,
// every watched directory costs an inotify watch; a tree too big for the user's limit, or a
// watcher that runs out of watches or file handles, falls back to a periodic rescan instead.
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { WatchStatus } from '../../api/contract';
import { kindOfName } from './formats';

export interface WatchedFolder {
  id: number;
  path: string;
  /** directories found by the last scan (0 when never scanned) */
  dirCount: number;
}

export interface WatcherHooks {
  onChange: (folderId: number) => void;
  /** polling mode: time to rescan everything */
  onPoll: () => void;
  onStatus: (status: WatchStatus) => void;
}

export interface WatcherOptions {
  skipHidden: boolean;
  pollMs?: number;
  /** ms a file's size must stay still before it counts as written */
  writeFinishMs?: number;
  /** inotify watches available (defaults to /proc/sys/fs/inotify/max_user_watches on Linux) */
  watchLimit?: number | null;
}

const DEFAULT_POLL_MS = 60_000;
// Other programs need inotify watches too: use at most half of the user's limit.
const WATCH_SHARE = 0.5;

export function inotifyWatchLimit(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const n = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null; // no procfs (a container without it): nothing to check against
  }
}

export class LibraryWatcher {
  private watcher: FSWatcher | null = null;
  private poller: NodeJS.Timeout | null = null;
  status: WatchStatus = { mode: 'off', message: null };
  private limit: number | null | undefined;
  private settle: (() => void) | null = null;

  constructor(
    private readonly folders: readonly WatchedFolder[],
    private readonly opts: WatcherOptions,
    private readonly hooks: WatcherHooks,
  ) {}

  /** Resolves once changes are really being watched (or polling took over). */
  start(): Promise<void> {
    if (!this.folders.length) return Promise.resolve(this.setStatus({ mode: 'off', message: null }));
    const { dirs, limit, over } = this.budget(this.folders);
    if (over) {
      return Promise.resolve(
        this.poll(
          `The library has ${dirs} folders but the system allows ${limit} watches (fs.inotify.max_user_watches), so changes are picked up by rescanning every ${this.pollSeconds()} s instead.`,
        ),
      );
    }
    const writeFinish = this.opts.writeFinishMs ?? 2000;
    const watcher = watch(
      this.folders.map((f) => f.path),
      {
        ignoreInitial: true,
        persistent: true,
        // Links are not followed: one may lead to / or /proc. Links inside a folder point at
        // folders watched anyway; what is behind an allowed outside link is seen at a rescan.
        followSymlinks: false,
        ignored: (path: string) => this.opts.skipHidden && this.isHidden(path),
        awaitWriteFinish: { stabilityThreshold: writeFinish, pollInterval: Math.min(200, writeFinish) },
      },
    );
    this.watcher = watcher;
    watcher.on('all', (event, path) => {
      const isDirEvent = event === 'addDir' || event === 'unlinkDir';
      if (!isDirEvent && !kindOfName(path)) return;
      const folder = this.folderOf(path);
      if (folder) this.hooks.onChange(folder.id);
    });
    watcher.on('error', (err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE') {
        void this.stopWatcher();
        this.poll(
          `Watching ran out of system ${code === 'ENOSPC' ? 'inotify watches' : 'file handles'} (${code}), so changes are picked up by rescanning every ${this.pollSeconds()} s instead.`,
        );
      } else {
        this.setStatus({ mode: 'events', message: `watch: ${err instanceof Error ? err.message : String(err)}` });
      }
    });
    // Watching only counts once chokidar has its watches in place; anything that changed before
    // then (or while nobody watched) is caught by one incremental rescan of each folder.
    return new Promise((resolve) => {
      this.settle = resolve; // a stop before 'ready' must not leave the caller waiting
      watcher.on('ready', () => {
        if (this.watcher === watcher) {
          this.setStatus({ mode: 'events', message: null });
          for (const f of this.folders) this.hooks.onChange(f.id);
        }
        resolve();
      });
    });
  }

  /** true when the same folders, with the directory counts of a newer scan, should be watched the other way */
  budgetChanged(folders: readonly WatchedFolder[]): boolean {
    return this.budget(folders).over !== this.budget(this.folders).over;
  }

  private budget(folders: readonly WatchedFolder[]): { dirs: number; limit: number | null; over: boolean } {
    this.limit ??= this.opts.watchLimit === undefined ? inotifyWatchLimit() : this.opts.watchLimit;
    const dirs = folders.reduce((n, f) => n + Math.max(1, f.dirCount), 0);
    return { dirs, limit: this.limit, over: this.limit !== null && dirs > this.limit * WATCH_SHARE };
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    await this.stopWatcher();
    this.status = { mode: 'off', message: null };
  }

  private async stopWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    this.settle?.();
    this.settle = null;
    if (w) await w.close();
  }

  private poll(message: string): void {
    this.poller = setInterval(() => this.hooks.onPoll(), this.opts.pollMs ?? DEFAULT_POLL_MS);
    this.poller.unref();
    this.setStatus({ mode: 'polling', message });
  }

  private pollSeconds(): number {
    return Math.round((this.opts.pollMs ?? DEFAULT_POLL_MS) / 1000);
  }

  private setStatus(s: WatchStatus): void {
    this.status = s;
    this.hooks.onStatus(s);
  }

  private folderOf(path: string): WatchedFolder | undefined {
    return this.folders.find((f) => path === f.path || path.startsWith(f.path + sep));
  }

  /** hidden = a name below the library folder starts with '.'; the folder's own path may. */
  private isHidden(path: string): boolean {
    const folder = this.folderOf(path);
    if (!folder) return false;
    return relative(folder.path, path)
      .split(sep)
      .some((part) => part.startsWith('.'));
  }
}

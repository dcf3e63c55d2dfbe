// One scan at a time. Explicit rescans while one runs are refused (the caller asked for
// something that cannot happen now); scans the app asks for itself (a folder was added, the
// watcher saw a change) wait in a queue and run when the current one ends.
import { randomUUID } from 'node:crypto';
import type { ScanProgress } from '../../api/contract';
import { ConflictError } from '../../api/errors';
import { emptyProgress } from './progress';
import { ScanJob } from './scan-job';
import type { ScanRequest } from './scan-types';

export interface SchedulerHooks {
  /** the request for these folders, or null when none of them exists any more */
  makeRequest: (jobId: string, folderIds: number[]) => ScanRequest | null;
  onProgress: (p: ScanProgress) => void;
  onCommitted: (rows: number) => void;
  onEnd: (p: ScanProgress) => void;
  /** a scan's worker started (before its first progress) */
  onLaunch?: (p: ScanProgress) => void;
}

export class ScanScheduler {
  private job: ScanJob | null = null;
  private readonly queued = new Set<number>();
  private last: ScanProgress | null = null;
  private idleWaiters: ((p: ScanProgress | null) => void)[] = [];
  private closed = false;

  constructor(private readonly hooks: SchedulerHooks) {}

  /** progress of the running scan, or null */
  get current(): ScanProgress | null {
    return this.job?.progress ?? null;
  }

  /** Starts a scan now; Conflict when one is running. */
  start(folderIds: number[], where: string): ScanProgress {
    if (this.job) {
      const p = this.job.progress;
      throw new ConflictError(`${where}: expected no scan running, got scan ${p.jobId} (${p.phase}); cancel it or wait for it to end`);
    }
    return this.launch(folderIds);
  }

  /** Scans these folders as soon as the running scan (if any) ends. */
  enqueue(folderIds: number[]): void {
    if (this.closed) return;
    if (!this.job) {
      this.launch(folderIds);
      return;
    }
    for (const id of folderIds) this.queued.add(id);
  }

  /** Cancels the running scan and anything queued; resolves once the scan has stopped. */
  async cancel(): Promise<void> {
    this.queued.clear();
    const job = this.job;
    if (!job) return;
    job.cancel();
    await job.done;
  }

  /** Stops the running scan if it covers this folder (e.g. before removing it). */
  async forget(folderId: number): Promise<void> {
    this.queued.delete(folderId);
    const job = this.job;
    if (job?.progress.folderIds.includes(folderId)) {
      const others = job.progress.folderIds.filter((id) => id !== folderId);
      job.cancel();
      await job.done;
      // The other folders of that scan still want scanning.
      if (others.length) this.enqueue(others);
    }
  }

  waitIdle(): Promise<ScanProgress | null> {
    if (!this.job) return Promise.resolve(this.last);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cancel();
  }

  private launch(folderIds: number[]): ScanProgress {
    const jobId = randomUUID();
    const req = this.hooks.makeRequest(jobId, [...new Set(folderIds)]);
    if (!req) {
      const nothing = emptyProgress(jobId, [], 'done');
      this.last = nothing;
      this.settleIdle();
      return nothing;
    }
    let job: ScanJob;
    try {
      job = new ScanJob(req, { onProgress: this.hooks.onProgress, onCommitted: this.hooks.onCommitted });
    } catch (err) {
      // The worker could not even start (its file is missing): a failed scan, not a crash.
      const failed: ScanProgress = {
        ...emptyProgress(jobId, req.folderIds, 'failed'),
        error: `scan: ${err instanceof Error ? err.message : String(err)}`,
      };
      this.last = failed;
      this.hooks.onProgress(failed);
      this.hooks.onEnd(failed);
      this.settleIdle();
      return failed;
    }
    this.job = job;
    this.hooks.onLaunch?.(job.progress);
    void job.done.then((p) => {
      this.job = null;
      this.last = p;
      this.hooks.onEnd(p);
      if (this.queued.size && !this.closed) {
        const next = [...this.queued];
        this.queued.clear();
        this.launch(next);
      } else {
        this.settleIdle();
      }
    });
    return job.progress;
  }

  private settleIdle(): void {
    if (this.job) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w(this.last);
  }
}

// The host side of one scan: starts the worker, relays its messages, and turns any way the
// worker can end (done, error, crash) into exactly one final ScanProgress.
import type { Worker, WorkerOptions } from 'node:worker_threads';
import type { ScanProgress } from '../../api/contract';
import type { HostMessage, ScanRequest, WorkerMessage } from './scan-types';
import { emptyProgress } from './progress';
import { spawnWorker } from '../worker-url';

export interface ScanJobHooks {
  onProgress: (p: ScanProgress) => void;
  onCommitted: (rows: number) => void;
}

// How long a cancelled scan may take to finish its in-flight files before it is stopped hard.
// Stopping hard is safe too (every batch is one transaction), just less tidy.
const CANCEL_GRACE_MS = 5000;

export class ScanJob {
  progress: ScanProgress;
  readonly done: Promise<ScanProgress>;
  private readonly worker: Worker;
  private cancelTimer: NodeJS.Timeout | null = null;
  /** set once a stop was asked for: an exit without a final report is then a cancel, not a crash */
  private stopping = false;

  constructor(req: ScanRequest, hooks: ScanJobHooks) {
    this.progress = emptyProgress(req.jobId, req.folderIds, 'walking');
    this.worker = spawnScanWorker({ workerData: req });
    this.done = new Promise<ScanProgress>((resolve) => {
      let settled = false;
      const finish = (p: ScanProgress) => {
        if (settled) return;
        settled = true;
        if (this.cancelTimer) clearTimeout(this.cancelTimer);
        this.progress = p;
        hooks.onProgress(p);
        resolve(p);
      };
      const fail = (error: string) => finish({ ...this.progress, phase: 'failed', etaSeconds: null, error });
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          this.progress = m.progress;
          hooks.onProgress(m.progress);
        } else if (m.type === 'committed') {
          hooks.onCommitted(m.rows);
        } else if (m.type === 'done') {
          finish(m.progress);
        }
      });
      this.worker.on('error', (err) => fail(`scan worker: ${err.message}`));
      this.worker.on('exit', (code) => {
        if (this.stopping) finish({ ...this.progress, phase: 'cancelled', etaSeconds: null });
        else fail(`scan worker: expected a final report, got an exit with code ${code}`);
      });
    });
  }

  cancel(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.worker.postMessage({ type: 'cancel' } satisfies HostMessage);
    this.cancelTimer = setTimeout(() => void this.worker.terminate(), CANCEL_GRACE_MS);
  }

  /** Stops the worker now (app shutdown); the database stays consistent. */
  async terminate(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
    await this.done;
  }
}

const SCAN_SOURCE = 'scan-worker.ts';

function spawnScanWorker(options: WorkerOptions): Worker {
  return spawnWorker('scan-worker', new URL(`./${SCAN_SOURCE}`, import.meta.url), options);
}

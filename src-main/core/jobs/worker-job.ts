// The host side of one long job in a worker thread: starts it, relays its messages, and turns
// any way the worker can end (its final report, an error, a crash) into exactly one end.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../worker-url';

export interface JobEnd<S extends string> {
  status: S | 'failed';
  error?: string;
}

/** The final report every worker here sends: `{ type: 'end', status, error? }`. */
export function reportedEnd<S extends string>(m: { type: string }): JobEnd<S> | null {
  if (m.type !== 'end') return null;
  const { status, error } = m as { type: 'end'; status: S; error?: string };
  return { status, ...(error ? { error } : {}) };
}

/** How long a worker that has sent its final report gets to finish its own cleanup (freeing
 *  tensors, a GPU device) and exit, before it is stopped. Stopping a thread in the middle of
 *  native GPU teardown can take the whole process down. */
export const EXIT_GRACE_MS = 5_000;

export class WorkerJob<Req, In, Out extends { type: string }, S extends string> {
  readonly done: Promise<JobEnd<S>>;
  /** resolves once the thread is gone, however it ended */
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private ended = false;

  /**
   * `isEnd` recognises the worker's final report and reads its status from it; `label` names
   * the worker in the errors of a worker that ends without one (default: its entry name).
   */
  constructor(
    name: string,
    source: URL,
    req: Req,
    onMessage: (m: Out) => void,
    isEnd: (m: Out) => JobEnd<S> | null = reportedEnd,
    label = name,
  ) {
    this.worker = spawnWorker(name, source, { workerData: req });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.done = new Promise<JobEnd<S>>((resolve) => {
      const finish = (end: JobEnd<S>) => {
        if (this.ended) return;
        this.ended = true;
        resolve(end);
      };
      this.worker.on('message', (m: Out) => {
        if (this.ended) return;
        onMessage(m);
        const end = isEnd(m);
        if (end) {
          finish(end);
          const timer = setTimeout(() => void this.worker.terminate(), EXIT_GRACE_MS);
          void this.exited.then(() => clearTimeout(timer));
        }
      });
      this.worker.on('error', (err) => finish({ status: 'failed', error: `${label}: ${err.message}` }));
      this.worker.on('exit', (code) =>
        finish({ status: 'failed', error: `${label}: expected a final report, got an exit with code ${code}` }),
      );
    });
  }

  get running(): boolean {
    return !this.ended;
  }

  send(m: In): void {
    if (!this.ended) this.worker.postMessage(m);
  }

  /** Stops the thread at once (the job's own report is lost; use send() for a graceful stop). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  /** Asks the job to stop with `m` (e.g. pause at a checkpoint), and stops it hard after `graceMs`. */
  async stopWithin(m: In, graceMs: number): Promise<JobEnd<S>> {
    this.send(m);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

// The host side of one long job in a worker thread: starts it, relays its messages, and turns
// any way the worker can end (its final report, an error, a crash) into exactly one end.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './worker-url';

export interface JobEnd<S extends string> {
  status: S | 'failed';
  error?: string;
}

export class WorkerJob<Req, In, Out extends { type: string }, S extends string> {
  readonly done: Promise<JobEnd<S>>;
  private readonly worker: Worker;
  private ended = false;

  /** `isEnd` recognises the worker's final report and reads its status from it. */
  constructor(name: string, source: URL, req: Req, onMessage: (m: Out) => void, isEnd: (m: Out) => JobEnd<S> | null) {
    this.worker = spawnWorker(name, source, { workerData: req });
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
          void this.worker.terminate();
        }
      });
      this.worker.on('error', (err) => finish({ status: 'failed', error: `${name}: ${err.message}` }));
      this.worker.on('exit', (code) =>
        finish({ status: 'failed', error: `${name}: expected a final report, got an exit with code ${code}` }),
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
}

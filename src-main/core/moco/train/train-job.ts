// The host side of one training run: starts the worker, relays its messages, and turns any
// way the worker can end (done, paused, error, crash) into exactly one final report.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../worker-url';
import type { EndStatus, HostMessage, TrainRequest, WorkerMessage } from './train-types';

const SOURCE = 'train-worker.ts';

/** How long a pause (a checkpoint) may take at app shutdown before the worker is stopped hard. */
const SHUTDOWN_GRACE_MS = 60_000;

export interface TrainJobEnd {
  status: EndStatus;
  error?: string;
}

export class TrainJob {
  readonly done: Promise<TrainJobEnd>;
  private readonly worker: Worker;
  private ended = false;

  constructor(req: TrainRequest, onMessage: (m: WorkerMessage) => void) {
    this.worker = spawnWorker('train-worker', new URL(`./${SOURCE}`, import.meta.url), { workerData: req });
    this.done = new Promise<TrainJobEnd>((resolve) => {
      const finish = (end: TrainJobEnd) => {
        if (this.ended) return;
        this.ended = true;
        resolve(end);
      };
      this.worker.on('message', (m: WorkerMessage) => {
        if (this.ended) return;
        onMessage(m);
        if (m.type === 'end') {
          finish({ status: m.status, ...(m.error ? { error: m.error } : {}) });
          void this.worker.terminate();
        }
      });
      this.worker.on('error', (err) => finish({ status: 'failed', error: `training worker: ${err.message}` }));
      this.worker.on('exit', (code) =>
        finish({ status: 'failed', error: `training worker: expected a final report, got an exit with code ${code}` }),
      );
    });
  }

  get running(): boolean {
    return !this.ended;
  }

  send(m: HostMessage): void {
    if (!this.ended) this.worker.postMessage(m);
  }

  /** Stops the thread at once, without a checkpoint (the run was taken over elsewhere). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  /** App shutdown: pause (checkpoint), and stop hard if that takes too long. */
  async shutdown(): Promise<TrainJobEnd> {
    this.send({ type: 'pause' });
    const timer = setTimeout(() => void this.worker.terminate(), SHUTDOWN_GRACE_MS);
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

// Starts the training worker for one run.
import { WorkerJob } from '../../jobs/worker-job';
import type { EndStatus, HostMessage, TrainRequest, WorkerMessage } from './train-types';

const SOURCE = 'train-worker.ts';

/** How long a pause (a checkpoint) may take at app shutdown before the worker is stopped hard. */
export const SHUTDOWN_GRACE_MS = 60_000;

export type TrainJob = WorkerJob<TrainRequest, HostMessage, WorkerMessage, EndStatus>;

export function startTrainJob(req: TrainRequest, onMessage: (m: WorkerMessage) => void): TrainJob {
  return new WorkerJob('train-worker', new URL(`./${SOURCE}`, import.meta.url), req, onMessage, undefined, 'training worker');
}

// Starts the embedding worker for one pass.
import { WorkerJob } from '../jobs/worker-job';
import type { EmbedEndStatus, EmbedHostMessage, EmbedRequest, EmbedWorkerMessage } from './embed-types';

const SOURCE = 'embed-worker.ts';

export type EmbedJob = WorkerJob<EmbedRequest, EmbedHostMessage, EmbedWorkerMessage, EmbedEndStatus>;

export function startEmbedJob(req: EmbedRequest, onMessage: (m: EmbedWorkerMessage) => void): EmbedJob {
  return new WorkerJob('embed-worker', new URL(`./${SOURCE}`, import.meta.url), req, onMessage);
}

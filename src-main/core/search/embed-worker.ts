// The embedding worker: one pass over a set's missing vectors, off the host's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { runEmbedding } from './embed-run';
import type { EmbedHostMessage, EmbedRequest, EmbedWorkerMessage } from './embed-types';

if (!parentPort) throw new Error('embed-worker: expected to run in a worker thread, got the main thread');
const port = parentPort;
let cancelled = false;
port.on('message', (m: EmbedHostMessage) => {
  if (m.type === 'cancel') cancelled = true;
});

await runEmbedding(
  workerData as EmbedRequest,
  (m: EmbedWorkerMessage) => port.postMessage(m),
  () => cancelled,
);
port.close();

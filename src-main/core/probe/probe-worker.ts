// The probe worker: features of the labelled images, then the linear probe and kNN for each
// model, off the host's event loop. A cancel arrives as a message and aborts between epochs.
import { parentPort, workerData } from 'node:worker_threads';
import { runProbe } from './probe-run';
import type { ProbeHostMessage, ProbeRequest, ProbeWorkerMessage } from './probe-types';

if (!parentPort) throw new Error('probe-worker: expected to run in a worker thread, got the main thread');
const port = parentPort;
const abort = new AbortController();
port.on('message', (m: ProbeHostMessage) => {
  if (m.type === 'cancel') abort.abort(new Error('cancelled'));
});

await runProbe(workerData as ProbeRequest, (m: ProbeWorkerMessage) => port.postMessage(m), abort.signal);
port.close();

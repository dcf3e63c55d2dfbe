// The training worker: runs one training run off the host's event loop and reports through
// messages. Pause and cancel arrive as messages and are read between steps.
import { parentPort, workerData } from 'node:worker_threads';
import { runTraining } from './trainer';
import type { HostMessage, TrainRequest, WorkerMessage } from './train-types';

if (!parentPort) throw new Error('train-worker: expected to run in a worker thread, got the main thread');
const port = parentPort;
let asked: 'pause' | 'cancel' | null = null;
port.on('message', (m: HostMessage) => {
  // A cancel outranks a pause asked for earlier.
  if (m.type === 'cancel' || asked === null) asked = m.type;
});

await runTraining(workerData as TrainRequest, (m: WorkerMessage) => port.postMessage(m), { requested: () => asked });
// The host ends the thread on 'end'; closing the port lets it exit by itself too.
port.close();

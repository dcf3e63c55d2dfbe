// Entry of the scan worker thread: runs one scan (scanner.ts) with its own database
// connection and reports to the host through messages.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import type { ScanProgress } from '../../api/contract';
import { emptyProgress } from './progress';
import { runScan } from './scanner';
import type { HostMessage, ScanRequest, WorkerMessage } from './scan-types';

// Parallelism comes from several files in flight; one libvips thread each avoids oversubscribing
// the cores, and no operation cache keeps memory flat over thousands of files.
sharp.concurrency(1);
sharp.cache(false);

const port = parentPort;
if (!port) throw new Error('scan-worker: expected to run in a worker thread, got the main thread');
const req = workerData as ScanRequest;
let cancelled = false;
let last: ScanProgress | null = null;
const post = (m: WorkerMessage) => port.postMessage(m);

port.on('message', (m: HostMessage) => {
  if (m.type === 'cancel') cancelled = true;
});

runScan(req, {
  isCancelled: () => cancelled,
  onProgress: (progress) => {
    last = progress;
    post({ type: 'progress', progress });
  },
  onCommitted: (rows) => post({ type: 'committed', rows }),
})
  .then((progress) => post({ type: 'done', progress }))
  .catch((err: unknown) => {
    const base: ScanProgress = last ?? emptyProgress(req.jobId, req.folderIds, 'failed');
    const error = err instanceof Error ? err.message : String(err);
    post({ type: 'done', progress: { ...base, phase: 'failed', etaSeconds: null, error: `scan: ${error}` } });
  })
  .finally(() => port.close());

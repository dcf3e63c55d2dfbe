// One training run, start to end: the training cache, the session (model fresh or from the
// newest checkpoint; train-session.ts), the epochs of MoCo steps with pause, cancel, the time
// budget, the kNN monitor and periodic checkpoints (train-loop.ts), and the end. It runs
// wherever it is called (the training worker in the app; tests may call it directly) and
// reports only through `post` (train-progress.ts), so the host owns the database.
import { join } from 'node:path';
import { closeAll } from '../../cleanup';
import { initEngine } from '../../engine/backend';
import { deviceMemory, startWebGpu } from '../../engine/webgpu';
import { frameSideFor } from '../data/decode';
import { buildTrainCache } from '../data/cache-build';
import type { TrainCache } from '../data/train-cache';
import { checkFitsDevice } from './memory-plan';
import { finishRun, trainEpochs, type TrainerControl } from './train-loop';
import { ProgressReporter } from './train-progress';
import { prepareSession, type Owned } from './train-session';
import type { EndStatus, TrainRequest, WorkerMessage } from './train-types';

export type { TrainerControl } from './train-loop';

export async function runTraining(req: TrainRequest, post: (m: WorkerMessage) => void, control: TrainerControl): Promise<EndStatus> {
  const { config } = req;
  const reporter = new ProgressReporter(req.runId, config.epochs, post);
  reporter.show();
  let cache: TrainCache | null = null;
  const owned: Owned = { model: null, optimizer: null };
  let failed = false;
  try {
    const engine = await initEngine({ backend: req.backend });
    // A GPU that cannot hold the configuration fails here, with numbers, not mid-run.
    if (engine.backend === 'webgpu') await checkFitsDevice(config, deviceMemory(await startWebGpu()));
    reporter.show({ phase: 'caching', message: 'Preparing the training images' });
    const built = await buildTrainCache({
      dir: req.cacheDir,
      images: req.images,
      size: frameSideFor(config.inputSize),
      onProgress: reporter.cacheProgress(),
    });
    cache = built.cache;
    if (control.requested() === 'cancel') return reporter.end('cancelled');
    if (cache.rows.length < config.batchSize) {
      return reporter.end(
        'failed',
        `training: expected at least batch size ${config.batchSize} readable images, got ${cache.rows.length} (${cache.skipped.length} could not be read)`,
      );
    }
    const session = await prepareSession(req, engine, cache, reporter, post, owned);
    const stopped = await trainEpochs(session, control);
    if (stopped) return reporter.end(stopped);
    await finishRun(session);
    return reporter.end('done');
  } catch (err) {
    failed = true;
    return reporter.end('failed', describeFailure(err, config.batchSize, config.inputSize));
  } finally {
    // After a failure (a wasm abort) disposing fails too: that echo must not replace the report.
    closeAll(
      failed,
      () => owned.model?.dispose(),
      () => owned.optimizer?.dispose(),
      () => cache?.close(),
    );
  }
}

/** An error in words, with a way out when the device ran out of memory. */
export function describeFailure(err: unknown, batch: number, size: number): string {
  const message = err instanceof Error ? err.message : String(err);
  if (
    /out of memory|\bOOM\b|failed to allocate|allocation failed|cannot allocate|memory access out of bounds|^Aborted\(\)/i.test(message)
  ) {
    return (
      `training: the device ran out of memory (${message}). The last checkpoint is kept; ` +
      `try a smaller batch (e.g. ${Math.max(2, batch >> 1)}) or a smaller input size (e.g. ${Math.max(16, size >> 1)} px), then resume or start again`
    );
  }
  return message;
}

/** Where a run's checkpoints go. */
export function runDirIn(dataDir: string, runId: number): string {
  return join(dataDir, 'runs', String(runId));
}

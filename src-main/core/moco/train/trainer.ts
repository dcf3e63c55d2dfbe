// One training run, start to end: the training cache, the model (fresh or from the newest
// checkpoint), then epochs of MoCo steps with the lr schedule, throttled progress, bounded
// metric history, the kNN monitor, periodic checkpoints, pause and cancel. It runs wherever
// it is called (the training worker in the app; tests may call it directly) and reports only
// through `post`, so the host owns the database.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { MetricPoint, TrainProgress } from '../../../api/contract';
import { initEngine } from '../../engine/backend';
import { deviceMemory, startWebGpu, throwIfGpuFailed } from '../../engine/webgpu';
import { checkFitsDevice } from './memory-plan';
import { Augmenter } from '../data/augment';
import { BatchLoader } from '../data/batch-loader';
import { frameSideFor } from '../data/decode';
import { buildTrainCache, type TrainCache } from '../data/train-cache';
import { closeAll } from '../../cleanup';
import { MocoModel } from '../moco';
import { checkDictionary } from './check-config';
import { latestCheckpoint, writeCheckpoint } from './checkpoint';
import { knnLabels, knnMonitor, type KnnLabels } from './knn';
import { collectState, restoreState } from './model-state';
import { BUDGET_WARMUP_SHARE, BUDGET_WARMUP_STEPS, fitStepsToBudget, learningRate, learningRateAt } from './schedule';
import type { EndStatus, TrainRequest, WorkerMessage } from './train-types';

export interface TrainerControl {
  /** what the host asked for since the last step, if anything */
  requested(): 'pause' | 'cancel' | null;
}

const PROGRESS_MS = 250;
/** Metric points kept per run at most (a long run records every few steps). */
const MAX_METRIC_POINTS = 10_000;
/** Seed offset of the augmentation stream, so it differs from the model's. */
const AUGMENT_SEED_SALT = 0x5eed;

export async function runTraining(req: TrainRequest, post: (m: WorkerMessage) => void, control: TrainerControl): Promise<EndStatus> {
  const { config } = req;
  let progress: TrainProgress = {
    runId: req.runId,
    phase: 'preparing',
    epoch: 0,
    epochs: config.epochs,
    step: 0,
    totalSteps: 0,
    loss: null,
    lr: null,
    accuracy: null,
    imagesPerSec: null,
    etaSeconds: null,
    queueFill: 0,
    knnAccuracy: null,
    message: 'Starting the compute backend',
  };
  const end = (status: EndStatus, error?: string): EndStatus => {
    const phase = status === 'paused' ? 'paused' : status;
    progress = { ...progress, phase, etaSeconds: null, message: null, ...(error ? { error } : {}) };
    post({ type: 'end', status, progress, ...(error ? { error } : {}) });
    return status;
  };
  post({ type: 'progress', progress });

  let cache: TrainCache | null = null;
  let model: MocoModel | null = null;
  let optimizer: tf.MomentumOptimizer | null = null;
  let failed = false;
  try {
    const engine = await initEngine({ backend: req.backend });
    // A GPU that cannot hold the configuration fails here, with numbers, not mid-run.
    if (engine.backend === 'webgpu') await checkFitsDevice(config, deviceMemory(await startWebGpu()));
    progress = { ...progress, phase: 'caching', message: 'Preparing the training images' };
    post({ type: 'progress', progress });
    let lastCacheReport = 0;
    const built = await buildTrainCache({
      dir: req.cacheDir,
      images: req.images,
      size: frameSideFor(config.inputSize),
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastCacheReport < PROGRESS_MS && p.done < p.total) return;
        lastCacheReport = now;
        progress = {
          ...progress,
          message: `Preparing the training images: ${p.done}/${p.total} (${p.decoded} decoded, ${p.reused} reused)`,
        };
        post({ type: 'progress', progress });
      },
    });
    cache = built.cache;
    if (control.requested() === 'cancel') return end('cancelled');
    if (cache.rows.length < config.batchSize) {
      return end(
        'failed',
        `training: expected at least batch size ${config.batchSize} readable images, got ${cache.rows.length} (${cache.skipped.length} could not be read)`,
      );
    }

    checkDictionary(config, cache.rows.length, 'training');
    const loader = new BatchLoader(cache, { batchSize: config.batchSize, seed: config.seed });
    const samplesOf = sampleIndices(cache);
    const stepsPerEpoch = loader.stepsPerEpoch;
    // A time budget (config.minutes) replaces the epoch count: totalSteps is provisional until
    // the warm-up has measured the pace, then fixed.
    const budgetSeconds = config.minutes ? config.minutes * 60 : null;
    let totalSteps = stepsPerEpoch * config.epochs;
    model = new MocoModel({
      arch: config.arch,
      stem: config.stem,
      widthMultiplier: config.widthMultiplier,
      outDim: config.dim,
      mlpHead: config.mlpHead,
      dictionary: config.dictionary,
      K: config.K,
      m: config.m,
      T: config.T,
      weightDecay: config.weightDecay,
      bnGroups: config.bnGroups > 0 ? config.bnGroups : 'auto',
      shuffleBN: true,
      symmetric: config.symmetric,
      bankSize: cache.rows.length,
      seed: config.seed,
    });
    optimizer = tf.train.momentum(config.lr, config.sgdMomentum);
    const augmenter = new Augmenter({
      recipe: config.augmentation,
      resolution: config.inputSize,
      seed: (config.seed + AUGMENT_SEED_SALT) >>> 0,
    });
    const labelById = new Map(req.labels);
    const labels: KnnLabels | null = config.knnEvery > 0 ? knnLabels(cache, (id) => labelById.get(id) ?? null) : null;

    let step = 0;
    let epoch = 0;
    let stepInEpoch = 0;
    let knnAcc: number | null = null;
    const ckpt = req.resume ? latestCheckpoint(req.runDir) : null;
    if (ckpt) {
      await restoreState(model, optimizer, ckpt.tensors, ckpt.state.dictionary);
      model.rng.setState(ckpt.state.rng.model);
      augmenter.setRngState(ckpt.state.rng.augment);
      ({ step, epoch, stepInEpoch } = ckpt.state);
      knnAcc = ckpt.state.knnAccuracy;
    }
    const budget =
      budgetSeconds === null
        ? null
        : {
            plannedSteps: ckpt?.state.budget?.plannedSteps ?? null,
            spentBefore: ckpt?.state.budget?.spentSeconds ?? 0,
            startedAt: Date.now(),
            /** wall seconds of the steps since the first of this session */
            stepTimes: [] as number[],
          };
    const spentSeconds = () => (budget ? budget.spentBefore + (Date.now() - budget.startedAt) / 1000 : 0);
    if (budget?.plannedSteps) totalSteps = budget.plannedSteps;
    else if (budget) totalSteps = Math.max(totalSteps, step + BUDGET_WARMUP_STEPS + 1);
    post({ type: 'started', backend: engine.backend, device: engine.device, totalSteps, images: cache.rows.length, step });

    const checkpoint = async () => {
      const at = new Date().toISOString();
      const collected = await collectState(model!, optimizer!);
      const state = {
        runId: req.runId,
        step,
        epoch,
        stepInEpoch,
        config,
        rng: { model: model!.rng.state(), augment: augmenter.rngState() },
        dictionary: collected.dictionary,
        knnAccuracy: knnAcc,
        at,
        ...(budget ? { budget: { plannedSteps: budget.plannedSteps, spentSeconds: spentSeconds() } } : {}),
      };
      const sizeBytes = writeCheckpoint(req.runDir, state, collected.tensors);
      post({ type: 'checkpoint', info: { runId: req.runId, step, epoch, at, sizeBytes } });
    };

    let metricEvery = Math.max(1, Math.ceil(totalSteps / MAX_METRIC_POINTS));
    let pending: MetricPoint[] = [];
    const flushMetrics = () => {
      if (pending.length) post({ type: 'metrics', points: pending });
      pending = [];
    };
    let lastReport = 0;
    let lastCheckpoint = Date.now();
    let ips: number | null = null;
    progress = {
      ...progress,
      phase: 'training',
      totalSteps,
      step,
      epoch,
      knnAccuracy: knnAcc,
      queueFill: model.dictionary.fill,
      message: null,
    };
    post({ type: 'progress', progress });

    /** Budget: fixes the step count once the warm-up steps are timed (the first one left out). */
    const fitBudget = () => {
      if (!budget || budget.plannedSteps !== null) return;
      const timed = budget.stepTimes.slice(1);
      const warmupDone =
        timed.length >= BUDGET_WARMUP_STEPS || (timed.length >= 1 && spentSeconds() >= BUDGET_WARMUP_SHARE * budgetSeconds!);
      if (!warmupDone) return;
      const secondsPerStep = timed.reduce((a, b) => a + b, 0) / timed.length;
      // The end needs the final kNN monitor (an eval forward per labelled image, ~1/4 of a
      // training image's cost) and a checkpoint.
      const knnImages = labels ? labels.rows.length : 0;
      const reserveSeconds = 2 + (knnImages * secondsPerStep) / (4 * config.batchSize);
      budget.plannedSteps = fitStepsToBudget({
        budgetSeconds: budgetSeconds!,
        elapsedSeconds: spentSeconds(),
        stepsDone: step,
        secondsPerStep,
        reserveSeconds,
      });
      totalSteps = budget.plannedSteps;
      metricEvery = Math.max(1, Math.ceil(totalSteps / MAX_METRIC_POINTS));
      post({ type: 'started', backend: engine.backend, device: engine.device, totalSteps, images: cache!.rows.length, step });
    };
    const budgetOver = () =>
      budget !== null && ((budget.plannedSteps !== null && step >= budget.plannedSteps) || spentSeconds() >= budgetSeconds!);
    const lrNow = () => (budget ? learningRateAt(config, step / totalSteps) : learningRate(config, epoch));

    training: while (budget ? !budgetOver() : epoch < config.epochs) {
      let lr = lrNow();
      optimizer.setLearningRate(lr);
      let t0 = Date.now();
      for await (const batch of loader.epoch(epoch, stepInEpoch)) {
        if (budget) {
          lr = lrNow();
          optimizer.setLearningRate(lr);
        }
        const stepStart = Date.now();
        const { q, k } = augmenter.twoViews(batch);
        let r;
        try {
          r = await model.trainStep(q, k, optimizer, samplesOf(batch.rows));
          if (engine.backend === 'webgpu') throwIfGpuFailed(`training step ${step + 1}`);
        } finally {
          tf.dispose([q, k]);
        }
        step++;
        stepInEpoch = batch.step + 1;
        const now = Date.now();
        if (budget) {
          budget.stepTimes.push((now - stepStart) / 1000);
          fitBudget();
        }
        const rate = (batch.n * 1000) / Math.max(1, now - t0);
        t0 = now;
        ips = ips === null ? rate : 0.9 * ips + 0.1 * rate;
        if (!Number.isFinite(r.loss))
          throw new Error(`training: expected a finite loss, got ${r.loss} at step ${step} (lower the learning rate)`);
        if (step % metricEvery === 0 || step === totalSteps) {
          pending.push({ step, epoch, loss: r.loss, lr, accuracy: r.accuracy, imagesPerSec: ips, knnAccuracy: null });
        }
        progress = {
          ...progress,
          epoch,
          step,
          totalSteps,
          loss: r.loss,
          lr,
          accuracy: r.accuracy,
          imagesPerSec: ips,
          etaSeconds: ips > 0 ? ((totalSteps - step) * config.batchSize) / ips : null,
          queueFill: r.fill,
        };
        if (now - lastReport >= PROGRESS_MS) {
          lastReport = now;
          flushMetrics();
          post({ type: 'progress', progress });
        }
        const asked = control.requested();
        if (asked) {
          flushMetrics();
          if (asked === 'cancel') return end('cancelled');
          if (stepInEpoch === stepsPerEpoch) [epoch, stepInEpoch] = [epoch + 1, 0];
          await checkpoint();
          return end('paused');
        }
        if (budgetOver()) {
          if (stepInEpoch === stepsPerEpoch) [epoch, stepInEpoch] = [epoch + 1, 0];
          break training; // the end: final monitor and checkpoint below
        }
        if (now - lastCheckpoint >= config.checkpointMinutes * 60_000) {
          if (stepInEpoch === stepsPerEpoch) break; // written below, at the epoch boundary
          await checkpoint();
          lastCheckpoint = Date.now();
        }
      }
      epoch++;
      stepInEpoch = 0;
      // A budgeted run checks its kNN monitor at the end only (its epochs are not planned).
      if (labels && !budget && (epoch % config.knnEvery === 0 || epoch === config.epochs)) {
        progress = { ...progress, message: 'kNN monitor' };
        post({ type: 'progress', progress });
        knnAcc = await knnMonitor(model.encoderQ, cache, labels, config.inputSize);
        // Stored with the epoch's last step: it replaces that step's point, adding the accuracy.
        if (progress.loss !== null) {
          pending.push({
            step,
            epoch: epoch - 1,
            loss: progress.loss,
            lr,
            accuracy: progress.accuracy ?? 0,
            imagesPerSec: ips ?? 0,
            knnAccuracy: knnAcc,
          });
        }
        progress = { ...progress, knnAccuracy: knnAcc, message: null };
        flushMetrics();
        post({ type: 'progress', progress });
      }
      if (Date.now() - lastCheckpoint >= config.checkpointMinutes * 60_000 && epoch < config.epochs) {
        await checkpoint();
        lastCheckpoint = Date.now();
      }
    }
    if (budget && labels) {
      progress = { ...progress, message: 'kNN monitor' };
      post({ type: 'progress', progress });
      knnAcc = await knnMonitor(model.encoderQ, cache, labels, config.inputSize);
      if (progress.loss !== null) {
        pending.push({
          step,
          epoch: Math.max(0, stepInEpoch === 0 ? epoch - 1 : epoch),
          loss: progress.loss,
          lr: progress.lr ?? 0,
          accuracy: progress.accuracy ?? 0,
          imagesPerSec: ips ?? 0,
          knnAccuracy: knnAcc,
        });
      }
      progress = { ...progress, knnAccuracy: knnAcc, message: null };
    }
    flushMetrics();
    await checkpoint();
    // A budget that ran out before the fitted step count (a slower machine than measured) ends the run where it is.
    if (budget && totalSteps !== step)
      post({ type: 'started', backend: engine.backend, device: engine.device, totalSteps: step, images: cache.rows.length, step });
    progress = budget ? { ...progress, totalSteps: step, etaSeconds: null } : { ...progress, epoch: config.epochs - 1 };
    return end('done');
  } catch (err) {
    failed = true;
    return end('failed', describeFailure(err, config.batchSize, config.inputSize));
  } finally {
    // After a failure (a wasm abort) disposing fails too: that echo must not replace the report.
    closeAll(
      failed,
      () => model?.dispose(),
      () => optimizer?.dispose(),
      () => cache?.close(),
    );
  }
}

/**
 * Training-set index of each cache row that holds an image: the memory bank keeps one entry per
 * image read, so rows of skipped images take no entry. rows -> indices 0..rows.length-1.
 */
function sampleIndices(cache: TrainCache): (rows: Int32Array) => Int32Array {
  const indexOf = new Int32Array(cache.count).fill(-1);
  cache.rows.forEach((row, i) => (indexOf[row] = i));
  return (rows) => rows.map((row) => indexOf[row]);
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

// The epochs of a run: each step trains on one batch and reports; after each step the host may
// pause or cancel, the time budget may end the run, and a checkpoint may fall due; each
// epoch's end runs the kNN monitor when due; the run's end runs the last monitor of a budgeted
// run and writes the final checkpoint.
import * as tf from '@tensorflow/tfjs';
import { throwIfGpuFailed } from '../../engine/webgpu';
import type { Batch } from '../data/batch-loader';
import type { MocoStepResult } from '../moco';
import { knnMonitor, type KnnLabels } from './knn';
import { learningRate, learningRateAt } from './schedule';
import { announce, saveCheckpoint, type TrainSession } from './train-session';

export interface TrainerControl {
  /** what the host asked for since the last step, if anything */
  requested(): 'pause' | 'cancel' | null;
}

type EpochEnd = 'epoch' | 'budget' | 'paused' | 'cancelled';

/** Trains until the epochs or the budget are done (null), or the host paused or cancelled. */
export async function trainEpochs(s: TrainSession, control: TrainerControl): Promise<'paused' | 'cancelled' | null> {
  while (s.budget ? !s.budget.over(s.at.step) : s.at.epoch < s.config.epochs) {
    const ended = await trainEpoch(s, control);
    if (ended === 'paused' || ended === 'cancelled') return ended;
    if (ended === 'budget') return null; // the end: final monitor and checkpoint in finishRun
    await endOfEpoch(s);
  }
  return null;
}

/** The rest of the current epoch, from the position's step within it. */
async function trainEpoch(s: TrainSession, control: TrainerControl): Promise<EpochEnd> {
  const { at } = s;
  setLearningRate(s);
  const clock = { last: Date.now() };
  for await (const batch of s.loader.epoch(at.epoch, at.stepInEpoch)) {
    const now = await trainStep(s, batch, clock);
    const asked = control.requested();
    if (asked) {
      s.reporter.flush();
      if (asked === 'cancel') return 'cancelled';
      rollEpoch(s);
      await saveCheckpoint(s);
      return 'paused';
    }
    if (s.budget !== null && s.budget.over(at.step)) {
      rollEpoch(s);
      return 'budget';
    }
    const due = s.checkpoints.afterStep(now, at.stepInEpoch === s.loader.stepsPerEpoch);
    if (due === 'at-epoch-end') break; // written in endOfEpoch
    if (due === 'write') {
      await saveCheckpoint(s);
      s.checkpoints.written();
    }
  }
  return 'epoch';
}

/** One MoCo step: the two views, the update, the position, the metric point and the progress. Returns when it ended. */
async function trainStep(s: TrainSession, batch: Batch, clock: { last: number }): Promise<number> {
  const { at, config } = s;
  if (s.budget) setLearningRate(s);
  const stepStart = Date.now();
  const { q, k } = s.augmenter.twoViews(batch);
  let r: MocoStepResult;
  try {
    r = await s.model.trainStep(q, k, s.optimizer, s.samplesOf(batch.rows));
    if (s.engine.backend === 'webgpu') throwIfGpuFailed(`training step ${at.step + 1}`);
  } finally {
    tf.dispose([q, k]);
  }
  at.step++;
  at.stepInEpoch = batch.step + 1;
  const now = Date.now();
  if (s.budget) {
    // The end needs the final kNN monitor (an eval forward per labelled image, ~1/4 of a
    // training image's cost) and a checkpoint.
    const knnImages = s.labels ? s.labels.rows.length : 0;
    const planned = s.budget.timeStep((now - stepStart) / 1000, at.step, (perStep) => 2 + (knnImages * perStep) / (4 * config.batchSize));
    if (planned !== null) {
      at.totalSteps = planned;
      s.reporter.planMetrics(planned);
      announce(s);
    }
  }
  const rate = (batch.n * 1000) / Math.max(1, now - clock.last);
  clock.last = now;
  const ips = (at.ips = at.ips === null ? rate : 0.9 * at.ips + 0.1 * rate);
  if (!Number.isFinite(r.loss))
    throw new Error(`training: expected a finite loss, got ${r.loss} at step ${at.step} (lower the learning rate)`);
  const { step, epoch, totalSteps, lr } = at;
  s.reporter.stepPoint({ step, epoch, loss: r.loss, lr, accuracy: r.accuracy, imagesPerSec: ips, knnAccuracy: null }, totalSteps);
  s.reporter.update({
    epoch,
    step,
    totalSteps,
    loss: r.loss,
    lr,
    accuracy: r.accuracy,
    imagesPerSec: ips,
    etaSeconds: ips > 0 ? ((totalSteps - step) * config.batchSize) / ips : null,
    queueFill: r.fill,
  });
  s.reporter.tick(now);
  return now;
}

async function endOfEpoch(s: TrainSession): Promise<void> {
  const { at, config } = s;
  at.epoch++;
  at.stepInEpoch = 0;
  // A budgeted run checks its kNN monitor at the end only (its epochs are not planned).
  if (s.labels && !s.budget && (at.epoch % config.knnEvery === 0 || at.epoch === config.epochs)) {
    // Stored with the epoch's last step: it replaces that step's point, adding the accuracy.
    await monitor(s, s.labels, at.epoch - 1, at.lr);
    s.reporter.flush();
    s.reporter.show();
  }
  if (s.checkpoints.atEpochEnd(at.epoch, config.epochs)) {
    await saveCheckpoint(s);
    s.checkpoints.written();
  }
}

/** After the last step: the budgeted run's kNN monitor, the final checkpoint, the final progress. */
export async function finishRun(s: TrainSession): Promise<void> {
  const { at, budget } = s;
  if (budget && s.labels) {
    const epoch = Math.max(0, at.stepInEpoch === 0 ? at.epoch - 1 : at.epoch);
    await monitor(s, s.labels, epoch, s.reporter.progress.lr ?? 0);
  }
  s.reporter.flush();
  await saveCheckpoint(s);
  // A budget that ran out before the fitted step count (a slower machine than measured) ends the run where it is.
  if (budget && at.totalSteps !== at.step) announce(s, at.step);
  s.reporter.update(budget ? { totalSteps: at.step, etaSeconds: null } : { epoch: s.config.epochs - 1 });
}

/** The kNN monitor, its accuracy added to the point of the last step (`epoch` is that step's). */
async function monitor(s: TrainSession, labels: KnnLabels, epoch: number, lr: number): Promise<void> {
  s.reporter.show({ message: 'kNN monitor' });
  const knnAccuracy = (s.at.knnAccuracy = await knnMonitor(s.model.encoderQ, s.cache, labels, s.config.inputSize));
  const p = s.reporter.progress;
  if (p.loss !== null) {
    s.reporter.point({ step: s.at.step, epoch, loss: p.loss, lr, accuracy: p.accuracy ?? 0, imagesPerSec: s.at.ips ?? 0, knnAccuracy });
  }
  s.reporter.update({ knnAccuracy, message: null });
}

/** A run stopped on an epoch's last step records the next epoch's start. */
function rollEpoch(s: TrainSession): void {
  if (s.at.stepInEpoch === s.loader.stepsPerEpoch) [s.at.epoch, s.at.stepInEpoch] = [s.at.epoch + 1, 0];
}

function setLearningRate(s: TrainSession): void {
  const { at, config } = s;
  at.lr = s.budget ? learningRateAt(config, at.step / at.totalSteps) : learningRate(config, at.epoch);
  s.optimizer.setLearningRate(at.lr);
}

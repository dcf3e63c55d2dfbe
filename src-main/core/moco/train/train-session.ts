// Everything a run trains with, made once before the first step: the batch loader, the MoCo
// model and its optimizer (fresh or from the newest checkpoint), the augmenter, the kNN
// monitor's labels, the time budget and the run's position; and the checkpoint it writes.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../api/contract';
import type { EngineInfo } from '../../engine/engine-info';
import { Augmenter } from '../data/augment';
import { BatchLoader } from '../data/batch-loader';
import type { TrainCache } from '../data/train-cache';
import { MocoModel } from '../moco';
import { checkDictionary } from './check-config';
import { CheckpointPolicy } from './checkpoint-policy';
import { latestCheckpoint, writeCheckpoint } from './checkpoint';
import { knnLabels, type KnnLabels } from './knn';
import { collectState, restoreState } from './model-state';
import { TrainBudget } from './train-budget';
import type { ProgressReporter } from './train-progress';
import type { TrainRequest, WorkerMessage } from './train-types';

/** Seed offset of the augmentation stream, so it differs from the model's. */
const AUGMENT_SEED_SALT = 0x5eed;

/** Where the run is, and what it last measured. */
export interface Position {
  step: number;
  epoch: number;
  stepInEpoch: number;
  /** planned steps of the run (provisional under a budget until its warm-up is timed) */
  totalSteps: number;
  knnAccuracy: number | null;
  /** the learning rate set for the current step */
  lr: number;
  /** images per second, smoothed */
  ips: number | null;
}

export interface TrainSession {
  req: TrainRequest;
  config: TrainConfig;
  engine: EngineInfo;
  cache: TrainCache;
  loader: BatchLoader;
  /** memory-bank index of each cache row of a batch */
  samplesOf: (rows: Int32Array) => Int32Array;
  model: MocoModel;
  optimizer: tf.MomentumOptimizer;
  augmenter: Augmenter;
  labels: KnnLabels | null;
  budget: TrainBudget | null;
  checkpoints: CheckpointPolicy;
  reporter: ProgressReporter;
  post: (m: WorkerMessage) => void;
  at: Position;
}

/** What the caller disposes, filled as soon as each exists so a failure midway frees it too. */
export interface Owned {
  model: MocoModel | null;
  optimizer: tf.MomentumOptimizer | null;
}

export async function prepareSession(
  req: TrainRequest,
  engine: EngineInfo,
  cache: TrainCache,
  reporter: ProgressReporter,
  post: (m: WorkerMessage) => void,
  owned: Owned,
): Promise<TrainSession> {
  const { config } = req;
  checkDictionary(config, cache.rows.length, 'training');
  const loader = new BatchLoader(cache, { batchSize: config.batchSize, seed: config.seed });
  const model = (owned.model = mocoModel(config, cache.rows.length));
  const optimizer = (owned.optimizer = tf.train.momentum(config.lr, config.sgdMomentum));
  const augmenter = new Augmenter({
    recipe: config.augmentation,
    resolution: config.inputSize,
    seed: (config.seed + AUGMENT_SEED_SALT) >>> 0,
  });
  const labelById = new Map(req.labels);
  const labels = config.knnEvery > 0 ? knnLabels(cache, (id) => labelById.get(id) ?? null) : null;

  const at: Position = {
    step: 0,
    epoch: 0,
    stepInEpoch: 0,
    totalSteps: loader.stepsPerEpoch * config.epochs,
    knnAccuracy: null,
    lr: 0,
    ips: null,
  };
  const ckpt = req.resume ? latestCheckpoint(req.runDir) : null;
  if (ckpt) {
    await restoreState(model, optimizer, ckpt.tensors, ckpt.state.dictionary);
    model.rng.setState(ckpt.state.rng.model);
    augmenter.setRngState(ckpt.state.rng.augment);
    ({ step: at.step, epoch: at.epoch, stepInEpoch: at.stepInEpoch } = ckpt.state);
    at.knnAccuracy = ckpt.state.knnAccuracy;
  }
  const budget = config.minutes ? new TrainBudget(config.minutes * 60, ckpt?.state.budget) : null;
  if (budget) at.totalSteps = budget.firstTotal(at.totalSteps, at.step);
  const samplesOf = sampleIndices(cache);
  const checkpoints = new CheckpointPolicy(config.checkpointMinutes);
  const session: TrainSession = {
    req,
    config,
    engine,
    cache,
    loader,
    samplesOf,
    model,
    optimizer,
    augmenter,
    labels,
    budget,
    checkpoints,
    reporter,
    post,
    at,
  };
  announce(session);
  reporter.planMetrics(at.totalSteps);
  reporter.show({
    phase: 'training',
    totalSteps: at.totalSteps,
    step: at.step,
    epoch: at.epoch,
    knnAccuracy: at.knnAccuracy,
    queueFill: model.dictionary.fill,
    message: null,
  });
  return session;
}

/** Tells the host the run's engine, size and planned steps (again whenever the plan changes). */
export function announce(s: TrainSession, totalSteps = s.at.totalSteps): void {
  s.post({ type: 'started', backend: s.engine.backend, device: s.engine.device, totalSteps, images: s.cache.rows.length, step: s.at.step });
}

/** Writes the run's checkpoint at its position and tells the host. */
export async function saveCheckpoint(s: TrainSession): Promise<void> {
  const { step, epoch, stepInEpoch } = s.at;
  const at = new Date().toISOString();
  const collected = await collectState(s.model, s.optimizer);
  const state = {
    runId: s.req.runId,
    step,
    epoch,
    stepInEpoch,
    config: s.config,
    rng: { model: s.model.rng.state(), augment: s.augmenter.rngState() },
    dictionary: collected.dictionary,
    knnAccuracy: s.at.knnAccuracy,
    at,
    ...(s.budget ? { budget: s.budget.saved() } : {}),
  };
  const sizeBytes = writeCheckpoint(s.req.runDir, state, collected.tensors);
  s.post({ type: 'checkpoint', info: { runId: s.req.runId, step, epoch, at, sizeBytes } });
}

/** The MoCo model a config describes; the memory bank holds one entry per training image. */
function mocoModel(config: TrainConfig, bankSize: number): MocoModel {
  return new MocoModel({
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
    bankSize,
    seed: config.seed,
  });
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

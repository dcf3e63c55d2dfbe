// The linear classification protocol of MoCo (main_lincls.py) on cached features: a linear
// layer d -> C with bias on frozen pooled backbone features, cross-entropy, SGD with momentum
// 0.9, lr 30, no weight decay, lr x0.1 at 60% and 80% of the epochs (the official 100-epoch
// schedule drops at 60 and 80), mini-batches of 256 reshuffled every epoch (the last one may be
// smaller, as torch's DataLoader does), weights ~ N(0, 0.01²) and zero bias. Unlike the
// official protocol the features are fixed: cached centre crops, no random-crop augmentation.
//
// lr 30 and feature scale. The curvature of softmax regression is about lambda_max(E[x xᵀ])
// times the softmax's own factor (at most 1/2; about 1/C while predictions are near uniform),
// and SGD with momentum 0.9 is stable for lr below about 3.8 / curvature. For non-negative
// pooled ReLU features lambda_max(E[x xᵀ]) is dominated by ||E x||², the squared norm of the
// mean feature; so lr 30 presumes small features, and many classes (ImageNet's 1000) help.
// The MoCo paper reads its optimum of lr 30 as a sign that unsupervised features differ in
// magnitude from supervised ones. Our encoders' features are far larger. Measured on the demo
// library (6 classes, 240 train / 60 test images, ResNet-18 small stem width 1/2, 32 px, so
// accuracies are +-6%): random init, ||E x||² ≈ 620: lr 30 diverges (loss 1.8 -> 31,000 at
// epoch 60, 41% train accuracy, 32% test); after 15 MoCo v2 epochs, ||E x||² ≈ 345: lr 30 ends
// at loss 126 with 55% test (the step decay rescues the accuracy, not the loss), lr 0.1 at
// loss 0.6 with 57%. `standardize` fixes the scale: per-column z-scores fit on the train split,
// divided by sqrt(d), so the mean is 0 and E||x||² = 1 whatever the encoder; with it lr 30
// converges there (random init: loss 0.06, 45% test; MoCo: loss 0.10, 47% test, 99.6% train:
// it fits the small train split fully). With few classes that overlap, lr 30 can still swing
// on standardised features (3 overlapping Gaussian clusters in d 16: loss 2.4, above ln 3,
// after 10 epochs); a lower lr is the remedy there. The default stays the official one
// (features as they are, lr 30); `featureScale` reports ||E x||² and E||x||² of the features
// trained on, and `diverged` flags a run whose last epoch was worse than chance, so a caller
// can say why and offer `standardize` or a lower lr.
//
// The math runs on the active TF.js backend (the caller picks it with initEngine): batches are
// uploaded one at a time, so the feature matrices stay in JS memory and never all on the device.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';
import { Rng } from '../moco/rng';
import { applyStandardization, checkProbeData, fitStandardization, type ProbeData, type Standardization } from './dataset';
import { batchOf, sgdStep, sumStats } from './linear-sgd';
import { bestOf, evaluateRanking, rankClasses, TOP_K, type ClassifierResult } from './metrics';

export const LINEAR_PROBE_DEFAULTS = {
  epochs: 100,
  batchSize: 256,
  lr: 30,
  momentum: 0.9,
  weightDecay: 0,
  /** the lr is multiplied by 0.1 at these fractions of the epochs */
  scheduleFractions: [0.6, 0.8],
  /** std of the initial weights */
  initStd: 0.01,
} as const;

/** Test rows whose logits are computed at once. */
const EVAL_BLOCK = 4096;

export interface LinearProbeOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** 0-based epochs from which the lr drops x0.1 each (default: round(0.6 and 0.8 x epochs)) */
  schedule?: number[];
  /** z-score columns on the train split and divide by sqrt(d) (default false: features as they are) */
  standardize?: boolean;
  /** seeds the initial weights and the shuffles (default 0) */
  seed?: number;
  /** checked before every epoch and before the evaluation */
  signal?: AbortSignal;
  onEpoch?: (p: ProbeEpoch) => void;
}

export interface ProbeEpoch {
  /** epochs done, 1-based */
  epoch: number;
  epochs: number;
  lr: number;
  /** mean cross-entropy over the epoch's train batches (before each batch's update) */
  loss: number;
  /** fraction of train samples classified right by the weights their batch saw */
  trainAccuracy: number;
}

export interface FeatureScale {
  /** ||E x||², the squared norm of the mean train feature */
  meanSqNorm: number;
  /** E ||x||², the mean squared norm of the train features */
  sqNorm: number;
}

export interface LinearProbeResult extends ClassifierResult {
  history: ProbeEpoch[];
  /** d x C weights (row-major) and C biases of the trained layer */
  weights: Float32Array;
  bias: Float32Array;
  /** the statistics applied to both splits, when standardize was on */
  standardization: Standardization | null;
  featureScale: FeatureScale;
  /** the last epoch's loss is above ln C, worse than predicting every class equally: lr too large for these features */
  diverged: boolean;
}

export async function trainLinearProbe(data: ProbeData, opts: LinearProbeOptions = {}): Promise<LinearProbeResult> {
  const where = 'trainLinearProbe';
  const { nTrain, nTest } = checkProbeData(where, data);
  const { d, numClasses: C } = data;
  const o = resolveOptions(where, opts);
  const standardization = o.standardize ? fitStandardization(data.trainX, nTrain, d) : null;
  const scale = 1 / Math.sqrt(d);
  const trainX = standardization ? applyStandardization(data.trainX, d, standardization, scale) : data.trainX;
  const testX = standardization ? applyStandardization(data.testX, d, standardization, scale) : data.testX;

  const rng = new Rng(o.seed);
  const W = variableOf(rng.normal(d * C, 0, LINEAR_PROBE_DEFAULTS.initStd), [d, C]); // dxC
  const b = variableOf(new Float32Array(C), [C]); // C
  const vW = variableOf(new Float32Array(d * C), [d, C]); // dxC momentum buffer
  const vb = variableOf(new Float32Array(C), [C]); // C
  const history: ProbeEpoch[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      o.signal?.throwIfAborted();
      const lr = o.lr * 0.1 ** o.schedule.filter((m) => epoch >= m).length;
      const order = rng.permutation(nTrain);
      const stats: tf.Tensor1D[] = [];
      try {
        for (let s = 0; s < nTrain; s += o.batchSize) {
          const rows = order.subarray(s, Math.min(nTrain, s + o.batchSize));
          stats.push(sgdStep(W, b, vW, vb, batchOf(trainX, data.trainY, d, C, rows), lr, o.momentum, o.weightDecay));
        }
        const [lossSum, correct] = await sumStats(stats);
        const p: ProbeEpoch = { epoch: epoch + 1, epochs: o.epochs, lr, loss: lossSum / nTrain, trainAccuracy: correct / nTrain };
        if (!Number.isFinite(p.loss)) {
          throw new InvalidInputError(
            `${where}: expected a finite loss, got ${p.loss} in epoch ${p.epoch} (lr ${lr}); standardize the features or lower the lr`,
          );
        }
        history.push(p);
        o.onEpoch?.(p);
      } finally {
        tf.dispose(stats);
      }
      await yieldToEvents(); // lets a worker receive a cancel between epochs
    }
    o.signal?.throwIfAborted();
    const k = Math.min(TOP_K, C);
    const ranked = new Int32Array(nTest * k);
    const confidence = new Float32Array(nTest);
    for (let s = 0; s < nTest; s += EVAL_BLOCK) {
      const m = Math.min(EVAL_BLOCK, nTest - s);
      const logits = tf.tidy(() =>
        tf
          .tensor2d(testX.subarray(s * d, (s + m) * d), [m, d])
          .matMul(W)
          .add(b),
      ); // mxC
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const r = rankClasses(values, m, C, k);
      ranked.set(r, s * k);
      for (let i = 0; i < m; i++) confidence[s + i] = softmaxAt(values, i * C, C, r[i * k]);
    }
    const metrics = evaluateRanking(data.testY, ranked, k, C);
    const predicted = bestOf(ranked, nTest, k);
    return {
      metrics,
      ranked,
      predicted,
      confidence,
      history,
      weights: (await W.data()) as Float32Array,
      bias: (await b.data()) as Float32Array,
      standardization,
      featureScale: featureScale(trainX, nTrain, d),
      diverged: history[history.length - 1].loss > Math.log(C),
    };
  } finally {
    tf.dispose([W, b, vW, vb]);
  }
}

/** softmax(row)[c] of the C logits at values[o..o+C). */
function softmaxAt(values: Float32Array, o: number, C: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < C; j++) max = Math.max(max, values[o + j]);
  let sum = 0;
  for (let j = 0; j < C; j++) sum += Math.exp(values[o + j] - max);
  return Math.exp(values[o + c] - max) / sum;
}

/** ||E x||² and E ||x||² of an n x d matrix. */
export function featureScale(x: Float32Array, n: number, d: number): FeatureScale {
  const mean = new Float64Array(d);
  let sqNorm = 0;
  for (let o = 0; o < n * d; o += d) {
    for (let j = 0; j < d; j++) {
      mean[j] += x[o + j];
      sqNorm += x[o + j] * x[o + j];
    }
  }
  let meanSqNorm = 0;
  for (let j = 0; j < d; j++) meanSqNorm += (mean[j] / n) ** 2;
  return { meanSqNorm, sqNorm: sqNorm / n };
}

function resolveOptions(where: string, opts: LinearProbeOptions) {
  const D = LINEAR_PROBE_DEFAULTS;
  const epochs = opts.epochs ?? D.epochs;
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new InvalidInputError(`${where}: expected ${name} to be an integer >= 1, got ${v}`);
  };
  const nonNegative = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new InvalidInputError(`${where}: expected ${name} to be a finite number >= 0, got ${v}`);
  };
  positiveInt('epochs', epochs);
  const batchSize = opts.batchSize ?? D.batchSize;
  positiveInt('batchSize', batchSize);
  const lr = opts.lr ?? D.lr;
  if (!(Number.isFinite(lr) && lr > 0)) throw new InvalidInputError(`${where}: expected lr to be a finite number > 0, got ${lr}`);
  const momentum = opts.momentum ?? D.momentum;
  if (!(momentum >= 0 && momentum < 1)) throw new InvalidInputError(`${where}: expected momentum in [0, 1), got ${momentum}`);
  const weightDecay = opts.weightDecay ?? D.weightDecay;
  nonNegative('weightDecay', weightDecay);
  const schedule = opts.schedule ?? D.scheduleFractions.map((f) => Math.round(f * epochs));
  for (const m of schedule) nonNegative('each schedule epoch', m);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`${where}: expected an integer seed, got ${seed}`);
  return {
    epochs,
    batchSize,
    lr,
    momentum,
    weightDecay,
    schedule,
    seed,
    standardize: opts.standardize ?? false,
    signal: opts.signal,
    onEpoch: opts.onEpoch,
  };
}

/** A variable holding a copy of `values` (the initial tensor is freed). */
function variableOf(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32')));
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

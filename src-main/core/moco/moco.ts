// MoCo v1 (He et al. 2019) on one device: a query encoder trained by SGD, a key encoder that
// follows it by momentum, a queue of K keys, InfoNCE, and shuffling BN as split BN.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';
import { checkBnGroups } from './batchnorm';
import { infoNce } from './infonce';
import { copyParams, momentumUpdate } from './momentum';
import { checkQueueFits, KeyQueue } from './queue';
import { DEFAULT_RESNET_OPTIONS, ResNet, type ResNetOptions } from './resnet';
import { Rng } from './rng';
import { batchShuffle, gatherRows } from './shuffle';

export interface MocoOptions extends ResNetOptions {
  /** Queue size (number of negative keys). */
  K: number;
  /** Momentum of the key encoder. */
  m: number;
  /** Softmax temperature. */
  T: number;
  /** L2 penalty added to every gradient, as torch SGD's weight_decay. */
  weightDecay: number;
  /** Split-BN groups per training batch; 'auto' picks groups of about 32 (see defaultBnGroups). */
  bnGroups: number | 'auto';
  /** Permute keys across BN groups before the key encoder (shuffling BN). */
  shuffleBN: boolean;
  /** Seeds initialisation, the queue start and the key shuffles. */
  seed: number;
}

/** The paper's v1 settings. */
export const DEFAULT_MOCO_OPTIONS: Omit<MocoOptions, 'arch'> = {
  ...DEFAULT_RESNET_OPTIONS,
  K: 65536,
  m: 0.999,
  T: 0.07,
  weightDecay: 1e-4,
  bnGroups: 'auto',
  shuffleBN: true,
  seed: 0,
};

export const SGD_MOMENTUM = 0.9;

/** The paper's learning-rate rule: 0.03 for a batch of 256, scaled linearly. */
export function baseLearningRate(batch: number): number {
  return (0.03 * batch) / 256;
}

/** SGD with momentum 0.9 (weight decay is added by trainStep, as torch's SGD does). */
export function mocoOptimizer(learningRate: number): tf.MomentumOptimizer {
  if (!(learningRate > 0)) throw new InvalidInputError(`mocoOptimizer: expected a learning rate > 0, got ${learningRate}`);
  return tf.train.momentum(learningRate, SGD_MOMENTUM);
}

/**
 * BN groups for a batch: the official code normalises 32 images per GPU (256 over 8 GPUs), so
 * aim at groups of 32, keep at least 2 groups when the batch allows (else shuffling is moot) and
 * at least 2 images per group.
 */
export function defaultBnGroups(batch: number): number {
  let best = 1;
  let bestScore = Infinity;
  for (let g = 1; g <= batch; g++) {
    if (batch % g !== 0 || batch / g < 2) continue;
    if (batch >= 4 && g < 2) continue;
    const score = Math.abs(Math.log2(batch / g / 32));
    if (score < bestScore) {
      best = g;
      bestScore = score;
    }
  }
  return best;
}

export interface MocoStepResult {
  loss: number;
  /** Pretext accuracy: how often the positive key scored highest. */
  accuracy: number;
  /** Slots of the queue holding real keys after this step. */
  queueFilled: number;
}

export class MocoModel {
  readonly options: MocoOptions;
  readonly encoderQ: ResNet;
  readonly encoderK: ResNet;
  readonly queue: KeyQueue;
  readonly rng: Rng;

  constructor(options: Partial<MocoOptions> & Pick<MocoOptions, 'arch'>) {
    this.options = { ...DEFAULT_MOCO_OPTIONS, ...options };
    const { K, m, T, weightDecay, bnGroups } = this.options;
    if (!Number.isInteger(K) || K < 1) throw new InvalidInputError(`MoCo: expected a positive integer K, got ${K}`);
    if (!(m >= 0 && m <= 1)) throw new InvalidInputError(`MoCo: expected m in [0, 1], got ${m}`);
    if (!(T > 0)) throw new InvalidInputError(`MoCo: expected T > 0, got ${T}`);
    if (!(weightDecay >= 0)) throw new InvalidInputError(`MoCo: expected weightDecay >= 0, got ${weightDecay}`);
    if (bnGroups !== 'auto' && !(Number.isInteger(bnGroups) && bnGroups >= 1)) {
      throw new InvalidInputError(`MoCo: expected bnGroups 'auto' or a positive integer, got ${String(bnGroups)}`);
    }
    this.rng = new Rng(this.options.seed);
    this.encoderQ = new ResNet(this.options, this.rng);
    // The key encoder starts as an exact copy and is never trained by gradients.
    this.encoderK = new ResNet(this.options, null);
    copyParams(this.encoderK.params, this.encoderQ.params);
    this.queue = new KeyQueue(K, this.options.outDim, this.rng);
  }

  /** Split-BN groups used for a training batch of this size. */
  bnGroupsFor(batch: number): number {
    const g = this.options.bnGroups === 'auto' ? defaultBnGroups(batch) : this.options.bnGroups;
    checkBnGroups(batch, g, 'MoCo');
    return g;
  }

  /**
   * One MoCo step on two augmented views (NxHxWx3 each) of the same N images: momentum update
   * of the key encoder, keys without gradient, InfoNCE against the queue, an SGD step of the
   * query encoder (with weight decay), then the keys enter the queue.
   */
  trainStep(imQ: tf.Tensor4D, imK: tf.Tensor4D, optimizer: tf.Optimizer): MocoStepResult {
    if (imQ.rank !== 4 || imQ.shape.join('x') !== imK.shape.join('x')) {
      throw new InvalidInputError(`MoCo.trainStep: expected two NxHxWx3 views of one shape, got [${imQ.shape}] and [${imK.shape}]`);
    }
    const n = imQ.shape[0];
    checkQueueFits(this.options.K, n);
    const bnGroups = this.bnGroupsFor(n);
    const { m, T, weightDecay, shuffleBN } = this.options;

    momentumUpdate(this.encoderK.params, this.encoderQ.params, m);
    const k = this.keys(imK, bnGroups, shuffleBN); // NxC, outside the gradient tape
    const kept: { accuracy?: tf.Scalar } = {};
    try {
      const vars = this.encoderQ.trainableVariables();
      const { value, grads } = tf.variableGrads(() => {
        const q = this.encoderQ.forward(imQ, { training: true, bnGroups }).embedding; // NxC
        const r = infoNce(q, k, this.queue.keys, T);
        kept.accuracy = tf.keep(r.accuracy);
        return r.loss;
      }, vars);
      tf.tidy(() => {
        // Ordered like `vars` every step: the optimizer keys its momentum slots by position.
        const decayed: tf.NamedTensorMap = {};
        for (const v of vars) decayed[v.name] = weightDecay > 0 ? tf.add(grads[v.name], tf.mul(v, weightDecay)) : grads[v.name];
        optimizer.applyGradients(decayed);
      });
      tf.dispose(grads);
      this.queue.enqueue(k);
      const loss = value.dataSync()[0];
      value.dispose();
      return { loss, accuracy: kept.accuracy!.dataSync()[0], queueFilled: this.queue.filled };
    } finally {
      k.dispose();
      kept.accuracy?.dispose();
    }
  }

  /** Keys of a batch: shuffled across BN groups, key encoder, unshuffled, L2-normalised. NxC. */
  keys(imK: tf.Tensor4D, bnGroups: number, shuffle: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      if (!shuffle) return this.encoderK.forward(imK, { training: true, bnGroups }).embedding;
      const { perm, inverse } = batchShuffle(imK.shape[0], this.rng);
      const k = this.encoderK.forward(gatherRows(imK, perm), { training: true, bnGroups }).embedding;
      return gatherRows(k, inverse);
    });
  }

  dispose(): void {
    this.encoderQ.dispose();
    this.encoderK.dispose();
    this.queue.dispose();
  }
}

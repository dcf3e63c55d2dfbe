// MoCo v1 (He et al. 2019) on one device: a query encoder trained by SGD, InfoNCE, shuffling BN
// as split BN, and one of the paper's three dictionary mechanisms (dictionary/): MoCo's queue
// with a momentum key encoder, end-to-end keys of the batch, or a memory bank; optionally the
// symmetric loss of MoCo v2/v3 (both views as query).
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../api/errors';
import { BANK_NOT_SYMMETRIC, SGD_MOMENTUM } from '../../api/training-config';
import { closeAll } from '../cleanup';
import { checkBnGroups } from './batchnorm';
import type { Dictionary, SgdStep, StepValues } from './dictionary/dictionary';
import { EndToEnd } from './dictionary/end-to-end';
import { MemoryBank } from './dictionary/memory-bank';
import { MomentumQueue } from './dictionary/momentum-queue';
import type { LossTerms } from './infonce';
import { DEFAULT_RESNET_OPTIONS, ResNet, type ResNetOptions } from './resnet';
import { Rng } from './rng';

export interface MocoOptions extends ResNetOptions {
  /** 'queue' (MoCo), 'end-to-end' (keys of the batch) or 'memory-bank' (Wu et al.). */
  dictionary: Dictionary;
  /** Number of negative keys: the queue size, or the entries a memory bank draws per step; unused end-to-end. */
  K: number;
  /** Momentum of the key encoder (queue), of the stored features (memory bank); unused end-to-end. */
  m: number;
  /** Softmax temperature. */
  T: number;
  /** L2 penalty added to every gradient, as torch SGD's weight_decay. */
  weightDecay: number;
  /** Split-BN groups per training batch; 'auto' picks groups of about 32 (see defaultBnGroups). */
  bnGroups: number | 'auto';
  /** Permute the key view across BN groups before it is encoded (shuffling BN; queue and end-to-end). */
  shuffleBN: boolean;
  /** Both views as query and as key: L(q1, k2) + L(q2, k1) (queue and end-to-end). */
  symmetric: boolean;
  /** Memory bank: the number of training samples (one entry each). */
  bankSize: number;
  /** Seeds initialisation, the queue or bank start, the key shuffles and the bank's draws. */
  seed: number;
}

/** The paper's v1 settings. */
export const DEFAULT_MOCO_OPTIONS: Omit<MocoOptions, 'arch'> = {
  ...DEFAULT_RESNET_OPTIONS,
  dictionary: 'queue',
  K: 65536,
  m: 0.999,
  T: 0.07,
  weightDecay: 1e-4,
  bnGroups: 'auto',
  shuffleBN: true,
  symmetric: false,
  bankSize: 0,
  seed: 0,
};

/** SGD with momentum 0.9 (weight decay is added by trainStep, as torch's SGD does). */
export function mocoOptimizer(learningRate: number): tf.MomentumOptimizer {
  if (!(learningRate > 0)) throw new InvariantError(`mocoOptimizer: expected a learning rate > 0, got ${learningRate}`);
  return tf.train.momentum(learningRate, SGD_MOMENTUM);
}

/**
 * BN groups for a batch: the official code normalises 32 images per GPU (256 over 8 GPUs), so
 * aim at groups of 32, keep at least 2 groups when the batch allows (else shuffling is moot) and
 * at least 2 images per group.
 */
export function defaultBnGroups(batchSize: number): number {
  let best = 1;
  let bestScore = Infinity;
  for (let g = 1; g <= batchSize; g++) {
    if (batchSize % g !== 0 || batchSize / g < 2) continue;
    if (batchSize >= 4 && g < 2) continue;
    const score = Math.abs(Math.log2(batchSize / g / 32));
    if (score < bestScore) {
      best = g;
      bestScore = score;
    }
  }
  return best;
}

export interface MocoStepResult {
  loss: number;
  /** Pretext accuracy: how often the positive key scored highest (mean of both directions when symmetric). */
  accuracy: number;
  /** How full the dictionary is after this step, 0..1: queue slots holding real keys, bank entries seen, 1 end-to-end. */
  fill: number;
}

export class MocoModel {
  readonly options: MocoOptions;
  readonly encoderQ: ResNet;
  readonly rng: Rng;
  readonly dictionary: MomentumQueue | EndToEnd | MemoryBank;

  constructor(options: Partial<MocoOptions> & Pick<MocoOptions, 'arch'>) {
    this.options = { ...DEFAULT_MOCO_OPTIONS, ...options };
    // K is the dictionary's own (the queue and the bank check it; end-to-end has none).
    const { m, T, weightDecay, bnGroups, dictionary, symmetric } = this.options;
    if (!(m >= 0 && m <= 1)) throw new InvariantError(`MoCo: expected m in [0, 1], got ${m}`);
    if (!(T > 0)) throw new InvariantError(`MoCo: expected T > 0, got ${T}`);
    if (!(weightDecay >= 0)) throw new InvariantError(`MoCo: expected weightDecay >= 0, got ${weightDecay}`);
    if (bnGroups !== 'auto' && !(Number.isInteger(bnGroups) && bnGroups >= 1)) {
      throw new InvariantError(`MoCo: expected bnGroups 'auto' or a positive integer, got ${String(bnGroups)}`);
    }
    if (dictionary === 'memory-bank' && symmetric) {
      throw new InvariantError(`MoCo: ${BANK_NOT_SYMMETRIC}`);
    }
    this.rng = new Rng(this.options.seed);
    this.encoderQ = new ResNet(this.options, this.rng);
    try {
      this.dictionary = createDictionary(this.options, this.encoderQ, this.rng);
    } catch (err) {
      this.encoderQ.dispose();
      throw err;
    }
  }

  /** Split-BN groups used for a training batch of this size. */
  bnGroupsFor(batchSize: number): number {
    const g = this.options.bnGroups === 'auto' ? defaultBnGroups(batchSize) : this.options.bnGroups;
    checkBnGroups(batchSize, g, 'MoCo');
    return g;
  }

  /**
   * One step on two augmented views (NxHxWx3 each) of the same N samples; `samples` are their
   * training-set indices (the memory bank needs them). The dictionary forms the loss, the query
   * encoder takes an SGD step (with weight decay), then the dictionary updates itself.
   */
  trainStep(imQ: tf.Tensor4D, imK: tf.Tensor4D, optimizer: tf.Optimizer, samples: Int32Array | null = null): Promise<MocoStepResult> {
    if (imQ.rank !== 4 || imQ.shape.join('x') !== imK.shape.join('x')) {
      throw new InvariantError(`MoCo.trainStep: expected two NxHxWx3 views of one shape, got [${imQ.shape}] and [${imK.shape}]`);
    }
    const batchSize = imQ.shape[0];
    this.dictionary.check(batchSize, samples);
    const bnGroups = this.bnGroupsFor(batchSize);
    // Checks above throw at the call; the step itself resolves once its loss is read back.
    return this.dictionary
      .step({ imQ, imK, samples, bnGroups }, this.sgdStep(optimizer))
      .then((r) => ({ ...r, fill: this.dictionary.fill }));
  }

  /** Disposes both parts even when the first fails (after a wasm abort); throws the first error. */
  dispose(): void {
    closeAll(
      false,
      () => this.encoderQ.dispose(),
      () => this.dictionary.dispose(),
    );
  }

  private sgdStep(optimizer: tf.Optimizer): SgdStep {
    return (lossFn: () => LossTerms) => {
      const { weightDecay } = this.options;
      const vars = this.encoderQ.trainableVariables();
      const kept: { accuracy?: tf.Scalar; loss?: tf.Scalar } = {};
      try {
        const { value, grads } = tf.variableGrads(() => {
          const r = lossFn();
          kept.accuracy = tf.keep(r.accuracy);
          return r.loss;
        }, vars);
        kept.loss = value;
        tf.tidy(() => {
          // Ordered like `vars` every step: the optimizer keys its momentum slots by position.
          const decayed: tf.NamedTensorMap = {};
          for (const v of vars) decayed[v.name] = weightDecay > 0 ? tf.add(grads[v.name], tf.mul(v, weightDecay)) : grads[v.name];
          optimizer.applyGradients(decayed);
        });
        tf.dispose(grads);
      } catch (err) {
        tf.dispose([kept.loss ?? [], kept.accuracy ?? []]);
        throw err;
      }
      return readScalars(kept.loss, kept.accuracy!);
    };
  }
}

/** Reads a step's loss and accuracy back (waits for the device), then frees them. */
async function readScalars(loss: tf.Scalar, accuracy: tf.Scalar): Promise<StepValues> {
  try {
    const [l, a] = await Promise.all([loss.data(), accuracy.data()]);
    return { loss: l[0], accuracy: a[0] };
  } finally {
    tf.dispose([loss, accuracy]);
  }
}

function createDictionary(o: MocoOptions, encoderQ: ResNet, rng: Rng): MomentumQueue | EndToEnd | MemoryBank {
  switch (o.dictionary) {
    case 'queue':
      return new MomentumQueue(encoderQ, { K: o.K, m: o.m, T: o.T, outDim: o.outDim, symmetric: o.symmetric, shuffleBN: o.shuffleBN }, rng);
    case 'end-to-end':
      return new EndToEnd(encoderQ, { T: o.T, symmetric: o.symmetric, shuffleBN: o.shuffleBN }, rng);
    case 'memory-bank':
      return new MemoryBank(encoderQ, { size: o.bankSize, K: o.K, m: o.m, T: o.T, outDim: o.outDim }, rng);
    default:
      throw new InvariantError(`MoCo: expected dictionary queue | end-to-end | memory-bank, got ${String(o.dictionary)}`);
  }
}

// BatchNorm2d as torch computes it, with split BN: in training the batch can be cut into G
// groups that each normalise with their own statistics (the one-device form of MoCo's
// shuffling BN). Running statistics follow torch: momentum 0.1, unbiased variance.
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../api/errors';
import { splitBatchNorm } from '../engine/batchnorm-kernel';
import type { ParamStore } from './params';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Registers `${name}.{weight,bias}` and the buffers `${name}.{running_mean,running_var,num_batches_tracked}`. */
export function addBatchNorm(store: ParamStore, name: string, channels: number): void {
  store.addParam(`${name}.weight`, tf.ones([channels]));
  store.addParam(`${name}.bias`, tf.zeros([channels]));
  store.addBuffer(`${name}.running_mean`, tf.zeros([channels]));
  store.addBuffer(`${name}.running_var`, tf.ones([channels]));
  store.addBuffer(`${name}.num_batches_tracked`, tf.scalar(0, 'int32'));
}

export interface BatchNormMode {
  training: boolean;
  /** Groups that normalise separately in training; 1 = ordinary BN. */
  bnGroups: number;
}

/** What follows BN in a ResNet, fused into its kernel in training: relu(bn(x) + residual). */
export interface BatchNormTail {
  /** NxHxWxC added after the normalisation (a residual block's identity path) */
  residual?: tf.Tensor4D;
  relu?: boolean;
}

/**
 * x: NxHxWxC -> relu?(BN(x) + residual?), NxHxWxC. In training, updates the running buffers of
 * `name` in place.
 */
export function batchNorm(store: ParamStore, name: string, x: tf.Tensor4D, mode: BatchNormMode, tail: BatchNormTail = {}): tf.Tensor4D {
  const gamma = store.param(`${name}.weight`);
  const beta = store.param(`${name}.bias`);
  const runningMean = store.buffer(`${name}.running_mean`);
  const runningVar = store.buffer(`${name}.running_var`);
  if (!mode.training) {
    // y = x*scale + shift with scale = γ/sqrt(var+eps), shift = β - mean*scale (two full-size ops).
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(runningVar, BN_EPS)));
    const shift = tf.sub(beta, tf.mul(runningMean, scale));
    return applyTail(tf.add(tf.mul(x, scale), shift), tail);
  }

  const [n, h, w, c] = x.shape;
  const g = mode.bnGroups;
  checkBnGroups(n, g, `batchNorm ${name}`);
  const count = (n / g) * h * w; // values per channel in one group
  if (count < 2) {
    throw new InvariantError(
      `batchNorm ${name}: expected more than 1 value per channel in each BN group, got ${count} (batch ${n}, ${g} groups, ${h}x${w})`,
    );
  }
  const { y, mean, variance } = splitBatchNorm(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, tail.residual ?? null, {
    groups: g,
    epsilon: BN_EPS,
    relu: tail.relu === true,
  }); // y NxHxWxC; mean, variance Gx1x1xC (biased)

  // Running stats: torch's update from each group, averaged over the groups.
  tf.tidy(() => {
    const batchMean = tf.reshape(tf.mean(mean, 0), [c]);
    const unbiasedVar = tf.reshape(tf.mean(variance, 0), [c]).mul(count / (count - 1));
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(batchMean, BN_MOMENTUM)));
    runningVar.assign(tf.add(tf.mul(runningVar, 1 - BN_MOMENTUM), tf.mul(unbiasedVar, BN_MOMENTUM)));
    const tracked = store.buffer(`${name}.num_batches_tracked`);
    tracked.assign(tf.add(tracked, tf.scalar(1, 'int32')));
  });
  tf.dispose([mean, variance]);
  return y;
}

function applyTail(y: tf.Tensor4D, tail: BatchNormTail): tf.Tensor4D {
  const sum: tf.Tensor4D = tail.residual ? tf.add(y, tail.residual) : y;
  return tail.relu ? tf.relu(sum) : sum;
}

/** The batch must split into equal BN groups. */
export function checkBnGroups(batch: number, groups: number, where: string): void {
  if (!Number.isInteger(groups) || groups < 1 || batch % groups !== 0) {
    throw new InvariantError(`${where}: expected BN groups dividing the batch of ${batch}, got ${groups}`);
  }
}

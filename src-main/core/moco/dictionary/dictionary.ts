// What a dictionary mechanism of the MoCo paper (Sec. 3.2, Fig. 2) is to the model: where the
// keys come from, how one step's loss is formed and what the dictionary keeps between steps.
// The model owns the query encoder and the SGD step; each mechanism writes its step with them.
import * as tf from '@tensorflow/tfjs';
import type { Dictionary } from '../../../api/train-contract';
import type { LossTerms } from '../infonce';
import type { ResNet } from '../resnet';

export type { Dictionary } from '../../../api/train-contract';

/** One step's batch: two augmented views (NxHxWx3 each) of the same N samples. */
export interface DictionaryBatch {
  imQ: tf.Tensor4D;
  imK: tf.Tensor4D;
  /** Index of each sample in the training set (0..bankSize-1); the memory bank needs them. */
  samples: Int32Array | null;
  /** Split-BN groups of every training-mode forward of this step. */
  bnGroups: number;
}

export interface StepValues {
  loss: number;
  accuracy: number;
}

/**
 * Runs `lossFn` on the gradient tape of the query encoder's parameters and applies one SGD step
 * to them (weight decay included). Tensors that `lossFn` must hand out of the tape it tf.keep()s.
 * The step is queued on the device synchronously; only reading the loss back waits for it (a GPU
 * backend has no synchronous reads in Node).
 */
export type SgdStep = (lossFn: () => LossTerms) => Promise<StepValues>;

/** A named array of a training state, as checkpoints store it. */
export interface TensorBlob {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Small numbers of a dictionary's state that are not arrays (the queue pointer, ...). */
export type DictionaryMeta = Record<string, number>;

export interface DictionaryState {
  meta: DictionaryMeta;
  tensors: TensorBlob[];
}

/** The saved array `name`, checked to have `shape` (throws a clear error otherwise). */
export type TakeBlob = (name: string, shape: readonly number[]) => TensorBlob;

export interface DictionaryMechanism {
  readonly kind: Dictionary;
  /** Refuses a batch this dictionary cannot take, before anything changes. */
  check(batchSize: number, samples: Int32Array | null): void;
  /** One training step: keys, the loss under `sgd`, then the dictionary's own update. */
  step(batch: DictionaryBatch, sgd: SgdStep): Promise<StepValues>;
  /** How full the dictionary is, 0..1 (progress' queueFill). */
  readonly fill: number;
  save(): Promise<DictionaryState>;
  restore(meta: DictionaryMeta, take: TakeBlob): void;
  dispose(): void;
}

/** A tensor's values as a checkpoint blob. */
export async function blobOf(name: string, t: tf.Tensor): Promise<TensorBlob> {
  if (t.dtype !== 'int32' && t.dtype !== 'float32')
    throw new Error(`checkpoint: expected float32 or int32 tensors, got ${t.dtype} for ${name}`);
  return { name, dtype: t.dtype, shape: [...t.shape], data: (await t.data()) as Float32Array | Int32Array };
}

/** An encoder's parameters and buffers as blobs named `${prefix}${torch name}`. */
export async function saveEncoder(prefix: string, encoder: ResNet): Promise<TensorBlob[]> {
  const named = [...encoder.params, ...encoder.buffers];
  return Promise.all(named.map(([name, v]) => blobOf(prefix + name, v)));
}

/** Assigns the blobs saved by saveEncoder back to the encoder's variables. */
export function restoreEncoder(prefix: string, encoder: ResNet, take: TakeBlob): void {
  for (const map of [encoder.params, encoder.buffers]) {
    for (const [name, v] of map) {
      const b = take(prefix + name, v.shape);
      const t = blobTensor(b);
      v.assign(t);
      t.dispose();
    }
  }
}

/** A blob as a tensor of its shape and dtype. */
export function blobTensor(b: TensorBlob): tf.Tensor {
  return tf.tensor(b.data, b.shape, b.dtype);
}

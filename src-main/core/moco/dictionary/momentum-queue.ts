// MoCo's own dictionary (Fig. 2c): keys from a key encoder that follows the query encoder by
// momentum, θk ← m·θk + (1−m)·θq, kept in a FIFO queue of K keys; the positive is the key of
// the other view, the negatives are the queue. With the symmetric loss both views are query
// and key, L(q1, k2) + L(q2, k1) against the same queue, and the keys of both views enter it
// in the official demo's order [k1; k2], so a step enqueues 2N keys (K a multiple of 2N).
import * as tf from '@tensorflow/tfjs';
import { infoNce, sumDirections } from '../infonce';
import { copyParams, momentumUpdate } from '../momentum';
import { checkQueueFits, KeyQueue } from '../queue';
import { ResNet } from '../resnet';
import type { Rng } from '../rng';
import { shuffledEmbedding } from '../shuffle';
import {
  blobOf,
  blobTensor,
  restoreEncoder,
  saveEncoder,
  type DictionaryBatch,
  type DictionaryMechanism,
  type DictionaryMeta,
  type DictionaryState,
  type SgdStep,
  type StepValues,
  type TakeBlob,
} from './dictionary';

export interface MomentumQueueOptions {
  K: number;
  m: number;
  T: number;
  outDim: number;
  symmetric: boolean;
  shuffleBN: boolean;
}

export class MomentumQueue implements DictionaryMechanism {
  readonly kind = 'queue' as const;
  readonly encoderK: ResNet;
  readonly queue: KeyQueue;

  constructor(
    private readonly encoderQ: ResNet,
    private readonly options: MomentumQueueOptions,
    private readonly rng: Rng,
  ) {
    // The queue first: it refuses a bad K before the key encoder holds any memory.
    this.queue = new KeyQueue(options.K, options.outDim, rng);
    // The key encoder starts as an exact copy and is never trained by gradients.
    this.encoderK = new ResNet(encoderQ.options, null);
    copyParams(this.encoderK.params, encoderQ.params);
  }

  /** Keys entering the queue per step: N, or 2N with the symmetric loss. */
  check(batchSize: number): void {
    checkQueueFits(this.options.K, batchSize, this.options.symmetric ? 2 : 1);
  }

  async step({ imQ, imK, samples, bnGroups }: DictionaryBatch, sgd: SgdStep): Promise<StepValues> {
    const { m, T, symmetric } = this.options;
    momentumUpdate(this.encoderK.params, this.encoderQ.params, m);
    // [query view, key view] per direction; the official demo computes loss_12 first, so the
    // key of view 2 is encoded (and shuffled) before the key of view 1.
    const directions: [tf.Tensor4D, tf.Tensor4D][] = symmetric
      ? [
          [imQ, imK],
          [imK, imQ],
        ]
      : [[imQ, imK]];
    const keys = directions.map(([, x]) => this.keys(x, bnGroups, this.options.shuffleBN)); // NxC each, outside the tape
    // Both directions query the same images, so one mask serves both.
    const selfMask = this.queue.selfMask(samples);
    try {
      const r = sgd(() =>
        sumDirections(
          directions.map(([x], i) => {
            const q = this.encoderQ.forward(x, { training: true, bnGroups }).embedding; // NxC
            return infoNce(q, keys[i], this.queue.keys, T, selfMask);
          }),
        ),
      );
      // Symmetric: keys[1] is k1 (view 1), keys[0] is k2; enqueued as [k1; k2] (2NxC).
      // Queued right behind the SGD step, before its loss is read back.
      const entering = symmetric ? tf.concat([keys[1], keys[0]], 0) : keys[0];
      this.queue.enqueue(entering, samples && symmetric ? Int32Array.from([...samples, ...samples]) : samples);
      if (symmetric) entering.dispose();
      return await r;
    } finally {
      tf.dispose(keys);
      selfMask?.dispose();
    }
  }

  /** Keys of a batch: shuffled across BN groups, key encoder, unshuffled, L2-normalised. NxC. */
  keys(imK: tf.Tensor4D, bnGroups: number, shuffle: boolean): tf.Tensor2D {
    return tf.tidy(() =>
      shuffle
        ? shuffledEmbedding(this.encoderK, imK, bnGroups, this.rng)
        : this.encoderK.forward(imK, { training: true, bnGroups }).embedding,
    );
  }

  get fill(): number {
    return this.queue.filled / this.queue.K;
  }

  async save(): Promise<DictionaryState> {
    return {
      meta: { ptr: this.queue.ptr, filled: this.queue.filled, owners: 1 },
      tensors: [
        ...(await saveEncoder('encoder_k.', this.encoderK)),
        await blobOf('queue', this.queue.keys),
        { name: 'queue_owners', dtype: 'int32', shape: [this.queue.K], data: Int32Array.from(this.queue.owners) },
      ],
    };
  }

  restore(meta: DictionaryMeta, take: TakeBlob): void {
    restoreEncoder('encoder_k.', this.encoderK, take);
    const keys = blobTensor(take('queue', this.queue.keys.shape)) as tf.Tensor2D;
    // Checkpoints from before the owners were kept have none: no slot is masked until rewritten.
    const owners = meta.owners === 1 ? (take('queue_owners', [this.queue.K]).data as Int32Array) : null;
    try {
      this.queue.restore(keys, meta.ptr, meta.filled, owners);
    } finally {
      keys.dispose();
    }
  }

  dispose(): void {
    this.encoderK.dispose();
    this.queue.dispose();
  }
}

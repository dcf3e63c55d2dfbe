// The memory-bank mechanism (Fig. 2b) as the MoCo paper's baseline takes it from Wu et al. 2018
// (instance discrimination, lemniscate.pytorch): one stored, L2-normalised feature per training
// sample, started as random unit vectors; there is no key encoder. A step encodes the query
// view with the query encoder; sample i's positive is its own bank entry (written when i was
// last seen, an epoch ago), the negatives are K entries drawn at random from the bank; the loss
// is the same InfoNCE as MoCo's (the paper's comparison uses one loss for all mechanisms). Then
// the entries of the batch's samples, and only those, take the momentum update on the
// representations of the same sample: v_i ← normalise(m·v_i + (1−m)·q_i), q_i as encoded in
// this step (before its SGD update), m = 0.5 in Wu et al. The key view is not used, and split
// BN has nothing to keep apart: the positive is stored, never encoded with the query's batch.
//
// Negatives: K distinct entries drawn uniformly from the samples outside the current batch,
// shared by the batch (an NxK matmul, as the queue's). Wu et al. draw K per sample with
// replacement and may draw a sample's own entry; excluding the batch keeps every negative a
// different image, which a small library would otherwise hit often. So K <= bank size - N.
//
// The bank lives in host memory (size x dim float32), not on the device: only the N positives
// and K negatives of a step are uploaded, and checkpoints store it as it is.
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../../api/errors';
import { infoNce } from '../infonce';
import { l2Normalize } from '../l2norm';
import type { ResNet } from '../resnet';
import type { Rng } from '../rng';
import type { DictionaryBatch, DictionaryMechanism, DictionaryMeta, DictionaryState, SgdStep, StepValues, TakeBlob } from './dictionary';

export interface MemoryBankOptions {
  /** Number of training samples: one entry each. */
  size: number;
  K: number;
  /** Momentum of the stored features (not of an encoder). */
  m: number;
  T: number;
  outDim: number;
}

export class MemoryBank implements DictionaryMechanism {
  readonly kind = 'memory-bank' as const;
  readonly size: number;
  readonly dim: number;
  /** size x dim, row-major; row i is sample i's entry, L2-normalised. */
  readonly features: Float32Array;
  /** 1 where the sample has been seen (its entry holds an encoded feature). */
  private readonly seenMask: Uint8Array;
  private seenCount = 0;

  constructor(
    private readonly encoder: ResNet,
    private readonly options: MemoryBankOptions,
    private readonly rng: Rng,
  ) {
    const { size, K, m, outDim } = options;
    if (!Number.isInteger(size) || size < 2) {
      throw new InvariantError(`MoCo memory bank: expected a bank size (number of training samples) of at least 2, got ${size}`);
    }
    if (!Number.isInteger(K) || K < 1 || K >= size) {
      throw new InvariantError(`MoCo memory bank: expected K from 1 to the bank size - 1 = ${size - 1}, got K = ${K}`);
    }
    if (!(m >= 0 && m < 1)) {
      throw new InvariantError(
        `MoCo memory bank: expected m in [0, 1) (the momentum of the stored features; 1 never updates them), got ${m}`,
      );
    }
    this.size = size;
    this.dim = outDim;
    this.features = randomUnitRows(size, outDim, rng);
    this.seenMask = new Uint8Array(size);
  }

  /** Samples whose entry has been written at least once. */
  get seen(): number {
    return this.seenCount;
  }

  get fill(): number {
    return this.seenCount / this.size;
  }

  isSeen(sample: number): boolean {
    return this.seenMask[sample] === 1;
  }

  check(batchSize: number, samples: Int32Array | null): void {
    const where = 'MoCo memory bank';
    if (!samples) throw new InvariantError(`${where}: expected the training-set index of every sample of the batch, got none`);
    if (samples.length !== batchSize)
      throw new InvariantError(`${where}: expected ${batchSize} sample indices (one per image), got ${samples.length}`);
    const seen = new Set<number>();
    for (const s of samples) {
      if (!Number.isInteger(s) || s < 0 || s >= this.size || seen.has(s)) {
        throw new InvariantError(
          `${where}: expected distinct sample indices in 0..${this.size - 1}, got ${s}${seen.has(s) ? ' twice' : ''}`,
        );
      }
      seen.add(s);
    }
    if (this.options.K > this.size - batchSize) {
      throw new InvariantError(
        `${where}: expected K <= bank size - batch size = ${this.size - batchSize} (the negatives are other samples' entries), got K = ${this.options.K}`,
      );
    }
  }

  async step({ imQ, samples, bnGroups }: DictionaryBatch, sgd: SgdStep): Promise<StepValues> {
    const { m, T } = this.options;
    const own = samples!;
    const positives = this.rows(own); // NxC, the entries of the batch's own samples
    const negatives = this.rows(this.sampleNegatives(own)); // KxC
    const kept: { q?: tf.Tensor2D } = {};
    try {
      const r = sgd(() => {
        const q = this.encoder.forward(imQ, { training: true, bnGroups }).embedding; // NxC
        kept.q = tf.keep(q);
        return infoNce(q, positives, negatives, T);
      });
      const updated = tf.tidy(() => l2Normalize(tf.add(tf.mul(positives, m), tf.mul(kept.q!, 1 - m)))); // NxC
      try {
        this.write(own, (await updated.data()) as Float32Array);
      } finally {
        updated.dispose();
      }
      return await r;
    } finally {
      tf.dispose([positives, negatives, kept.q ?? []]);
    }
  }

  /** The K negatives of a step for a batch of `samples`, drawn with the model's generator. */
  sampleNegatives(samples: Int32Array): Int32Array {
    return sampleOthers(this.size, this.options.K, samples, this.rng);
  }

  /** Entries of `samples` as an NxC tensor. */
  rows(samples: ArrayLike<number>): tf.Tensor2D {
    const d = this.dim;
    const out = new Float32Array(samples.length * d);
    for (let i = 0; i < samples.length; i++) out.set(this.features.subarray(samples[i] * d, (samples[i] + 1) * d), i * d);
    return tf.tensor2d(out, [samples.length, d]);
  }

  /** Views of the live arrays: write them out before the next step. */
  async save(): Promise<DictionaryState> {
    return {
      meta: { seen: this.seenCount },
      tensors: [
        { name: 'memory_bank', dtype: 'float32', shape: [this.size, this.dim], data: this.features },
        { name: 'memory_bank.seen', dtype: 'int32', shape: [this.size], data: Int32Array.from(this.seenMask) },
      ],
    };
  }

  restore(_meta: DictionaryMeta, take: TakeBlob): void {
    const bank = take('memory_bank', [this.size, this.dim]);
    const seen = take('memory_bank.seen', [this.size]);
    if (bank.dtype !== 'float32' || seen.dtype !== 'int32') {
      throw new Error(`checkpoint: expected memory_bank float32 and memory_bank.seen int32, got ${bank.dtype} and ${seen.dtype}`);
    }
    this.features.set(bank.data);
    this.seenCount = 0;
    for (let i = 0; i < this.size; i++) {
      this.seenMask[i] = seen.data[i] ? 1 : 0;
      this.seenCount += this.seenMask[i];
    }
  }

  dispose(): void {
    // Host memory only; the encoder belongs to the model.
  }

  private write(samples: Int32Array, rows: Float32Array): void {
    const d = this.dim;
    samples.forEach((s, i) => {
      this.features.set(rows.subarray(i * d, (i + 1) * d), s * d);
      if (!this.seenMask[s]) {
        this.seenMask[s] = 1;
        this.seenCount++;
      }
    });
  }
}

/**
 * K distinct indices drawn uniformly from 0..size-1 without those in `exclude`: a partial
 * Fisher-Yates shuffle of the remaining indices, in the order drawn.
 */
export function sampleOthers(size: number, K: number, exclude: ArrayLike<number>, rng: Rng): Int32Array {
  const excluded = new Uint8Array(size);
  for (let i = 0; i < exclude.length; i++) excluded[exclude[i]] = 1;
  const pool = new Int32Array(size);
  let n = 0;
  for (let i = 0; i < size; i++) if (!excluded[i]) pool[n++] = i;
  if (!Number.isInteger(K) || K < 0 || K > n) {
    throw new InvariantError(`MoCo memory bank: expected K from 0 to the ${n} entries outside the batch, got K = ${K}`);
  }
  for (let i = 0; i < K; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, K);
}

/** size x dim N(0, 1) rows, each divided by its norm: random unit vectors, as the queue starts. */
function randomUnitRows(size: number, dim: number, rng: Rng): Float32Array {
  const out = rng.normal(size * dim);
  for (let r = 0; r < size; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += row[c] * row[c];
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let c = 0; c < dim; c++) row[c] *= inv;
  }
  return out;
}

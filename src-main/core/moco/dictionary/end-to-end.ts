// The end-to-end mechanism (Fig. 2a): the key encoder is the query encoder, keys come from the
// current mini-batch only and gradients flow through queries and keys alike. Query i's positive
// is the key of its other view, the other N-1 keys of the batch are its negatives (NxN logits,
// positives on the diagonal), so the dictionary is the batch and K plays no part. Split BN
// stays as in MoCo: the key view goes through the encoder permuted across the BN groups, so a
// query and its positive key are never normalised with the same group of images; the encoder
// thus runs two training forwards per step (the query view, then the shuffled key view), and
// its BN running statistics take both. Symmetric: L(z1, z2) + L(z2, z1) on the same two
// forwards, the second direction's logits being the transpose of the first's.
import { batchInfoNce, sumDirections } from '../infonce';
import type { ResNet } from '../resnet';
import type { Rng } from '../rng';
import { shuffledEmbedding } from '../shuffle';
import { InvariantError } from '../../../api/errors';
import type { DictionaryBatch, DictionaryMechanism, DictionaryState, SgdStep, StepValues } from './dictionary';

export interface EndToEndOptions {
  T: number;
  symmetric: boolean;
  shuffleBN: boolean;
}

export class EndToEnd implements DictionaryMechanism {
  readonly kind = 'end-to-end' as const;
  /** The dictionary is always the whole current batch. */
  readonly fill = 1;

  constructor(
    private readonly encoder: ResNet,
    private readonly options: EndToEndOptions,
    private readonly rng: Rng,
  ) {}

  check(batchSize: number): void {
    if (!Number.isInteger(batchSize) || batchSize < 2) {
      throw new InvariantError(
        `MoCo end-to-end: expected a batch of at least 2 (the other keys of the batch are the negatives), got ${batchSize}`,
      );
    }
  }

  step({ imQ, imK, bnGroups }: DictionaryBatch, sgd: SgdStep): Promise<StepValues> {
    const { T, symmetric, shuffleBN } = this.options;
    return sgd(() => {
      const q = this.encoder.forward(imQ, { training: true, bnGroups }).embedding; // NxC
      const k = shuffleBN
        ? shuffledEmbedding(this.encoder, imK, bnGroups, this.rng)
        : this.encoder.forward(imK, { training: true, bnGroups }).embedding; // NxC, with gradient
      const forward = batchInfoNce(q, k, T); // logits NxN
      return symmetric ? sumDirections([forward, batchInfoNce(k, q, T)]) : forward;
    });
  }

  async save(): Promise<DictionaryState> {
    return { meta: {}, tensors: [] };
  }

  restore(): void {
    // Nothing is kept between steps.
  }

  dispose(): void {
    // The encoder belongs to the model.
  }
}

// The encoder's own eval forward on the active TF.js backend: the embedder that always works.
import * as tf from '@tensorflow/tfjs';
import type { ResNet } from '../moco/resnet';
import { checkEmbedInput, checkInputSize, type Embedder, type EmbedResult } from './embedder';

export class TfjsEmbedder implements Embedder {
  readonly engine = 'tfjs' as const;
  readonly device: string;
  readonly featureDim: number;
  readonly outDim: number;

  /** The model stays owned by the caller; dispose() leaves it alone. */
  constructor(
    private readonly model: ResNet,
    private readonly inputSize: number,
    readonly fallbackReason: string | null = null,
  ) {
    checkInputSize(inputSize, 'TfjsEmbedder');
    this.device = `TF.js ${tf.getBackend()}`;
    this.featureDim = model.featureDim;
    this.outDim = model.options.outDim;
  }

  async embed(x: Float32Array, n: number): Promise<EmbedResult> {
    checkEmbedInput(x, n, this.inputSize, 'TfjsEmbedder.embed');
    const s = this.inputSize;
    const out = tf.tidy(() => this.model.forward(tf.tensor4d(x, [n, s, s, 3]), { training: false })); // NxD, NxoutDim
    try {
      const [features, embedding] = await Promise.all([out.features.data(), out.embedding.data()]);
      return { features: features as Float32Array, embedding: embedding as Float32Array };
    } finally {
      tf.dispose(out);
    }
  }

  dispose(): void {}
}

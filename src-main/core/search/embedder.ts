// Turns batches of images into encoder features and embeddings, on the fastest engine that
// loads: onnxruntime (the model exported to ONNX, native and multi-threaded) or TF.js (the
// model itself on the active backend). Embedding a library is pure inference, so the engine
// that trains need not be the one that embeds.
import { InvalidInputError } from '../../api/errors';
import type { ResNet } from '../moco/resnet';

export type EmbedEngine = 'onnxruntime' | 'tfjs';
export type EmbedderPreference = 'auto' | EmbedEngine;
export const EMBEDDER_PREFERENCES: readonly EmbedderPreference[] = ['auto', 'onnxruntime', 'tfjs'];

export interface EmbedResult {
  /** n x D: the pooled backbone output. */
  features: Float32Array;
  /** n x outDim: the L2-normalised head output. */
  embedding: Float32Array;
}

export interface Embedder {
  readonly engine: EmbedEngine;
  /** In words, e.g. 'CPU, 2 threads' or 'TF.js wasm'. */
  readonly device: string;
  readonly featureDim: number;
  readonly outDim: number;
  /** Why a faster engine was not used ('auto' fell back), or null. */
  readonly fallbackReason: string | null;
  /**
   * x: n x H x W x 3 (NHWC), ImageNet-normalised, H = W = the input size the embedder was made for;
   * left unchanged until the promise settles. onnxruntime runs on the calling thread's event loop
   * for the whole batch: long jobs embed from a worker.
   */
  embed(x: Float32Array, n: number): Promise<EmbedResult>;
  dispose(): Promise<void> | void;
}

/** 'auto' tries onnxruntime and falls back to TF.js, keeping the reason in `fallbackReason`. */
export async function createEmbedder(model: ResNet, inputSize: number, prefer: EmbedderPreference = 'auto'): Promise<Embedder> {
  if (!EMBEDDER_PREFERENCES.includes(prefer)) {
    throw new InvalidInputError(`createEmbedder: expected engine ${EMBEDDER_PREFERENCES.join(' | ')}, got ${String(prefer)}`);
  }
  checkInputSize(inputSize, 'createEmbedder');
  // Loaded on demand: onnxruntime-node is a native module, and each implementation imports this file.
  if (prefer !== 'tfjs') {
    try {
      const { OnnxEmbedder } = await import('./onnx-embedder');
      return await OnnxEmbedder.create(model, inputSize);
    } catch (err) {
      if (prefer === 'onnxruntime') throw err;
      const { TfjsEmbedder } = await import('./tfjs-embedder');
      return new TfjsEmbedder(model, inputSize, `onnxruntime: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const { TfjsEmbedder } = await import('./tfjs-embedder');
  return new TfjsEmbedder(model, inputSize, null);
}

export function checkInputSize(inputSize: number, where: string): void {
  if (!(Number.isInteger(inputSize) && inputSize >= 1)) {
    throw new InvalidInputError(`${where}: expected a positive integer input size, got ${inputSize}`);
  }
}

/** The batch must hold exactly n NHWC images of inputSize². */
export function checkEmbedInput(x: Float32Array, n: number, inputSize: number, where: string): void {
  if (!(x instanceof Float32Array))
    throw new InvalidInputError(`${where}: expected a Float32Array batch, got ${Object.prototype.toString.call(x)}`);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidInputError(`${where}: expected a positive integer image count, got ${n}`);
  const expected = n * inputSize * inputSize * 3;
  if (x.length !== expected) {
    throw new InvalidInputError(`${where}: expected ${expected} values (${n} x ${inputSize} x ${inputSize} x 3, NHWC), got ${x.length}`);
  }
}

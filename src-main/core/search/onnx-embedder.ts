// The encoder exported to ONNX and run by onnxruntime-node: native, multi-threaded kernels and
// BatchNorm folded into the convolutions, many times faster than TF.js's wasm backend for
// inference. CUDA is tried first where its provider library is installed (the package ships
// CPU binaries only unless its install script could download the CUDA ones).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { exportResNetOnnx } from '../export/onnx';
import type { ResNet } from '../moco/resnet';
import { checkEmbedInput, checkInputSize, type Embedder, type EmbedResult } from './embedder';

export interface OnnxEmbedderOptions {
  /** 'auto' (default): CUDA when its provider loads, else CPU. */
  device?: 'auto' | 'cpu' | 'cuda';
  /** Intra-op threads of the CPU provider; default: the available cores. */
  threads?: number;
  /**
   * Where NHWC batches become NCHW: 'js' (default), a loop per batch before the run, or
   * 'graph', a Transpose node at the input of an internal NHWC variant of the model.
   */
  transpose?: 'js' | 'graph';
  /** Convs over maps that fit in their kernel as one Gemm (exportResNetOnnx's denseSmallMaps; default on). */
  denseSmallMaps?: boolean;
  /** onnxruntime's CPU memory arena (default on). */
  memArena?: boolean;
  /** Extra session config entries (onnxruntime_session_options_config_keys.h), e.g. 'session.intra_op.allow_spinning'. */
  config?: Record<string, string>;
}

type OrtModule = typeof Ort;

export class OnnxEmbedder implements Embedder {
  readonly engine = 'onnxruntime' as const;
  readonly fallbackReason = null;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly inputSize: number,
    private readonly transpose: 'js' | 'graph',
    readonly device: string,
    /** Why CUDA is not used (null when it is). */
    readonly cudaUnavailable: string | null,
    readonly featureDim: number,
    readonly outDim: number,
  ) {}

  static async create(model: ResNet, inputSize: number, opts: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    checkInputSize(inputSize, 'OnnxEmbedder');
    const want = opts.device ?? 'auto';
    if (!['auto', 'cpu', 'cuda'].includes(want)) throw new Error(`OnnxEmbedder: expected device auto | cpu | cuda, got ${String(want)}`);
    const threads = opts.threads ?? os.availableParallelism();
    if (!(Number.isInteger(threads) && threads >= 1))
      throw new Error(`OnnxEmbedder: expected a positive integer thread count, got ${threads}`);
    const transpose = opts.transpose ?? 'js';
    const ort = await loadOrt();
    const bytes = await exportResNetOnnx(model, {
      inputSize,
      inputLayout: transpose === 'graph' ? 'NHWC' : 'NCHW',
      denseSmallMaps: opts.denseSmallMaps ?? true,
    });
    const base: Ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      intraOpNumThreads: threads,
      enableCpuMemArena: opts.memArena ?? true,
      enableMemPattern: true,
      extra: { ...opts.config },
    };

    let cudaUnavailable: string | null = want === 'cpu' ? 'not tried: the CPU was asked for' : cudaMissing(ort);
    if (cudaUnavailable === null) {
      try {
        const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda'] });
        return new OnnxEmbedder(ort, session, inputSize, transpose, 'CUDA', null, model.featureDim, model.options.outDim);
      } catch (err) {
        cudaUnavailable = `the CUDA provider failed to start: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (want === 'cuda') throw new Error(`OnnxEmbedder: expected CUDA, got ${cudaUnavailable}`);
    const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
    const device = `CPU, ${threads} thread${threads === 1 ? '' : 's'}`;
    return new OnnxEmbedder(ort, session, inputSize, transpose, device, cudaUnavailable, model.featureDim, model.options.outDim);
  }

  async embed(x: Float32Array, n: number): Promise<EmbedResult> {
    checkEmbedInput(x, n, this.inputSize, 'OnnxEmbedder.embed');
    const s = this.inputSize;
    // A fresh buffer per call: concurrent calls must not share their input.
    const input =
      this.transpose === 'graph'
        ? new this.ort.Tensor('float32', x, [n, s, s, 3])
        : new this.ort.Tensor('float32', nhwcToNchw(x, n, s * s), [n, 3, s, s]);
    const out = await this.session.run({ input });
    return { features: floatData(out.features, n * this.featureDim), embedding: floatData(out.embedding, n * this.outDim) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** n images of hw pixels x 3 channels -> n x 3 planes of hw. */
export function nhwcToNchw(x: Float32Array, n: number, hw: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    const src = i * hw * 3;
    const r = i * hw * 3;
    const g = r + hw;
    const b = g + hw;
    for (let p = 0, q = src; p < hw; p++, q += 3) {
      out[r + p] = x[q];
      out[g + p] = x[q + 1];
      out[b + p] = x[q + 2];
    }
  }
  return out;
}

async function loadOrt(): Promise<OrtModule> {
  try {
    return await import('onnxruntime-node');
  } catch (err) {
    throw new Error(`onnxruntime-node failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Why the CUDA provider cannot start here, or null when it may. Asking without the library only logs errors. */
function cudaMissing(ort: OrtModule): string | null {
  if (!ort.listSupportedBackends().some((b) => b.name === 'cuda')) return 'this onnxruntime-node build has no CUDA provider';
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  const binDir = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  if (!existsSync(join(binDir, lib)))
    return `the CUDA provider library is not installed (${lib}; onnxruntime-node installed with its CPU binaries only)`;
  return null;
}

function floatData(t: Ort.Tensor | undefined, expected: number): Float32Array {
  if (!t || !(t.data instanceof Float32Array) || t.data.length !== expected) {
    throw new Error(
      `OnnxEmbedder.embed: expected a float32 output of ${expected} values, got ${t ? `${t.type} x ${t.data.length}` : 'none'}`,
    );
  }
  return t.data;
}

// The compute behind exact search and the similarity self-join. Two engines with one contract:
// `onnx` runs Gemm + TopK (or Gemm + NonZero) graphs on onnxruntime's MLAS kernels, multi-threaded
// and SIMD; `js` is plain loops, the reference and the fallback where onnxruntime cannot load.
import { availableParallelism } from 'node:os';
import type { TopK } from './topk';

export type EngineName = 'onnx' | 'js';
export type EngineChoice = EngineName | 'auto';

/** One block of a search: queries against a slice of library rows. */
export interface SearchBlock {
  /** nq x d queries */
  queries: Float32Array;
  nq: number;
  /** b x d library rows (a subarray of the library) */
  rows: Float32Array;
  b: number;
  d: number;
  /** hits each query needs from this block (<= b) */
  kk: number;
  /** b bytes, 1 = the row may be returned */
  allow?: Uint8Array;
  /** collector the hits go to, and where this block sits in it */
  top: TopK;
  firstQuery: number;
  firstRow: number;
}

/** Pairs (query i, row j) of one block whose score is >= minScore, in block-local indices. */
export interface BlockPairs {
  qi: Int32Array;
  rj: Int32Array;
  scores: Float32Array;
}

export interface ScoreEngine {
  readonly name: EngineName;
  readonly threads: number;
  /** Offers each query's best `kk` allowed rows of the block to `top` (rows offset by firstRow). */
  searchBlock(block: SearchBlock): Promise<void>;
  /** Every (i, j) with queries[i] . rows[j] >= minScore (a float32 threshold). */
  pairsBlock(queries: Float32Array, nq: number, rows: Float32Array, b: number, d: number, minScore: number): Promise<BlockPairs>;
}

export interface EngineOptions {
  engine?: EngineChoice;
  /** compute threads (default: the machine's cores) */
  threads?: number;
}

/** Why `auto` fell back to the JS engine, if it did (reported, not swallowed). */
export let engineFallbackReason: string | null = null;

const cache = new Map<string, Promise<ScoreEngine>>();

/** The engine for these options; engines are shared (an onnxruntime session serves concurrent runs). */
export function loadEngine(opts: EngineOptions = {}): Promise<ScoreEngine> {
  const choice = opts.engine ?? 'auto';
  const threads = opts.threads ?? availableParallelism();
  const key = `${choice}:${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = open(choice, threads);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function open(choice: EngineChoice, threads: number): Promise<ScoreEngine> {
  if (choice === 'js') return new (await import('./vec-engine-js')).JsEngine();
  try {
    return await (await import('./vec-engine-onnx')).createOnnxEngine(threads);
  } catch (err) {
    if (choice === 'onnx') throw err;
    engineFallbackReason = `onnxruntime-node could not run the search graphs (${err instanceof Error ? err.message : String(err)}); using the JS engine`;
    return new (await import('./vec-engine-js')).JsEngine();
  }
}

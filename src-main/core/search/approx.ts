// Approximate k-NN for libraries too large for exact search at interactive speed: usearch's HNSW
// graph over inner product (unit rows, so cosine). Keys are row numbers. Build adds rows in chunks
// so a long build reports progress and can be cancelled; the index saves to and loads from one
// file. measureRecall says how close it is to exact search on a sample of queries.
import { BatchMatches, Index, MetricKind, ScalarKind, type Matches } from 'usearch';
import { InvalidInputError } from '../../api/errors';
import type { ExactIndex } from './exact';
import type { TopKResult } from './topk';
import { checkFinite, checkInt, checkMatrix } from './vec-math';

export type Quantization = 'f32' | 'f16' | 'bf16' | 'i8';

export interface ApproxOptions {
  /** graph edges per node, HNSW's M (default 16) */
  connectivity?: number;
  /** candidate list while building, efConstruction (default 128) */
  expansionAdd?: number;
  /** candidate list while searching, ef (default 64; higher is slower and closer to exact) */
  expansionSearch?: number;
  /** how vectors are stored in the index (default f32) */
  quantization?: Quantization;
  /** threads for build and batch search (default 0: all cores) */
  threads?: number;
}

export interface BuildProgress {
  onProgress?: (added: number, n: number) => void;
  signal?: AbortSignal;
}

const BUILD_CHUNK = 8192;

export class ApproxIndex {
  private constructor(
    private readonly index: Index,
    private readonly threads: number,
  ) {}

  /** An HNSW index over the n x d unit rows of `vectors`. */
  static async build(
    vectors: Float32Array,
    n: number,
    d: number,
    opts: ApproxOptions = {},
    progress: BuildProgress = {},
  ): Promise<ApproxIndex> {
    checkMatrix('ApproxIndex.build', 'the vectors', vectors, n, d);
    const approx = new ApproxIndex(createIndex(d, opts), opts.threads ?? 0);
    for (let r0 = 0; r0 < n; r0 += BUILD_CHUNK) {
      progress.signal?.throwIfAborted();
      const b = Math.min(BUILD_CHUNK, n - r0);
      const keys = new BigUint64Array(b);
      for (let i = 0; i < b; i++) keys[i] = BigInt(r0 + i);
      approx.index.add(keys, vectors.subarray(r0 * d, (r0 + b) * d), approx.threads);
      progress.onProgress?.(r0 + b, n);
      await new Promise((resolve) => setImmediate(resolve)); // let the event loop breathe between chunks
    }
    return approx;
  }

  /** Reads an index saved by `save` into memory (its stored metric and dimension win over `opts`). */
  static load(path: string, opts: ApproxOptions = {}): ApproxIndex {
    return ApproxIndex.open(path, opts, 'load');
  }

  /** Maps a saved index from disk without reading it into memory. */
  static view(path: string, opts: ApproxOptions = {}): ApproxIndex {
    return ApproxIndex.open(path, opts, 'view');
  }

  private static open(path: string, opts: ApproxOptions, how: 'load' | 'view'): ApproxIndex {
    const index = createIndex(1, opts);
    try {
      index[how](path);
    } catch (err) {
      throw new InvalidInputError(
        `ApproxIndex.${how}: expected a usearch index file, got ${path} (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    return new ApproxIndex(index, opts.threads ?? 0);
  }

  get size(): number {
    return this.index.size();
  }

  get d(): number {
    return this.index.dimensions();
  }

  save(path: string): void {
    this.index.save(path);
  }

  /** The (approximately) k best rows for each of nq unit queries; same layout as ExactIndex.search. */
  async search(queries: Float32Array, nq: number, k: number): Promise<TopKResult> {
    const where = 'ApproxIndex.search';
    const d = this.d;
    checkInt(where, 'the query count', nq, 1);
    checkMatrix(where, 'the queries', queries, nq, d);
    checkFinite(where, 'the queries', queries, d);
    checkInt(where, 'k', k, 1);
    const width = Math.min(k, this.size);
    const rows = new Int32Array(nq * width).fill(-1);
    const scores = new Float32Array(nq * width).fill(-Infinity);
    const counts = new Int32Array(nq);
    if (width === 0) return { k: width, rows, scores, counts };
    // usearch answers a single vector with Matches and several with BatchMatches.
    const m = this.index.search(queries, width, this.threads) as Matches | BatchMatches;
    for (let q = 0; q < nq; q++) {
      const found = m instanceof BatchMatches ? Number(m.counts[q]) : m.keys.length;
      counts[q] = found;
      for (let i = 0; i < found; i++) {
        rows[q * width + i] = Number(m.keys[q * width + i]);
        scores[q * width + i] = 1 - m.distances[q * width + i]; // usearch's ip distance is 1 - dot
      }
    }
    return { k: width, rows, scores, counts };
  }
}

function createIndex(dimensions: number, opts: ApproxOptions): Index {
  const connectivity = opts.connectivity ?? 16;
  const expansionAdd = opts.expansionAdd ?? 128;
  const expansionSearch = opts.expansionSearch ?? 64;
  checkInt('ApproxIndex', 'connectivity', connectivity, 2, 1024);
  checkInt('ApproxIndex', 'expansionAdd', expansionAdd, 1);
  checkInt('ApproxIndex', 'expansionSearch', expansionSearch, 1);
  if (opts.threads !== undefined) checkInt('ApproxIndex', 'threads', opts.threads, 0);
  return new Index({
    dimensions,
    metric: MetricKind.IP,
    quantization: (opts.quantization ?? 'f32') as ScalarKind,
    connectivity,
    expansion_add: expansionAdd,
    expansion_search: expansionSearch,
    multi: false,
  });
}

export interface RecallReport {
  /** mean over queries of |approx top-k ∩ exact top-k| / k */
  recall: number;
  /** the same per query */
  perQuery: Float32Array;
  k: number;
  approxMs: number;
  exactMs: number;
}

/** recall@k of `approx` against exact search on the same queries (nq x d unit rows). */
export async function measureRecall(
  approx: ApproxIndex,
  exact: ExactIndex,
  queries: Float32Array,
  nq: number,
  k = 10,
): Promise<RecallReport> {
  let t = performance.now();
  const a = await approx.search(queries, nq, k);
  const approxMs = performance.now() - t;
  t = performance.now();
  const e = await exact.search(queries, nq, k);
  const exactMs = performance.now() - t;
  const perQuery = new Float32Array(nq);
  let sum = 0;
  for (let q = 0; q < nq; q++) {
    const truth = new Set(e.rows.subarray(q * e.k, q * e.k + e.counts[q]));
    let hit = 0;
    for (let i = 0; i < a.counts[q]; i++) if (truth.has(a.rows[q * a.k + i])) hit++;
    perQuery[q] = truth.size ? hit / truth.size : 1;
    sum += perQuery[q];
  }
  return { recall: sum / nq, perQuery, k: e.k, approxMs, exactMs };
}

/** `count` distinct rows of 0..n-1, ascending, the same for the same seed (a sample of queries). */
export function sampleRows(n: number, count: number, seed = 1): Int32Array {
  checkInt('sampleRows', 'count', count, 0, n);
  // Floyd's algorithm with a small LCG: no n-sized shuffle.
  let s = seed >>> 0 || 1;
  const next = (m: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % m;
  };
  const picked = new Set<number>();
  for (let j = n - count; j < n; j++) {
    const t = next(j + 1);
    picked.add(picked.has(t) ? j : t);
  }
  return Int32Array.from(picked).sort();
}

/** The listed rows of an n x d matrix, copied into a rows.length x d matrix. */
export function gatherRows(vectors: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(vectors.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
  return out;
}

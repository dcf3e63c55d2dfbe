// Exact k nearest neighbours by cosine similarity (inner product of unit rows) over an n x d
// float32 matrix. The library is cut into row blocks and the queries into query blocks so one
// block's score matrix stays within `blockFloats`; each block is scored by the engine in one
// matrix product and reduced to its best rows at once, and a bounded heap per query merges the
// blocks. Results are sorted by score descending, ties by row ascending.
//
// The engine (vec-engine.ts) runs on the calling thread and holds it for the duration of a
// block: a large library is best searched from a worker.
import { InvalidInputError } from '../../api/errors';
import { TopK, type TopKResult } from './topk';
import { loadEngine, type EngineName, type EngineOptions, type ScoreEngine } from './vec-engine';
import { checkFinite, checkInt, checkMatrix, countMask } from './vec-math';

export type { TopKResult } from './topk';
export { hitsOf } from './topk';

/** Floats in one block's score matrix by default (32 MB). */
export const DEFAULT_BLOCK_FLOATS = 1 << 23;
/** Queries scored together at most: more shares a library pass, fewer bounds the heap memory. */
const MAX_QUERY_BLOCK = 1024;
/** Up to this many excluded rows are skipped while collecting; beyond it they go into the mask. */
const MAX_SKIPPED_ROWS = 64;

export interface ExactIndexOptions extends EngineOptions {
  /** floats in one block's score matrix (default 8M): bounds the memory a search takes */
  blockFloats?: number;
}

export interface SearchOptions {
  /** n bytes, 1 = the row may be returned (restrict to folders, hide excluded images) */
  allow?: Uint8Array;
  /** rows no query may return */
  excludeRows?: ArrayLike<number>;
  /** one row per query that this query must not return (itself), -1 for none */
  excludeSelf?: ArrayLike<number>;
}

export class ExactIndex {
  private enginePromise?: Promise<ScoreEngine>;

  /** `vectors`: n x d, rows L2-normalised (see normalizeRows); kept by reference, not copied. */
  constructor(
    readonly vectors: Float32Array,
    readonly n: number,
    readonly d: number,
    private readonly options: ExactIndexOptions = {},
  ) {
    checkMatrix('ExactIndex', 'the vectors', vectors, n, d);
    if (options.blockFloats !== undefined) checkInt('ExactIndex', 'blockFloats', options.blockFloats, 1);
  }

  /** The engine that scores this index, loaded on first use. */
  engine(): Promise<ScoreEngine> {
    this.enginePromise ??= loadEngine(this.options);
    return this.enginePromise;
  }

  async engineName(): Promise<EngineName> {
    return (await this.engine()).name;
  }

  /**
   * The k best rows for each of nq queries (nq x d, unit rows). The result has min(k, n) slots
   * per query; a query with fewer allowed rows has the rest padded with row -1.
   */
  async search(queries: Float32Array, nq: number, k: number, opts: SearchOptions = {}): Promise<TopKResult> {
    const where = 'ExactIndex.search';
    const { n, d } = this;
    checkInt(where, 'the query count', nq, 0);
    checkMatrix(where, 'the queries', queries, nq, d);
    checkFinite(where, 'the queries', queries, d);
    checkInt(where, 'k', k, 1);
    const width = Math.min(k, n);

    let allow = opts.allow;
    let allowed = allow ? countMask(where, 'allow', allow, n) : n;
    const excluded = opts.excludeRows ? checkRows(where, 'excludeRows', opts.excludeRows, n) : [];
    let skipped: Set<number> | null = null;
    if (excluded.length > MAX_SKIPPED_ROWS) {
      allow = allow ? allow.slice() : new Uint8Array(n).fill(1);
      for (const r of excluded) allowed -= allow[r];
      for (const r of excluded) allow[r] = 0;
    } else if (excluded.length) {
      skipped = new Set(excluded);
    }
    let self: Int32Array | null = null;
    if (opts.excludeSelf) {
      if (opts.excludeSelf.length !== nq)
        throw new InvalidInputError(`${where}: expected excludeSelf to hold one row per query (${nq}), got ${opts.excludeSelf.length}`);
      self = Int32Array.from(opts.excludeSelf);
      for (let q = 0; q < nq; q++) if (self[q] !== -1) checkInt(where, `excludeSelf[${q}]`, self[q], 0, n - 1);
    }

    const skip =
      skipped || self
        ? (q: number, row: number) => (self !== null && self[q] === row) || (skipped !== null && skipped.has(row))
        : undefined;
    const top = new TopK(nq, width, skip);
    if (width === 0 || allowed === 0 || nq === 0) return top.result();

    // Each block must yield `width` hits even after the skipped rows are dropped.
    const wanted = width + (skipped ? skipped.size : 0) + (self ? 1 : 0);
    const engine = await this.engine();
    const qb = Math.min(nq, MAX_QUERY_BLOCK);
    const rb = Math.max(1, Math.min(n, Math.floor((this.options.blockFloats ?? DEFAULT_BLOCK_FLOATS) / qb)));
    for (let q0 = 0; q0 < nq; q0 += qb) {
      const mq = Math.min(qb, nq - q0);
      const qBlock = queries.subarray(q0 * d, (q0 + mq) * d);
      for (let r0 = 0; r0 < n; r0 += rb) {
        const b = Math.min(rb, n - r0);
        await engine.searchBlock({
          queries: qBlock,
          nq: mq,
          rows: this.vectors.subarray(r0 * d, (r0 + b) * d),
          b,
          d,
          kk: Math.min(wanted, b),
          allow: allow?.subarray(r0, r0 + b),
          top,
          firstQuery: q0,
          firstRow: r0,
        });
      }
    }
    return top.result();
  }
}

function checkRows(where: string, name: string, rows: ArrayLike<number>, n: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    checkInt(where, `${name}[${i}]`, rows[i], 0, n - 1);
    out.add(rows[i]);
  }
  return [...out];
}

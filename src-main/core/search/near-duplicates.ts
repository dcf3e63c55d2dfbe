// Near-duplicate images: every pair of rows whose cosine similarity reaches a threshold (a
// blocked self-join over the upper triangle, scored by the same engine as exact search), then
// groups as connected components (union-find). Pairs are found once at the lowest threshold the
// UI offers; any higher threshold is a prefix of the sorted pairs, so a slider only needs the
// group count per distinct similarity, computed in one Kruskal-like pass (groupCountCurve).
import { InvalidInputError } from '../../api/errors';
import { DEFAULT_BLOCK_FLOATS, type ExactIndex } from './exact';
import { PairBuffer } from './pair-buffer';
import { checkInt, countMask, float32AtMost } from './vec-math';

/** Query rows per block at most (with the default budget a block is 1024 x 8192 scores). */
const QUERY_BLOCK = 1024;
export const DEFAULT_MAX_PAIRS = 5_000_000;

export interface SimilarPairs {
  n: number;
  /** pair i is rows a[i] < b[i]; sorted by score descending, then a, then b ascending */
  a: Int32Array;
  b: Int32Array;
  scores: Float32Array;
  /** every pair with score >= minScore is here: the requested threshold, or higher if truncated */
  minScore: number;
  requestedMinScore: number;
  /** the pair cap was reached and minScore was raised so the pairs fit */
  truncated: boolean;
}

export interface PairOptions {
  /** at most this many pairs are kept (default 5,000,000; 12 bytes each) */
  maxPairs?: number;
  /** at the cap: 'error' (default) throws; 'truncate' keeps the most similar pairs and raises minScore */
  onLimit?: 'error' | 'truncate';
  /** n bytes, 1 = the row takes part */
  allow?: Uint8Array;
  /** floats in one block's score matrix (default 8M) */
  blockFloats?: number;
  signal?: AbortSignal;
  /** rows done (as the first row of a pair) of n */
  onProgress?: (done: number, n: number) => void;
}

/** All pairs of rows of the index with cosine similarity >= minScore. */
export async function findSimilarPairs(index: ExactIndex, minScore: number, opts: PairOptions = {}): Promise<SimilarPairs> {
  const where = 'findSimilarPairs';
  if (!Number.isFinite(minScore)) throw new InvalidInputError(`${where}: expected a finite similarity threshold, got ${minScore}`);
  const maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  checkInt(where, 'maxPairs', maxPairs, 1);
  const onLimit = opts.onLimit ?? 'error';
  const { vectors, n, d } = index;
  const allow = opts.allow;
  if (allow) countMask(where, 'allow', allow, n);

  const engine = await index.engine();
  const out = new PairBuffer();
  let floor = minScore; // compared with float32 scores as stored
  let truncated = false;
  const blockFloats = opts.blockFloats ?? DEFAULT_BLOCK_FLOATS;
  checkInt(where, 'blockFloats', blockFloats, 1);
  const qb = Math.min(QUERY_BLOCK, Math.max(1, Math.floor(Math.sqrt(blockFloats))));
  const cb = Math.max(1, Math.floor(blockFloats / qb));
  for (let i0 = 0; i0 < n; i0 += qb) {
    opts.signal?.throwIfAborted();
    const mq = Math.min(qb, n - i0);
    const queries = vectors.subarray(i0 * d, (i0 + mq) * d);
    // Upper triangle: rows from i0 on; the diagonal block keeps j > i only.
    for (let j0 = i0; j0 < n; j0 += cb) {
      const b = Math.min(cb, n - j0);
      const p = await engine.pairsBlock(queries, mq, vectors.subarray(j0 * d, (j0 + b) * d), b, d, float32AtMost(floor));
      for (let t = 0; t < p.scores.length; t++) {
        const i = i0 + p.qi[t];
        const j = j0 + p.rj[t];
        const s = p.scores[t];
        if (j <= i || s < floor || (allow && (allow[i] === 0 || allow[j] === 0))) continue;
        out.push(i, j, s);
      }
      if (out.count > maxPairs) {
        if (onLimit === 'error') {
          throw new InvalidInputError(
            `${where}: expected at most ${maxPairs} pairs at similarity >= ${minScore}, got more (stopped at row ${i0} of ${n}); raise the threshold or maxPairs`,
          );
        }
        // Keep at most 3/4 of the cap so pruning is rare; every pair above the new floor stays.
        floor = out.prune(Math.floor((maxPairs * 3) / 4));
        truncated = true;
      }
    }
    opts.onProgress?.(i0 + mq, n);
  }
  const sorted = out.sorted();
  return { n, ...sorted, minScore: floor, requestedMinScore: minScore, truncated };
}

/** Disjoint sets over 0..n-1: union by size, path halving. */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.size = new Int32Array(n).fill(1);
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  /** Joins the sets of a and b; false when they were one set already. */
  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return false;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return true;
  }

  sizeOf(x: number): number {
    return this.size[this.find(x)];
  }
}

export interface DuplicateGroup {
  /** ascending */
  rows: Int32Array;
  /** highest and lowest similarity among the group's pairs at the threshold */
  maxScore: number;
  minScore: number;
  /** some of its pairs were joined by the perceptual hash, whatever their similarity */
  byHash: boolean;
}

/**
 * Pairs that are near-duplicates at every threshold (the perceptual hash matched them), with
 * their cosine similarity for the group's score range.
 */
export interface FixedPairs {
  a: Int32Array;
  b: Int32Array;
  scores: Float32Array;
}

const NO_PAIRS: FixedPairs = { a: new Int32Array(0), b: new Int32Array(0), scores: new Float32Array(0) };

/** How many of the (sorted) pairs have score >= threshold. */
export function pairsAtLeast(pairs: SimilarPairs, threshold: number): number {
  return countAtLeast(pairs.scores, threshold);
}

/**
 * Connected components of size >= 2 at `threshold`, the fixed pairs joined whatever the threshold:
 * largest first, then by smallest row.
 */
export function groupsAt(pairs: SimilarPairs, threshold: number, fixed: FixedPairs = NO_PAIRS): DuplicateGroup[] {
  checkThreshold('groupsAt', pairs.minScore, threshold);
  const m = pairsAtLeast(pairs, threshold);
  const uf = new UnionFind(pairs.n);
  for (let i = 0; i < m; i++) uf.union(pairs.a[i], pairs.b[i]);
  for (let i = 0; i < fixed.a.length; i++) uf.union(fixed.a[i], fixed.b[i]);
  const byRoot = new Map<number, { rows: number[]; maxScore: number; minScore: number; byHash: boolean }>();
  const seen = new Uint8Array(pairs.n);
  const add = (a: number, b: number, score: number, byHash: boolean) => {
    const root = uf.find(a);
    let g = byRoot.get(root);
    if (!g) byRoot.set(root, (g = { rows: [], maxScore: -Infinity, minScore: Infinity, byHash: false }));
    g.maxScore = Math.max(g.maxScore, score);
    g.minScore = Math.min(g.minScore, score);
    g.byHash ||= byHash;
    for (const r of [a, b]) {
      if (seen[r]) continue;
      seen[r] = 1;
      g.rows.push(r);
    }
  };
  for (let i = 0; i < m; i++) add(pairs.a[i], pairs.b[i], pairs.scores[i], false);
  for (let i = 0; i < fixed.a.length; i++) add(fixed.a[i], fixed.b[i], fixed.scores[i], true);
  const groups = [...byRoot.values()].map((g) => ({
    rows: Int32Array.from(g.rows).sort(),
    maxScore: g.maxScore,
    minScore: g.minScore,
    byHash: g.byHash,
  }));
  return groups.sort((x, y) => y.rows.length - x.rows.length || x.rows[0] - y.rows[0]);
}

/** Group counts as the threshold falls through each distinct similarity of the pairs. */
export interface GroupCountCurve {
  /** distinct pair similarities, descending */
  thresholds: Float32Array;
  /** groups (components of size >= 2) at each threshold */
  groups: Int32Array;
  /** rows in those groups */
  rows: Int32Array;
  /** below this the pairs are incomplete (SimilarPairs.minScore) */
  minScore: number;
  /** groups and rows from the fixed pairs alone (above every threshold) */
  base?: { groups: number; rows: number };
}

/**
 * One pass over the sorted pairs: each union of two sets changes the group count by +1, 0 or -1.
 * The fixed pairs are joined before the first threshold.
 */
export function groupCountCurve(pairs: SimilarPairs, fixed: FixedPairs = NO_PAIRS): GroupCountCurve {
  const { a, b, scores } = pairs;
  const uf = new UnionFind(pairs.n);
  const thresholds: number[] = [];
  const groups: number[] = [];
  const rows: number[] = [];
  let g = 0;
  let r = 0;
  const join = (x: number, y: number) => {
    const sa = uf.sizeOf(x);
    const sb = uf.sizeOf(y);
    if (!uf.union(x, y)) return;
    if (sa === 1 && sb === 1) {
      g++;
      r += 2;
    } else if (sa === 1 || sb === 1) {
      r++;
    } else {
      g--;
    }
  };
  for (let i = 0; i < fixed.a.length; i++) join(fixed.a[i], fixed.b[i]);
  const base = { groups: g, rows: r };
  for (let i = 0; i < scores.length; i++) {
    join(a[i], b[i]);
    if (i + 1 === scores.length || scores[i + 1] !== scores[i]) {
      thresholds.push(scores[i]);
      groups.push(g);
      rows.push(r);
    }
  }
  return {
    thresholds: Float32Array.from(thresholds),
    groups: Int32Array.from(groups),
    rows: Int32Array.from(rows),
    minScore: pairs.minScore,
    base,
  };
}

/** Groups and grouped rows at any threshold >= curve.minScore, by binary search. */
export function countAt(curve: GroupCountCurve, threshold: number): { groups: number; rows: number } {
  checkThreshold('countAt', curve.minScore, threshold);
  const i = countAtLeast(curve.thresholds, threshold);
  return i === 0 ? (curve.base ?? { groups: 0, rows: 0 }) : { groups: curve.groups[i - 1], rows: curve.rows[i - 1] };
}

/** Entries >= t at the front of a descending array (binary search). */
function countAtLeast(desc: Float32Array, t: number): number {
  let lo = 0;
  let hi = desc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (desc[mid] >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkThreshold(where: string, minScore: number, threshold: number): void {
  if (!(threshold >= minScore)) {
    throw new InvalidInputError(`${where}: expected a threshold >= ${minScore} (the pairs are incomplete below it), got ${threshold}`);
  }
}

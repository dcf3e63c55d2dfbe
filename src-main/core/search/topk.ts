// Bounded top-k selection per query: one min-heap of capacity k per query, the worst kept hit at
// its root, so a candidate costs one comparison unless it beats the worst. The order is total
// (score descending, then row ascending), which makes results deterministic under ties.

/** k hits per query, row-major nq x k, best first; a query with fewer hits is padded with row -1 and score -Infinity. */
export interface TopKResult {
  k: number;
  rows: Int32Array;
  scores: Float32Array;
  /** hits found per query (<= k) */
  counts: Int32Array;
}

/** True when (scoreA, rowA) ranks before (scoreB, rowB). */
export function ranksBefore(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && rowA < rowB);
}

export class TopK {
  private readonly heapScores: Float32Array;
  private readonly heapRows: Int32Array;
  private readonly sizes: Int32Array;
  /**
   * Per query: the score a candidate must reach to be considered (-Infinity until the heap is
   * full, then the worst kept score). Read it in hot loops before calling `push`.
   */
  readonly floor: Float32Array;

  /** `skip(query, row)` drops rows a query must not return (the query itself, excluded rows). */
  constructor(
    readonly nq: number,
    readonly k: number,
    private readonly skip?: (query: number, row: number) => boolean,
  ) {
    this.heapScores = new Float32Array(nq * k);
    this.heapRows = new Int32Array(nq * k);
    this.sizes = new Int32Array(nq);
    this.floor = new Float32Array(nq).fill(k > 0 ? -Infinity : Infinity);
  }

  /** Offers one hit; `score` must already be a float32 value (it is compared as stored). */
  push(query: number, row: number, score: number): void {
    const k = this.k;
    if (k === 0 || score < this.floor[query]) return;
    if (this.skip?.(query, row)) return;
    const base = query * k;
    const hs = this.heapScores;
    const hr = this.heapRows;
    let size = this.sizes[query];
    if (size < k) {
      // Sift up: a parent must rank after (be worse than) its children.
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!ranksBefore(hs[base + p], hr[base + p], score, row)) break;
        hs[base + i] = hs[base + p];
        hr[base + i] = hr[base + p];
        i = p;
      }
      hs[base + i] = score;
      hr[base + i] = row;
      this.sizes[query] = size;
      if (size === k) this.floor[query] = hs[base];
      return;
    }
    if (!ranksBefore(score, row, hs[base], hr[base])) return;
    // Replace the root (the worst kept hit) and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      let c = l;
      const r = l + 1;
      if (r < k && ranksBefore(hs[base + l], hr[base + l], hs[base + r], hr[base + r])) c = r;
      if (ranksBefore(hs[base + c], hr[base + c], score, row)) break; // the worst child still beats the newcomer
      hs[base + i] = hs[base + c];
      hr[base + i] = hr[base + c];
      i = c;
    }
    hs[base + i] = score;
    hr[base + i] = row;
    this.floor[query] = hs[base];
  }

  /** The kept hits, sorted best first. */
  result(): TopKResult {
    const { nq, k } = this;
    const rows = new Int32Array(nq * k).fill(-1);
    const scores = new Float32Array(nq * k).fill(-Infinity);
    const counts = new Int32Array(nq);
    const order: number[] = [];
    for (let q = 0; q < nq; q++) {
      const base = q * k;
      const size = this.sizes[q];
      order.length = 0;
      for (let i = 0; i < size; i++) order.push(base + i);
      order.sort((a, b) => (ranksBefore(this.heapScores[a], this.heapRows[a], this.heapScores[b], this.heapRows[b]) ? -1 : 1));
      for (let i = 0; i < size; i++) {
        rows[base + i] = this.heapRows[order[i]];
        scores[base + i] = this.heapScores[order[i]];
      }
      counts[q] = size;
    }
    return { k, rows, scores, counts };
  }
}

/** The hits of query `q` in a result, trimmed to those found. */
export function hitsOf(result: TopKResult, q: number): { rows: Int32Array; scores: Float32Array } {
  const start = q * result.k;
  const end = start + result.counts[q];
  return { rows: result.rows.subarray(start, end), scores: result.scores.subarray(start, end) };
}

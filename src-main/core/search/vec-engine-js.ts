// Plain-JS engine: the reference the fast engine is checked against, and the fallback where
// onnxruntime cannot load. Four queries share each pass over a library row, so a row is read
// from memory once per four dot products. Scores are rounded to float32, as the fast engine's are.
import type { BlockPairs, ScoreEngine, SearchBlock } from './vec-engine';

const TILE = 4;

export class JsEngine implements ScoreEngine {
  readonly name = 'js' as const;
  readonly threads = 1;

  async searchBlock(blk: SearchBlock): Promise<void> {
    const { queries, nq, rows, b, d, allow, top, firstQuery, firstRow } = blk;
    const floor = top.floor;
    const scores = new Float32Array(TILE);
    for (let q0 = 0; q0 < nq; q0 += TILE) {
      const m = Math.min(TILE, nq - q0);
      for (let r = 0; r < b; r++) {
        if (allow && allow[r] === 0) continue;
        dots(queries, q0, m, rows, r, d, scores);
        for (let t = 0; t < m; t++) {
          const q = firstQuery + q0 + t;
          if (scores[t] >= floor[q]) top.push(q, firstRow + r, scores[t]);
        }
      }
    }
  }

  async pairsBlock(queries: Float32Array, nq: number, rows: Float32Array, b: number, d: number, minScore: number): Promise<BlockPairs> {
    const qi: number[] = [];
    const rj: number[] = [];
    const sc: number[] = [];
    const scores = new Float32Array(TILE);
    for (let q0 = 0; q0 < nq; q0 += TILE) {
      const m = Math.min(TILE, nq - q0);
      for (let r = 0; r < b; r++) {
        dots(queries, q0, m, rows, r, d, scores);
        for (let t = 0; t < m; t++) {
          if (scores[t] >= minScore) {
            qi.push(q0 + t);
            rj.push(r);
            sc.push(scores[t]);
          }
        }
      }
    }
    return { qi: Int32Array.from(qi), rj: Int32Array.from(rj), scores: Float32Array.from(sc) };
  }
}

/** out[t] = queries[q0 + t] . rows[r] for t < m (m <= 4), stored as float32. */
function dots(queries: Float32Array, q0: number, m: number, rows: Float32Array, r: number, d: number, out: Float32Array): void {
  const o = r * d;
  const a = q0 * d;
  if (m === TILE) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let j = 0; j < d; j++) {
      const x = rows[o + j];
      s0 += queries[a + j] * x;
      s1 += queries[a + d + j] * x;
      s2 += queries[a + 2 * d + j] * x;
      s3 += queries[a + 3 * d + j] * x;
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
    return;
  }
  for (let t = 0; t < m; t++) {
    let s = 0;
    for (let j = 0, p = a + t * d; j < d; j++) s += queries[p + j] * rows[o + j];
    out[t] = s;
  }
}

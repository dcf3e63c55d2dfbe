// Weighted kNN classification as in the kNN monitor of the official MoCo CIFAR demo
// (knn_predict): features L2-normalised, cosine similarity of each test sample (query) to every
// train sample (the memory bank), the k most similar train samples vote for their class with
// weight exp(sim / T), class scores are the summed weights, classes ranked by score.
// Defaults k = 200, T = 0.1 as there. Search is exact (ExactIndex: ties by lower train row);
// class ties rank the lower class first.
//
// k is capped at half the median class size of the train split (at least 1). The demo's k 200
// assumes classes of thousands (CIFAR-10: 5000 each); with k far above a class's size every
// neighbourhood spans whole classes and the vote counts class sizes more than similarity. On the
// demo library (6 classes, ~40 train images each, random-init features) k 200 gave 20% top-1,
// k 20 38%. The median keeps one tiny class from shrinking k for all the others.
import { InvalidInputError } from '../../api/errors';
import { ExactIndex } from '../search/exact';
import type { EngineChoice } from '../search/vec-engine';
import { normalizeRows } from '../search/vec-math';
import { applyStandardization, checkProbeData, fitStandardization, type ProbeData } from './dataset';
import { bestOf, evaluateRanking, rankClasses, TOP_K, type ClassifierResult } from './metrics';

export const KNN_DEFAULTS = { k: 200, T: 0.1 } as const;

/** Queries searched per call: bounds the hit lists held at once and spaces the cancel checks. */
const QUERY_CHUNK = 2048;

export interface KnnOptions {
  /** neighbours that vote (default 200; capped, see the header) */
  k?: number;
  /** temperature of the vote weights exp(sim / T) (default 0.1) */
  T?: number;
  /** z-score columns on the train split before normalising (default false; useful for raw pixels) */
  standardize?: boolean;
  /** the search engine (default 'auto': onnxruntime when it loads, else plain JS) */
  engine?: EngineChoice;
  /** checked between query chunks */
  signal?: AbortSignal;
}

export interface KnnResult extends ClassifierResult {
  /** the k used after capping */
  k: number;
}

/** Half the median train class size, at least 1. */
export function kCap(trainY: Int32Array, C: number): number {
  const sizes = new Array<number>(C).fill(0);
  for (const c of trainY) sizes[c]++;
  const present = sizes.filter((s) => s > 0).sort((a, b) => a - b);
  const mid = present.length >> 1;
  const median = present.length % 2 ? present[mid] : (present[mid - 1] + present[mid]) / 2;
  return Math.max(1, Math.floor(median / 2));
}

export async function knnClassify(data: ProbeData, opts: KnnOptions = {}): Promise<KnnResult> {
  const where = 'knnClassify';
  const { nTrain, nTest } = checkProbeData(where, data);
  const { d, numClasses: C } = data;
  const kWanted = opts.k ?? KNN_DEFAULTS.k;
  if (!Number.isInteger(kWanted) || kWanted < 1) throw new InvalidInputError(`${where}: expected k to be an integer >= 1, got ${kWanted}`);
  const T = opts.T ?? KNN_DEFAULTS.T;
  if (!(Number.isFinite(T) && T > 0)) throw new InvalidInputError(`${where}: expected T to be a finite number > 0, got ${T}`);
  const k = Math.min(kWanted, kCap(data.trainY, C));

  // Copies: the caller's matrices stay as they were.
  const s = opts.standardize ? fitStandardization(data.trainX, nTrain, d) : null;
  const bank = normalizeRows(s ? applyStandardization(data.trainX, d, s) : data.trainX.slice(), nTrain, d); // nTrain x d
  const queries = normalizeRows(s ? applyStandardization(data.testX, d, s) : data.testX.slice(), nTest, d); // nTest x d
  const index = new ExactIndex(bank, nTrain, d, { engine: opts.engine ?? 'auto' });

  const width = Math.min(TOP_K, C);
  const ranked = new Int32Array(nTest * width);
  const confidence = new Float32Array(nTest);
  for (let q0 = 0; q0 < nTest; q0 += QUERY_CHUNK) {
    opts.signal?.throwIfAborted();
    const m = Math.min(QUERY_CHUNK, nTest - q0);
    const hits = await index.search(queries.subarray(q0 * d, (q0 + m) * d), m, k);
    const scores = new Float64Array(m * C); // mxC summed vote weights
    for (let i = 0; i < m; i++) {
      let total = 0;
      for (let j = 0; j < hits.counts[i]; j++) {
        const h = i * hits.k + j;
        const w = Math.exp(hits.scores[h] / T);
        scores[i * C + data.trainY[hits.rows[h]]] += w;
        total += w;
      }
      const r = rankClasses(scores.subarray(i * C, (i + 1) * C), 1, C, width);
      ranked.set(r, (q0 + i) * width);
      confidence[q0 + i] = total > 0 ? scores[i * C + r[0]] / total : 0;
    }
  }
  opts.signal?.throwIfAborted();
  return {
    metrics: evaluateRanking(data.testY, ranked, width, C),
    ranked,
    predicted: bestOf(ranked, nTest, width),
    confidence,
    k,
  };
}

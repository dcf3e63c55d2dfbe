// In-memory matrices of a set's vectors (unit rows), with the facts about each row's image that
// searches filter on. Built on first use, dropped when the set's vectors or the library change.
import type { EmbeddingSpace } from '../../api/contract';
import type { EmbeddingsStore } from '../db/embeddings-store';
import { ApproxIndex, measureRecall, sampleRows, gatherRows } from './approx';
import { ExactIndex } from './exact';
import { normalizeRows } from './vec-math';

export interface ImageFacts {
  folderId: Int32Array;
  excluded: Uint8Array;
  hash: string[];
}

export interface SpaceVectors {
  setId: number;
  space: EmbeddingSpace;
  n: number;
  dim: number;
  /** image id of each row */
  ids: Int32Array;
  rowOf: Map<number, number>;
  /** n x dim, unit rows */
  matrix: Float32Array;
  index: ExactIndex;
  facts: ImageFacts;
  /** the HNSW index, built on first approximate search, with its recall@10 against exact search */
  approx?: Promise<{ index: ApproxIndex; recallAt10: number }>;
}

/** Queries sampled from the library to measure an approximate index's recall. */
const RECALL_QUERIES = 200;

/** The approximate index of cached vectors, built once, with its measured recall@10. */
export function approximateIndex(v: SpaceVectors): Promise<{ index: ApproxIndex; recallAt10: number }> {
  v.approx ??= (async () => {
    const index = await ApproxIndex.build(v.matrix, v.n, v.dim);
    const rows = sampleRows(v.n, Math.min(RECALL_QUERIES, v.n));
    const report = await measureRecall(index, v.index, gatherRows(v.matrix, v.dim, rows), rows.length, 10);
    return { index, recallAt10: report.recall };
  })();
  return v.approx;
}

export class VectorCache {
  private readonly entries = new Map<string, SpaceVectors>();

  constructor(private readonly store: EmbeddingsStore) {}

  get(setId: number, space: EmbeddingSpace, featureDim: number, outDim: number): SpaceVectors {
    const key = `${setId}:${space}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const v = this.store.vectors(setId, featureDim, outDim);
      const dim = space === 'features' ? featureDim : outDim;
      const n = v.ids.length;
      const matrix = normalizeRows(space === 'features' ? v.features : v.embedding, n, dim);
      const rows = this.store.vectorFacts(setId);
      const facts: ImageFacts = {
        folderId: Int32Array.from(rows, (r) => r.folder_id),
        excluded: Uint8Array.from(rows, (r) => r.excluded),
        hash: rows.map((r) => r.hash),
      };
      const rowOf = new Map<number, number>();
      v.ids.forEach((id, i) => rowOf.set(id, i));
      entry = { setId, space, n, dim, ids: v.ids, rowOf, matrix, index: new ExactIndex(matrix, n, dim), facts };
      this.entries.set(key, entry);
    }
    return entry;
  }

  forget(setId: number): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${setId}:`)) this.entries.delete(key);
  }

  invalidateAll(): void {
    this.entries.clear();
  }
}

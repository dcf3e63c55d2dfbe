// "More like this": the k nearest images by cosine similarity to a library image or to a file
// from outside the library, with the filters a person expects (folders, excluded images,
// byte-identical copies).
import type { SearchRequest, SearchResult } from '../../api/contract';
import { InvalidInputError, NotFoundError } from '../../api/errors';
import type { LibraryStore } from '../db/library-store';
import { toImageSummary } from '../db/rows';
import type { RunsStore } from '../db/runs-store';
import type { EmbeddingService } from './embedding-service';
import type { ApproxIndex } from './approx';
import { hitsOf, type TopKResult } from './exact';
import { fileNearHash, nearRows, rowHashes, type NearHashDeps } from './near-hash-rows';
import { nearHashWords } from '../library/near-hash';
import { normalizeRows } from './vec-math';
import { approximateIndex, type SpaceVectors } from './vector-cache';

const DEFAULT_K = 24;
const WHERE = 'searchSimilar';

export interface SimilarDeps {
  embeddings: EmbeddingService;
  library: LibraryStore;
  runs: RunsStore;
  /** the approximateSearch setting */
  approximate: () => boolean;
  /** the library size from which that setting takes effect */
  approxMinImages: number;
  /** perceptual hashes: near-duplicates of the query rank first */
  nearHash?: NearHashDeps;
}

export async function searchSimilar(deps: SimilarDeps, req: SearchRequest): Promise<SearchResult> {
  const t0 = performance.now();
  const set = deps.embeddings.searchableSet(WHERE, req.setId);
  const space = req.space ?? 'features';
  const k = req.k ?? DEFAULT_K;
  const vectors = deps.embeddings.vectors.get(set.id, space, set.featureDim, set.outDim);

  let query: Float32Array;
  let queryImageId: number | null = null;
  let queryName: string;
  let queryHash: string | null = null;
  let queryNear: Promise<Uint32Array | null> = Promise.resolve(null);
  if ('imageId' in req.query) {
    const row = deps.library.imageRow(req.query.imageId);
    if (!row) throw new NotFoundError(`${WHERE}: expected an image id in the library, got ${req.query.imageId}`);
    queryImageId = row.id;
    queryName = toImageSummary(row).name;
    queryHash = row.hash;
    const nh = deps.nearHash;
    if (nh) queryNear = rowHashes(nh, vectors).then(() => nearHashWords(nh.store.of(row.id)));
    const r = vectors.rowOf.get(row.id);
    query =
      r !== undefined
        ? vectors.matrix.slice(r * vectors.dim, (r + 1) * vectors.dim)
        : await embedOutside(deps, set, row.path, row.path, space);
  } else {
    queryName = req.query.fileName;
    const bytes = Buffer.from(req.query.dataBase64, 'base64');
    query = await embedOutside(deps, set, bytes, req.query.fileName, space);
    if (deps.nearHash) queryNear = fileNearHash(deps.nearHash, bytes);
  }

  const allow = allowMask(vectors, req.folderIds ?? [], req.includeExcluded ?? false);
  const self = queryImageId !== null ? vectors.rowOf.get(queryImageId) : undefined;
  if (self !== undefined) allow[self] = 0;
  const approx = deps.approximate() && vectors.n >= deps.approxMinImages ? await approximateIndex(vectors) : null;
  const search: Searcher = approx ? approxSearcher(approx.index, allow) : (q, want) => vectors.index.search(q, 1, want, { allow });
  const dedupe = req.hideDuplicates ?? false;
  let hits = await topHits(vectors, search, query, k, dedupe ? queryHash : undefined, dedupe);
  // Filters can leave an approximate search short of k: exact search answers then.
  const exactFallback = approx !== null && hits.length < Math.min(k, countAllowed(allow));
  if (exactFallback)
    hits = await topHits(
      vectors,
      (q, want) => vectors.index.search(q, 1, want, { allow }),
      query,
      k,
      dedupe ? queryHash : undefined,
      dedupe,
    );
  // A file from outside: its copies in the library come first. A library image: the ranking stays
  // the embedding's (scores descending) and its copies among the hits are marked.
  if (queryImageId === null)
    hits = await nearFirst(deps, vectors, await queryNear, query, allow, hits, k, dedupe ? queryHash : undefined, dedupe);
  else hits = await markNear(deps, vectors, await queryNear, allow, hits);
  return {
    setId: set.id,
    space,
    queryImageId,
    queryName,
    hits: hits.map(({ row, score, near }) => ({
      image: toImageSummary(deps.library.imageRow(vectors.ids[row])!),
      score,
      ...(near ? { nearDuplicate: true } : {}),
    })),
    tookMs: performance.now() - t0,
    index: approx && !exactFallback ? 'approximate' : 'exact',
    recallAt10: approx ? approx.recallAt10 : null,
  };
}

interface Hit {
  row: number;
  score: number;
  /** matched by the perceptual hash */
  near?: boolean;
}

/**
 * Rows whose perceptual hash matches the query's come first (nearest hash first), then the
 * embedding's ranking without them; k in all.
 */
async function nearFirst(
  deps: SimilarDeps,
  v: SpaceVectors,
  queryNear: Uint32Array | null,
  query: Float32Array,
  allow: Uint8Array,
  hits: Hit[],
  k: number,
  queryHash: string | null | undefined,
  hideDuplicates: boolean,
): Promise<Hit[]> {
  if (!deps.nearHash || !queryNear) return hits;
  const cosine = (row: number) => {
    let s = 0;
    for (let i = 0; i < v.dim; i++) s += query[i] * v.matrix[row * v.dim + i];
    return s;
  };
  // Nearest hash first; equally near ones by their similarity in the embedding.
  const near = nearRows(await rowHashes(deps.nearHash, v), queryNear, allow)
    .map((r) => ({ ...r, score: cosine(r.row) }))
    .sort((x, y) => x.distance - y.distance || y.score - x.score || x.row - y.row);
  if (!near.length) return hits;
  const seen = new Set<string>(queryHash ? [queryHash] : []);
  const first: Hit[] = [];
  for (const { row, score } of near) {
    if (first.length >= k) break;
    if (hideDuplicates) {
      const h = v.facts.hash[row];
      if (seen.has(h)) continue;
      seen.add(h);
    }
    first.push({ row, score, near: true });
  }
  const taken = new Set(first.map((h) => h.row));
  const rest = hits.filter((h) => !taken.has(h.row) && !(hideDuplicates && seen.has(v.facts.hash[h.row])));
  return [...first, ...rest].slice(0, k);
}

/** Marks the hits whose perceptual hash matches the query's, keeping their order. */
async function markNear(deps: SimilarDeps, v: SpaceVectors, queryNear: Uint32Array | null, allow: Uint8Array, hits: Hit[]): Promise<Hit[]> {
  if (!deps.nearHash || !queryNear) return hits;
  const near = new Set(nearRows(await rowHashes(deps.nearHash, v), queryNear, allow).map((r) => r.row));
  return hits.map((h) => (near.has(h.row) ? { ...h, near: true } : h));
}

type Searcher = (query: Float32Array, want: number) => Promise<TopKResult>;

/** HNSW has no filter: it is asked for more neighbours and the disallowed ones are dropped. */
function approxSearcher(index: ApproxIndex, allow: Uint8Array): Searcher {
  return async (query, want) => {
    const r = await index.search(query, 1, Math.min(allow.length, want * 4 + 16));
    const rows: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < r.counts[0] && rows.length < want; i++) {
      if (!allow[r.rows[i]]) continue;
      rows.push(r.rows[i]);
      scores.push(r.scores[i]);
    }
    return { k: want, rows: Int32Array.from(rows), scores: Float32Array.from(scores), counts: Int32Array.of(rows.length) };
  };
}

function countAllowed(allow: Uint8Array): number {
  let n = 0;
  for (const a of allow) n += a;
  return n;
}

/** 1 for rows a search may return. */
function allowMask(v: SpaceVectors, folderIds: readonly number[], includeExcluded: boolean): Uint8Array {
  const folders = folderIds.length ? new Set(folderIds) : null;
  const allow = new Uint8Array(v.n);
  for (let i = 0; i < v.n; i++) {
    allow[i] = (includeExcluded || !v.facts.excluded[i]) && (!folders || folders.has(v.facts.folderId[i])) ? 1 : 0;
  }
  return allow;
}

/**
 * The k best allowed rows. Hiding duplicates drops rows whose content hash equals the query's or
 * an earlier hit's; it asks the index for more rows until k distinct ones are found or none are left.
 */
async function topHits(
  v: SpaceVectors,
  search: Searcher,
  query: Float32Array,
  k: number,
  queryHash: string | null | undefined,
  hideDuplicates: boolean,
): Promise<Hit[]> {
  let want = hideDuplicates ? 2 * k + 8 : k;
  for (;;) {
    const { rows, scores } = hitsOf(await search(query, want), 0);
    const out: { row: number; score: number }[] = [];
    const seen = new Set<string>(queryHash ? [queryHash] : []);
    for (let i = 0; i < rows.length && out.length < k; i++) {
      const row = rows[i];
      if (hideDuplicates) {
        const h = v.facts.hash[row];
        if (seen.has(h)) continue;
        seen.add(h);
      }
      out.push({ row, score: scores[i] });
    }
    if (out.length >= k || !hideDuplicates || rows.length < want || want >= v.n) return out;
    want = Math.min(v.n, want * 4);
  }
}

async function embedOutside(
  deps: SimilarDeps,
  set: { id: number; runId: number; checkpointStep: number },
  input: string | Buffer,
  name: string,
  space: 'features' | 'embedding',
): Promise<Float32Array> {
  const run = deps.runs.get(set.runId);
  if (!run) throw new NotFoundError(`${WHERE}: expected the run of set ${set.id}, got none (it was deleted)`);
  let vec;
  try {
    vec = await deps.embeddings.queryEncoders.embedFile(set, run.config, input);
  } catch (err) {
    if (err instanceof NotFoundError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new InvalidInputError(
      `${WHERE}: expected an image file (JPEG, PNG, WebP, AVIF, GIF, TIFF), got ${name}, which cannot be decoded (${why})`,
    );
  }
  const q = space === 'features' ? vec.features : vec.embedding;
  return normalizeRows(Float32Array.from(q), 1, q.length);
}

// Near-duplicate groups for review: similar pairs found once per set and space at the lowest
// threshold the slider offers (kept until the vectors or the library change), then groups at the
// threshold asked for and a curve of group counts for a live count while the slider moves.
import type { NearDuplicateRequest, NearDuplicateResult } from '../../api/contract';
import { toImageSummary } from '../db/rows';
import {
  countAt,
  findSimilarPairs,
  groupCountCurve,
  groupsAt,
  type FixedPairs,
  type GroupCountCurve,
  type SimilarPairs,
} from './near-duplicates';
import { nearPairs, rowCosine, rowHashes } from './near-hash-rows';
import type { SimilarDeps } from './similar';
import type { SpaceVectors } from './vector-cache';

/** Pairs are collected down to this similarity (or the request's, if lower). */
export const SLIDER_MIN = 0.8;
const CURVE_STEP = 0.005;
/** Pairs kept at most; past it the lowest thresholds are incomplete (reported as truncated). */
const MAX_PAIRS = 2_000_000;

interface Found {
  pairs: SimilarPairs;
  /** pairs the perceptual hash matched: near-duplicates at every threshold */
  fixed: FixedPairs;
  curve: GroupCountCurve;
}

// Keyed by the cached matrices, so pairs go when the vector cache drops them.
const found = new WeakMap<SpaceVectors, Map<string, Promise<Found>>>();

function pairsFor(deps: SimilarDeps, v: SpaceVectors, minScore: number, includeExcluded: boolean): Promise<Found> {
  let byKey = found.get(v);
  if (!byKey) found.set(v, (byKey = new Map()));
  const key = `${minScore}:${includeExcluded}`;
  let p = byKey.get(key);
  if (!p) {
    const allow = includeExcluded ? undefined : Uint8Array.from(v.facts.excluded, (e) => (e ? 0 : 1));
    p = (async () => {
      const pairs = await findSimilarPairs(v.index, minScore, { maxPairs: MAX_PAIRS, onLimit: 'truncate', ...(allow ? { allow } : {}) });
      const fixed = await hashPairs(deps, v, allow);
      return { pairs, fixed, curve: groupCountCurve(pairs, fixed) };
    })();
    byKey.set(key, p);
    p.catch(() => byKey.delete(key));
  }
  return p;
}

/** Pairs of rows whose perceptual hashes match, with their cosine similarity in the space. */
async function hashPairs(deps: SimilarDeps, v: SpaceVectors, allow: Uint8Array | undefined): Promise<FixedPairs> {
  if (!deps.nearHash) return { a: new Int32Array(0), b: new Int32Array(0), scores: new Float32Array(0) };
  const { a, b } = nearPairs(await rowHashes(deps.nearHash, v), allow);
  return { a, b, scores: Float32Array.from(a, (ai, i) => rowCosine(v, ai, b[i])) };
}

export async function findNearDuplicates(deps: SimilarDeps, req: NearDuplicateRequest): Promise<NearDuplicateResult> {
  const t0 = performance.now();
  const set = deps.embeddings.searchableSet('findNearDuplicates', req.setId);
  // The head's output is what MoCo trains to be invariant to crops, colour and blur: the space for
  // "the same photo, altered". Pooled features (after a ReLU, all >= 0) are close for most pairs.
  const space = req.space ?? 'embedding';
  const includeExcluded = req.includeExcluded ?? true;
  const v = deps.embeddings.vectors.get(set.id, space, set.featureDim, set.outDim);
  const { pairs, fixed, curve } = await pairsFor(deps, v, Math.min(SLIDER_MIN, req.threshold), includeExcluded);
  // A truncated search is complete only above its raised floor.
  const threshold = Math.max(req.threshold, pairs.minScore);
  const groups = groupsAt(pairs, threshold, fixed).map((g) => ({
    maxScore: g.maxScore,
    minScore: g.minScore,
    byHash: g.byHash,
    images: [...g.rows].map((r) => {
      const row = deps.library.imageRow(v.ids[r])!;
      return { ...toImageSummary(row), takenAt: row.taken_at };
    }),
  }));
  const points: { threshold: number; groups: number }[] = [];
  for (let t = Math.ceil(pairs.minScore / CURVE_STEP) * CURVE_STEP; t <= 1 + 1e-9; t += CURVE_STEP) {
    const at = Math.min(1, Math.round(t * 1000) / 1000);
    points.push({ threshold: at, groups: countAt(curve, at).groups });
  }
  return { setId: set.id, threshold, groups, curve: points, truncated: pairs.truncated, tookMs: performance.now() - t0 };
}

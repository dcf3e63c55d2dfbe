import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';
import { ExactIndex } from '../../../src-main/core/search/exact';
import {
  countAt,
  findSimilarPairs,
  groupCountCurve,
  groupsAt,
  pairsAtLeast,
  UnionFind,
  type SimilarPairs,
} from '../../../src-main/core/search/near-duplicates';
import { dotRows, normalizeRows } from '../../../src-main/core/search/vec-math';

function unitRows(seed: number, n: number, d: number): Float32Array {
  return normalizeRows(new Rng(seed).normal(n * d), n, d);
}

/** Every pair a < b with score >= t by a plain double loop, as "a,b" keys. */
function bruteForcePairs(x: Float32Array, n: number, d: number, t: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      const s = dotRows(x, a, x, b, d);
      if (s >= t) out.set(`${a},${b}`, s);
    }
  return out;
}

function keys(p: SimilarPairs): string[] {
  return Array.from(p.a, (a, i) => `${a},${p.b[i]}`);
}

/** n random rows with planted groups: each group is one source row plus noisy copies at other rows. */
function planted(seed: number, n: number, d: number, sizes: number[]) {
  const rng = new Rng(seed);
  const x = unitRows(seed + 100, n, d);
  const perm = rng.permutation(n);
  const groups: number[][] = [];
  let next = 0;
  for (const size of sizes) {
    const rows = Array.from(perm.subarray(next, next + size)).sort((a, b) => a - b);
    next += size;
    const src = x.slice(rows[0] * d, (rows[0] + 1) * d);
    for (const r of rows.slice(1)) {
      const noise = rng.normal(d, 0, 0.03);
      for (let j = 0; j < d; j++) x[r * d + j] = src[j] + noise[j];
      normalizeRows(x.subarray(r * d, (r + 1) * d), 1, d);
    }
    groups.push(rows);
  }
  return { x, groups };
}

describe.each(['onnx', 'js'] as const)('findSimilarPairs (%s engine)', (engine) => {
  const n = 1300; // more than one 1024-row query block
  const d = 48;
  const x = unitRows(1, n, d);

  it('finds exactly the pairs a full double loop finds, sorted by score then rows', async () => {
    const t = 0.45; // random 48-d unit rows: a few hundred pairs this similar
    const want = bruteForcePairs(x, n, d, t);
    for (const blockFloats of [undefined, 3000]) {
      const p = await findSimilarPairs(new ExactIndex(x, n, d, { engine }), t, { blockFloats });
      expect(p.truncated).toBe(false);
      expect(p.minScore).toBe(t);
      expect(new Set(keys(p))).toEqual(new Set(want.keys()));
      expect(want.size).toBeGreaterThan(50);
      for (let i = 0; i < p.scores.length; i++) {
        expect(p.a[i]).toBeLessThan(p.b[i]);
        expect(Math.abs(p.scores[i] - want.get(`${p.a[i]},${p.b[i]}`)!)).toBeLessThan(1e-5);
        if (i) expect(p.scores[i - 1] > p.scores[i] || (p.scores[i - 1] === p.scores[i] && p.a[i - 1] <= p.a[i])).toBe(true);
      }
    }
  });

  it('keeps to the allowed rows', async () => {
    const allow = new Uint8Array(n).map((_, i) => (i % 3 ? 1 : 0));
    const p = await findSimilarPairs(new ExactIndex(x, n, d, { engine }), 0.45, { allow });
    const want = [...bruteForcePairs(x, n, d, 0.45).keys()].filter((k) => k.split(',').every((r) => Number(r) % 3 !== 0));
    expect(new Set(keys(p))).toEqual(new Set(want));
  });
});

describe('findSimilarPairs at the pair cap', () => {
  const n = 600;
  const d = 8; // low dimension: many similar pairs
  const x = unitRows(2, n, d);
  const index = new ExactIndex(x, n, d);

  it('fails with a clear error by default', async () => {
    await expect(findSimilarPairs(index, 0.5, { maxPairs: 1000 })).rejects.toThrow(
      /^findSimilarPairs: expected at most 1000 pairs at similarity >= 0.5, got more \(stopped at row 0 of 600\); raise the threshold or maxPairs$/,
    );
  });

  it('or keeps every pair above a raised floor, and says so', async () => {
    const p = await findSimilarPairs(index, 0.5, { maxPairs: 1000, onLimit: 'truncate', blockFloats: 100 * 100 });
    expect(p.truncated).toBe(true);
    expect(p.requestedMinScore).toBe(0.5);
    expect(p.minScore).toBeGreaterThan(0.5);
    expect(p.scores.length).toBeLessThanOrEqual(1000);
    expect(p.scores.length).toBeGreaterThan(500);
    const full = await findSimilarPairs(index, 0.5, { maxPairs: 1_000_000 });
    const m = pairsAtLeast(full, p.minScore);
    expect(keys(p)).toEqual(keys(full).slice(0, m));
    expect(() => groupsAt(p, 0.5)).toThrow(`groupsAt: expected a threshold >= ${p.minScore} (the pairs are incomplete below it), got 0.5`);
  });
});

describe('near-duplicate groups', () => {
  it('puts planted near-copies in one group each and leaves unrelated images out', async () => {
    const sizes = [5, 3, 2, 2, 4, 2];
    const { x, groups } = planted(3, 2000, 64, sizes);
    const pairs = await findSimilarPairs(new ExactIndex(x, 2000, 64), 0.9);
    const found = groupsAt(pairs, 0.9);
    const want = [...groups].sort((a, b) => b.length - a.length || a[0] - b[0]);
    expect(found.map((g) => Array.from(g.rows))).toEqual(want);
    for (const g of found) {
      expect(g.minScore).toBeGreaterThanOrEqual(0.9);
      expect(g.maxScore).toBeGreaterThanOrEqual(g.minScore);
      expect(g.maxScore).toBeLessThanOrEqual(1.00001);
    }
  });

  it('joins a chain whose ends are not similar (transitivity)', async () => {
    // Unit vectors at angles 0, θ, 2θ, 3θ in a plane: neighbours have cos θ = 0.95, the ends much less.
    const theta = Math.acos(0.95);
    const d = 4;
    const x = new Float32Array(6 * d);
    for (let i = 0; i < 4; i++) x.set([Math.cos(i * theta), Math.sin(i * theta), 0, 0], i * d);
    x.set([0, 0, 1, 0], 4 * d);
    x.set([0, 0, 0, 1], 5 * d);
    const pairs = await findSimilarPairs(new ExactIndex(x, 6, d), 0.9);
    expect(keys(pairs).sort()).toEqual(['0,1', '1,2', '2,3']); // equal up to rounding: any order
    const groups = groupsAt(pairs, 0.9);
    expect(groups.map((g) => Array.from(g.rows))).toEqual([[0, 1, 2, 3]]);
    expect(dotRows(x, 0, x, 3, d)).toBeLessThan(0.9);

    const uf = new UnionFind(5);
    expect(uf.union(0, 1)).toBe(true);
    expect(uf.union(1, 2)).toBe(true);
    expect(uf.union(0, 2)).toBe(false);
    expect(uf.find(2)).toBe(uf.find(0));
    expect(uf.find(3)).not.toBe(uf.find(0));
    expect(uf.sizeOf(1)).toBe(3);
  });

  it('sorts groups by size, then by smallest row', async () => {
    const pairs: SimilarPairs = {
      n: 12,
      a: Int32Array.of(9, 2, 0, 5, 7),
      b: Int32Array.of(10, 3, 1, 6, 11),
      scores: Float32Array.of(0.99, 0.98, 0.97, 0.96, 0.95),
      minScore: 0.9,
      requestedMinScore: 0.9,
      truncated: false,
    };
    // Five groups of two; then 10-11 instead of 7-11 makes one group of three.
    const pairs2 = { ...pairs, a: Int32Array.of(9, 2, 0, 5, 10), b: Int32Array.of(10, 3, 1, 6, 11) };
    expect(groupsAt(pairs, 0.9).map((g) => Array.from(g.rows))).toEqual([
      [0, 1],
      [2, 3],
      [5, 6],
      [7, 11],
      [9, 10],
    ]);
    expect(groupsAt(pairs2, 0.9).map((g) => Array.from(g.rows))).toEqual([
      [9, 10, 11],
      [0, 1],
      [2, 3],
      [5, 6],
    ]);
    expect(groupsAt(pairs2, 0.975).map((g) => Array.from(g.rows))).toEqual([
      [2, 3],
      [9, 10],
    ]);
  });

  it('gives the slider the same counts as regrouping from scratch, at any threshold', async () => {
    // Clustered data: groups form, grow and merge as the threshold falls.
    const n = 800;
    const d = 16;
    const rng = new Rng(4);
    const centres = unitRows(5, 40, d);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = rng.int(40);
      const noise = rng.normal(d, 0, 0.25);
      for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j] + noise[j];
    }
    normalizeRows(x, n, d);
    const pairs = await findSimilarPairs(new ExactIndex(x, n, d), 0.6);
    const curve = groupCountCurve(pairs);
    expect(pairs.scores.length).toBeGreaterThan(2000);
    const thresholds = [0.6, 0.61, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01];
    for (let i = 0; i < 60; i++) thresholds.push(pairs.scores[Math.floor(rng.next() * pairs.scores.length)]);
    const counts = new Set<number>();
    for (const t of thresholds) {
      const groups = groupsAt(pairs, t);
      expect(countAt(curve, t)).toEqual({ groups: groups.length, rows: groups.reduce((s, g) => s + g.rows.length, 0) });
      counts.add(groups.length);
    }
    expect(counts.size).toBeGreaterThan(10);
    expect(() => countAt(curve, 0.5)).toThrow('countAt: expected a threshold >= 0.6');
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src-main/api/errors';
import { Rng } from '../../../src-main/core/moco/rng';
import { ExactIndex, hitsOf, type TopKResult } from '../../../src-main/core/search/exact';
import { TopK } from '../../../src-main/core/search/topk';
import { dotRows, normalizeRows } from '../../../src-main/core/search/vec-math';

const ENGINES = ['onnx', 'js'] as const;

function unitRows(seed: number, n: number, d: number): Float32Array {
  return normalizeRows(new Rng(seed).normal(n * d), n, d);
}

/** Full sort of every row a query may return: the definition exact search must meet. */
function bruteForce(
  x: Float32Array,
  n: number,
  d: number,
  q: Float32Array,
  nq: number,
  k: number,
  mayReturn: (query: number, row: number) => boolean,
) {
  return Array.from({ length: nq }, (_, qi) => {
    const all: { row: number; score: number }[] = [];
    for (let r = 0; r < n; r++) if (mayReturn(qi, r)) all.push({ row: r, score: dotRows(q, qi, x, r, d) });
    all.sort((a, b) => b.score - a.score || a.row - b.row);
    return all.slice(0, k);
  });
}

function expectSame(got: TopKResult, want: { row: number; score: number }[][]): void {
  want.forEach((hits, q) => {
    const mine = hitsOf(got, q);
    expect(Array.from(mine.rows)).toEqual(hits.map((h) => h.row));
    hits.forEach((h, i) => expect(Math.abs(mine.scores[i] - h.score)).toBeLessThan(1e-5));
    for (let i = hits.length; i < got.k; i++) expect(got.rows[q * got.k + i]).toBe(-1);
  });
}

describe.each(ENGINES)('ExactIndex (%s engine)', (engine) => {
  const n = 1500;
  const d = 67; // odd: no kernel may assume a multiple of its vector width
  const x = unitRows(1, n, d);
  const queries = unitRows(2, 64, d);
  const everything = () => true;

  it(`uses the ${engine} engine`, async () => {
    expect(await new ExactIndex(x, n, d, { engine }).engineName()).toBe(engine);
  });

  it('equals a full sort for one query and for a batch of 64, ids and scores', async () => {
    const index = new ExactIndex(x, n, d, { engine });
    const one = await index.search(queries.subarray(0, d), 1, 10);
    expect(one.k).toBe(10);
    expectSame(one, bruteForce(x, n, d, queries, 1, 10, everything));
    expectSame(await index.search(queries, 64, 10), bruteForce(x, n, d, queries, 64, 10, everything));
  });

  it('merges many small blocks (rows and queries) into the same answer', async () => {
    // 70 floats per block: 64 queries get 1 row per block; 3 queries get 23-row blocks, fewer than k.
    const index = new ExactIndex(x, n, d, { engine, blockFloats: 70 });
    expectSame(await index.search(queries, 64, 10), bruteForce(x, n, d, queries, 64, 10, everything));
    expectSame(await index.search(queries.subarray(0, 3 * d), 3, 30), bruteForce(x, n, d, queries, 3, 30, everything));
  });

  it('returns only allowed rows, and every allowed row when k exceeds them', async () => {
    const rng = new Rng(3);
    const allow = new Uint8Array(n).map(() => (rng.next() < 0.3 ? 1 : 0));
    const index = new ExactIndex(x, n, d, { engine, blockFloats: 64 * 200 });
    expectSame(
      await index.search(queries, 64, 10, { allow }),
      bruteForce(x, n, d, queries, 64, 10, (_, r) => allow[r] === 1),
    );

    const few = new Uint8Array(n);
    for (const r of [7, 300, 301, 1499, 42]) few[r] = 1;
    const r = await index.search(queries, 64, 20, { allow: few });
    expect(r.k).toBe(20);
    expect(Array.from(r.counts)).toEqual(new Array(64).fill(5));
    expectSame(
      r,
      bruteForce(x, n, d, queries, 64, 20, (_, row) => few[row] === 1),
    );

    const none = await index.search(queries, 64, 5, { allow: new Uint8Array(n) });
    expect(Array.from(none.counts)).toEqual(new Array(64).fill(0));
    expect(none.rows.every((row) => row === -1)).toBe(true);
  });

  it('excludes listed rows (a few, and many) and each query itself', async () => {
    const index = new ExactIndex(x, n, d, { engine, blockFloats: 64 * 300 });
    // The queries are library rows, so each one's best hit is itself unless excluded.
    const selfRows = Array.from({ length: 16 }, (_, i) => i * 90 + 5);
    const q = new Float32Array(16 * d);
    selfRows.forEach((r, i) => q.set(x.subarray(r * d, (r + 1) * d), i * d));
    const plain = await index.search(q, 16, 10);
    expect(Array.from({ length: 16 }, (_, i) => plain.rows[i * 10])).toEqual(selfRows);

    const few = [selfRows[0], 11, 12];
    const many = Array.from({ length: 100 }, (_, i) => i * 15);
    for (const excludeRows of [few, many]) {
      const banned = new Set(excludeRows);
      const got = await index.search(q, 16, 10, { excludeRows, excludeSelf: selfRows });
      expectSame(
        got,
        bruteForce(x, n, d, q, 16, 10, (qi, r) => r !== selfRows[qi] && !banned.has(r)),
      );
    }
    const mixed = selfRows.map((r, i) => (i % 2 ? r : -1));
    expectSame(
      await index.search(q, 16, 10, { excludeSelf: mixed }),
      bruteForce(x, n, d, q, 16, 10, (qi, r) => r !== mixed[qi]),
    );
  });

  it('handles a library smaller than k and one block, and no queries', async () => {
    const small = unitRows(4, 7, 5);
    const q = unitRows(5, 3, 5);
    const r = await new ExactIndex(small, 7, 5, { engine }).search(q, 3, 50);
    expect(r.k).toBe(7);
    expectSame(r, bruteForce(small, 7, 5, q, 3, 7, everything));
    const empty = await new ExactIndex(small, 7, 5, { engine }).search(new Float32Array(0), 0, 5);
    expect(empty.rows.length).toBe(0);
  });

  it('orders equal scores by row, across blocks', async () => {
    const base = unitRows(6, 200, 16);
    const q = base.slice(3 * 16, 4 * 16);
    for (const r of [150, 77, 199]) base.set(q, r * 16); // rows 3, 77, 150 and 199 are one vector
    const want = [3, 77, 150, 199];
    for (const blockFloats of [undefined, 50]) {
      const r = await new ExactIndex(base, 200, 16, { engine, blockFloats }).search(q, 1, 4);
      expect(Array.from(r.rows)).toEqual(want);
      expect(new Set(r.scores).size).toBe(1);
      const cut = await new ExactIndex(base, 200, 16, { engine, blockFloats }).search(q, 1, 2);
      expect(Array.from(cut.rows)).toEqual([3, 77]);
    }
  });
});

describe('ExactIndex input checks', () => {
  const x = unitRows(7, 10, 4);
  const index = new ExactIndex(x, 10, 4, { engine: 'js' });

  it('rejects a matrix of the wrong size', () => {
    expect(() => new ExactIndex(x, 11, 4)).toThrow(
      new InvalidInputError('ExactIndex: expected the vectors to hold 11 x 4 = 44 values, got 40'),
    );
  });

  it('rejects bad queries, k, masks and rows with where/expected/got messages', async () => {
    const q = new Float32Array(4);
    await expect(index.search(new Float32Array(5), 1, 3)).rejects.toThrow(
      'ExactIndex.search: expected the queries to hold 1 x 4 = 4 values, got 5',
    );
    await expect(index.search(Float32Array.of(0, NaN, 0, 0), 1, 3)).rejects.toThrow(
      'ExactIndex.search: expected finite values in the queries, got NaN at row 0, column 1',
    );
    await expect(index.search(q, 1, 0)).rejects.toThrow('ExactIndex.search: expected k to be an integer >= 1, got 0');
    await expect(index.search(q, 1, 3, { allow: new Uint8Array(9) })).rejects.toThrow(
      'expected allow to hold one byte per row (10), got 9',
    );
    await expect(index.search(q, 1, 3, { allow: new Uint8Array(10).fill(2) })).rejects.toThrow(
      'expected allow to hold 0 or 1, got 2 at row 0',
    );
    await expect(index.search(q, 1, 3, { excludeRows: [10] })).rejects.toThrow(
      'expected excludeRows[0] to be an integer in [0, 9], got 10',
    );
    await expect(index.search(q, 1, 3, { excludeSelf: [1, 2] })).rejects.toThrow(
      'expected excludeSelf to hold one row per query (1), got 2',
    );
  });
});

describe('TopK', () => {
  it('keeps the k best of a stream in (score desc, row asc) order, whatever the arrival order', () => {
    const rng = new Rng(8);
    const scores = Float32Array.from({ length: 500 }, () => Math.round(rng.next() * 50) / 50); // many ties
    const want = Array.from(scores, (s, row) => ({ s, row }))
      .sort((a, b) => b.s - a.s || a.row - b.row)
      .slice(0, 25);
    for (const order of [rng.permutation(500), rng.permutation(500)]) {
      const top = new TopK(1, 25);
      for (const row of order) top.push(0, row, scores[row]);
      const r = top.result();
      expect(Array.from(r.rows)).toEqual(want.map((w) => w.row));
      expect(Array.from(r.scores)).toEqual(want.map((w) => w.s));
    }
  });
});

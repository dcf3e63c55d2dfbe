import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';
import { ApproxIndex, gatherRows, measureRecall, sampleRows } from '../../../src-main/core/search/approx';
import { ExactIndex } from '../../../src-main/core/search/exact';
import { normalizeRows } from '../../../src-main/core/search/vec-math';

const n = 3000;
const d = 32;
const dir = mkdtempSync(join(tmpdir(), 'approx-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomRows(seed: number, m = n): Float32Array {
  return normalizeRows(new Rng(seed).normal(m * d), m, d);
}

/** Rows around 30 centres, the usual shape of image embeddings: near neighbours share a cluster. */
function clusteredRows(rng: Rng, centres: Float32Array, m: number): Float32Array {
  const x = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    const c = rng.int(30);
    const noise = rng.normal(d, 0, 0.3);
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j] + noise[j];
  }
  return normalizeRows(x, m, d);
}

/** A library and 200 fresh queries from the same distribution (not library rows: no free self-match). */
function dataset(name: 'random' | 'clustered'): { x: Float32Array; q: Float32Array } {
  if (name === 'random') return { x: randomRows(1), q: randomRows(2, 200) };
  const rng = new Rng(3);
  const centres = rng.normal(30 * d);
  return { x: clusteredRows(rng, centres, n), q: clusteredRows(rng, centres, 200) };
}

describe.each(['random', 'clustered'] as const)('ApproxIndex on %s data', (name) => {
  it('reaches a recall@10 against exact search above 0.9', async () => {
    const { x, q } = dataset(name);
    const approx = await ApproxIndex.build(x, n, d, { expansionAdd: 64, expansionSearch: 64 });
    expect(approx.size).toBe(n);
    expect(approx.d).toBe(d);
    const report = await measureRecall(approx, new ExactIndex(x, n, d), q, 200, 10);
    console.info(`approx recall@10 on ${name} data (n ${n}, d ${d}, M 16, ef 64, 200 fresh queries): ${report.recall.toFixed(4)}`);
    expect(report.k).toBe(10);
    expect(report.perQuery.length).toBe(200);
    expect(report.recall).toBeGreaterThan(0.9);
    expect(report.recall).toBeLessThanOrEqual(1);
  });
});

describe('ApproxIndex', () => {
  const x = randomRows(3);

  it('finds each row as its own best match, with its score', async () => {
    const approx = await ApproxIndex.build(x, n, d, { expansionAdd: 32 });
    const q = gatherRows(x, d, [5, 2999]);
    const r = await approx.search(q, 2, 4);
    expect(r.k).toBe(4);
    expect([r.rows[0], r.rows[4]]).toEqual([5, 2999]);
    expect(Math.abs(r.scores[0] - 1)).toBeLessThan(1e-5);
    expect(Array.from(r.counts)).toEqual([4, 4]);
    for (let i = 1; i < 4; i++) expect(r.scores[i]).toBeLessThanOrEqual(r.scores[i - 1]);
  });

  it('saves, loads and views with the same answers', async () => {
    const approx = await ApproxIndex.build(x, n, d, { expansionAdd: 32 });
    const path = join(dir, 'index.usearch');
    approx.save(path);
    const q = gatherRows(x, d, sampleRows(n, 20, 9));
    const before = await approx.search(q, 20, 10);
    for (const reopened of [ApproxIndex.load(path), ApproxIndex.view(path)]) {
      expect(reopened.size).toBe(n);
      expect(reopened.d).toBe(d);
      const after = await reopened.search(q, 20, 10);
      expect(Array.from(after.rows)).toEqual(Array.from(before.rows));
    }
  });

  it('reports progress while building and can be cancelled', async () => {
    const seen: number[] = [];
    await ApproxIndex.build(x, n, d, { expansionAdd: 16 }, { onProgress: (added) => seen.push(added) });
    expect(seen[seen.length - 1]).toBe(n);
    const ctl = new AbortController();
    ctl.abort();
    await expect(ApproxIndex.build(x, n, d, {}, { signal: ctl.signal })).rejects.toThrow();
  });

  it('rejects a file that is not an index, and bad queries', async () => {
    const bad = join(dir, 'not-an-index');
    writeFileSync(bad, 'hello');
    expect(() => ApproxIndex.load(bad)).toThrow(/^ApproxIndex.load: expected a usearch index file, got .*not-an-index/);
    const approx = await ApproxIndex.build(x.subarray(0, 10 * d), 10, d);
    await expect(approx.search(new Float32Array(d - 1), 1, 3)).rejects.toThrow(
      `ApproxIndex.search: expected the queries to hold 1 x ${d} = ${d} values, got ${d - 1}`,
    );
    const r = await approx.search(x.subarray(0, d), 1, 50);
    expect(r.k).toBe(10);
  });
});

describe('sampleRows', () => {
  it('draws distinct rows, sorted, the same for the same seed', () => {
    const a = sampleRows(1000, 100, 5);
    expect(new Set(a).size).toBe(100);
    expect(Array.from(a)).toEqual(Array.from(a).sort((p, q) => p - q));
    expect(a.every((r) => r >= 0 && r < 1000)).toBe(true);
    expect(Array.from(sampleRows(1000, 100, 5))).toEqual(Array.from(a));
    expect(Array.from(sampleRows(1000, 100, 6))).not.toEqual(Array.from(a));
    expect(Array.from(sampleRows(5, 5))).toEqual([0, 1, 2, 3, 4]);
  });
});

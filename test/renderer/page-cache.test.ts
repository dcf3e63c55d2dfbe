import { describe, expect, it } from 'vitest';
import type { Page } from '../../src-main/api/contract';
import { PageCache } from '../../src-renderer/src/lib/page-cache';

/** A list of `total` numbered items served with a delay, recording every request. */
function source(total: () => number, label = 'v1') {
  const requests: [number, number][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const load = async (offset: number, limit: number): Promise<Page<string>> => {
    requests.push([offset, limit]);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    const n = total();
    const items: string[] = [];
    for (let i = offset; i < Math.min(n, offset + limit); i++) items.push(`${label}:${i}`);
    return { total: n, offset, items };
  };
  return { load, requests, maxInFlight: () => maxInFlight };
}

const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

describe('PageCache', () => {
  it('loads the first page to learn the total, then only pages in view', async () => {
    const src = source(() => 100_000);
    let changes = 0;
    const cache = new PageCache({ load: src.load, pageSize: 100, onChange: () => changes++ });
    expect(cache.total).toBeNull();
    cache.want(0, 0);
    await settle();
    expect(cache.total).toBe(100_000);
    expect(cache.get(5)).toBe('v1:5');
    expect(changes).toBe(1);

    cache.want(50_050, 50_180);
    await settle();
    expect(src.requests).toEqual([
      [0, 100],
      [50_000, 100],
      [50_100, 100],
    ]);
    expect(cache.get(50_179)).toBe('v1:50179');
    expect(cache.get(40_000)).toBeUndefined();
  });

  it('does not load a page twice and never beyond the total', async () => {
    const src = source(() => 250);
    const cache = new PageCache({ load: src.load, pageSize: 100 });
    cache.want(0, 100);
    cache.want(0, 100);
    await settle();
    cache.want(0, 1000);
    await settle();
    expect(src.requests.map((r) => r[0])).toEqual([0, 100, 200]);
    expect(cache.get(249)).toBe('v1:249');
    expect(cache.get(250)).toBeUndefined();
  });

  it('keeps at most `concurrency` loads in flight and drops pages no longer wanted', async () => {
    const src = source(() => 100_000);
    const cache = new PageCache({ load: src.load, pageSize: 10, concurrency: 2 });
    cache.want(0, 10);
    await settle();
    cache.want(0, 200); // 20 pages wanted...
    cache.want(90_000, 90_010); // ...but the view jumped on before they loaded
    await settle(150);
    expect(src.maxInFlight()).toBeLessThanOrEqual(2);
    expect(cache.get(90_005)).toBe('v1:90005');
    // Only the two already in flight of the abandoned wish were fetched.
    expect(src.requests.length).toBeLessThanOrEqual(1 + 2 + 1);
  });

  it('shows old items after invalidate until fresh ones arrive', async () => {
    let label = 'v1';
    let n = 300;
    const load = async (offset: number, limit: number): Promise<Page<string>> => {
      const at = label;
      await new Promise((r) => setTimeout(r, 5));
      const items: string[] = [];
      for (let i = offset; i < Math.min(n, offset + limit); i++) items.push(`${at}:${i}`);
      return { total: n, offset, items };
    };
    const cache = new PageCache({ load, pageSize: 100 });
    cache.want(0, 150);
    await settle();
    label = 'v2';
    n = 120;
    cache.invalidate();
    expect(cache.get(10)).toBe('v1:10'); // still shown while reloading
    expect(cache.isFresh(10)).toBe(false);
    await settle();
    expect(cache.get(10)).toBe('v2:10');
    expect(cache.isFresh(10)).toBe(true);
    expect(cache.total).toBe(120);
    expect(cache.get(130)).toBeUndefined(); // beyond the new total
  });

  it('discards a load that answers after the list was reset', async () => {
    let label = 'old';
    const load = async (offset: number, limit: number): Promise<Page<string>> => {
      const at = label;
      await new Promise((r) => setTimeout(r, at === 'old' ? 30 : 1));
      return { total: 10, offset, items: Array.from({ length: Math.min(limit, 10) }, (_, i) => `${at}:${i}`) };
    };
    const cache = new PageCache({ load, pageSize: 100 });
    cache.want(0, 10);
    label = 'new';
    cache.reset();
    cache.want(0, 10);
    await settle(80);
    expect(cache.get(0)).toBe('new:0');
  });

  it('evicts the pages farthest from view beyond maxPages', async () => {
    const src = source(() => 10_000);
    const cache = new PageCache({ load: src.load, pageSize: 10, maxPages: 3 });
    for (const start of [0, 100, 200, 300, 400]) {
      cache.want(start, start + 10);
      await settle(20);
    }
    expect(cache.get(400)).toBe('v1:400');
    expect(cache.get(0)).toBeUndefined();
    expect(cache.get(100)).toBeUndefined();
  });

  it('reports a failed load and retries it on the next want', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const load = async (offset: number): Promise<Page<number>> => {
      if (fail) throw new Error('listImages: could not reach the app');
      return { total: 3, offset, items: [1, 2, 3] };
    };
    const cache = new PageCache({ load, onError: (e) => errors.push(e) });
    cache.want(0, 3);
    await settle(10);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('could not reach the app');
    expect(cache.get(0)).toBeUndefined();
    fail = false;
    cache.want(0, 3);
    await settle(10);
    expect(cache.get(2)).toBe(3);
  });

  it('refuses a bad page size', () => {
    expect(() => new PageCache({ load: async () => ({ total: 0, offset: 0, items: [] }), pageSize: 0 })).toThrow(
      'PageCache: expected pageSize to be a positive integer, got 0',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from '../../src-renderer/src/lib/route';
import { DEFAULT_VIEW, VIEWS } from '../../src-renderer/src/lib/views';
import { urlWithoutToken } from '../../src-renderer/src/lib/api/token';
import { backoffDelay } from '../../src-renderer/src/lib/api/backoff';

describe('routes', () => {
  it('maps a hash to a known view and anything else to the default', () => {
    expect(parseRoute('#/problems', VIEWS, DEFAULT_VIEW)).toBe('problems');
    expect(parseRoute('#duplicates', VIEWS, DEFAULT_VIEW)).toBe('duplicates');
    expect(parseRoute('#/problems/12?x=1', VIEWS, DEFAULT_VIEW)).toBe('problems');
    expect(parseRoute('', VIEWS, DEFAULT_VIEW)).toBe('library');
    expect(parseRoute('#/nope', VIEWS, DEFAULT_VIEW)).toBe('library');
  });
  it('round-trips every view through its hash', () => {
    for (const v of VIEWS) expect(parseRoute(routeHash(v.id), VIEWS, DEFAULT_VIEW)).toBe(v.id);
  });
});

describe('urlWithoutToken', () => {
  it('drops the token and keeps the rest of the address', () => {
    expect(urlWithoutToken('http://127.0.0.1:5123/?token=abc')).toBe('/');
    expect(urlWithoutToken('http://127.0.0.1:5123/?token=abc&x=1#/problems')).toBe('/?x=1#/problems');
  });
  it('leaves an address without a token alone', () => {
    expect(urlWithoutToken('http://127.0.0.1:5123/#/library')).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, plus bounded jitter', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, 500, 10_000, 0.2, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000,
    ]);
    expect(backoffDelay(60, 500, 10_000, 0.2, none)).toBe(10_000);
    expect(backoffDelay(1, 500, 10_000, 0.2, () => 0.999)).toBe(1200);
  });
  it('refuses a negative or fractional attempt', () => {
    expect(() => backoffDelay(-1)).toThrow('backoffDelay: expected attempt to be an integer >= 0, got -1');
    expect(() => backoffDelay(1.5)).toThrow(/got 1.5/);
  });
});

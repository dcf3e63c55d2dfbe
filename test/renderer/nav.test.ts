import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from '../../src-renderer/src/lib/route';
import { DEFAULT_VIEW, VIEWS } from '../../src-renderer/src/lib/views';
import { takeCredentials, urlWithoutToken } from '../../src-renderer/src/lib/api/token';
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

describe('takeCredentials', () => {
  function fakeWindow(href: string, stored: Record<string, string> = {}, mediaKey: string | null = 'M3d') {
    const replaced: string[] = [];
    const win = {
      location: { href },
      history: { state: null, replaceState: (_s: unknown, _u: string, url: string) => void replaced.push(url) },
      sessionStorage: {
        getItem: (k: string) => stored[k] ?? null,
        setItem: (k: string, v: string) => void (stored[k] = v),
      },
      document: {
        querySelector: (sel: string) =>
          sel === 'meta[name="moco-media-key"]' && mediaKey !== null
            ? { getAttribute: (n: string) => (n === 'content' ? mediaKey : null) }
            : null,
      },
    };
    return { win, replaced, stored };
  }

  it('takes the token from the address once, keeps it for this tab and cleans the address', () => {
    const { win, replaced, stored } = fakeWindow('http://127.0.0.1:5123/?token=abc#/problems');
    expect(takeCredentials(win)).toEqual({ token: 'abc', mediaKey: 'M3d' });
    expect(replaced).toEqual(['/#/problems']);
    expect(stored).toEqual({ 'moco-studio-token': 'abc' });
  });

  it('falls back to the token this tab kept, and says when there is none', () => {
    expect(takeCredentials(fakeWindow('http://127.0.0.1:5123/', { 'moco-studio-token': 'kept' }).win).token).toBe('kept');
    expect(takeCredentials(fakeWindow('http://127.0.0.1:5123/', {}, null).win)).toEqual({ token: null, mediaKey: null });
  });
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, plus bounded jitter', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, 500, 10_000, 0.2, none))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(backoffDelay(60, 500, 10_000, 0.2, none)).toBe(10_000);
    expect(backoffDelay(1, 500, 10_000, 0.2, () => 0.999)).toBe(1200);
  });
  it('refuses a negative or fractional attempt', () => {
    expect(() => backoffDelay(-1)).toThrow('backoffDelay: expected attempt to be an integer >= 0, got -1');
    expect(() => backoffDelay(1.5)).toThrow(/got 1.5/);
  });
});

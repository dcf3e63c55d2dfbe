// The token of the web host stays with the page the host served. Cookies ignore ports, so a token
// cookie would reach every other server on 127.0.0.1; here a second local server on another port
// serves a page in the same Chromium profile and must get neither the token nor the library's
// images, while the app page keeps working (reload included).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './helpers/browser';
import { makePhotoSet } from './helpers/photos';
import { tempDir } from './helpers/temp';
import { startHost, type RunningHost } from './helpers/web-host';

let host: RunningHost;
let browser: Browser;
let other: Server;
let otherOrigin: string;
const otherSaw: IncomingHttpHeaders[] = [];
let images = 0;
const cleanups: (() => Promise<void>)[] = [];

async function api(method: string, args: unknown[] = []): Promise<any> {
  const res = await fetch(`${host.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}` },
    body: JSON.stringify({ method, args }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  const tmp = await tempDir('token');
  cleanups.push(tmp.remove);
  const photos = join(tmp.path, 'photos');
  await mkdir(photos);
  images = (await makePhotoSet(photos, 2)).images;
  host = await startHost(join(tmp.path, 'data'));
  cleanups.push(host.stop);
  await api('addFolder', [photos]);
  for (const start = Date.now(); (await api('getStatus')).images !== images;) {
    if (Date.now() - start > 60_000) throw new Error(`setup: expected ${images} images indexed within 60 s, got fewer`);
    await new Promise((r) => setTimeout(r, 200));
  }

  // Any other local web server: it records what the browser sends it.
  other = createServer((req, res) => {
    otherSaw.push(req.headers);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>another local app</title><p>hello</p>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise<void>((resolve) => other.close(() => resolve())));

  browser = await openBrowser(join(tmp.path, 'profile'));
  cleanups.push(browser.close);
});

afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function gridLoads(): Promise<void> {
  const page = browser.page;
  await page.waitForFunction(
    (n) => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>('[data-testid="image-grid"] img')];
      return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    images,
    { timeout: 30_000 },
  );
}

describe('the web host token in Chromium, beside another local server', () => {
  it('the app page works with no cookie at all, and again after a reload', async () => {
    const page = browser.page;
    await page.goto(host.url);
    await expect.poll(() => page.url()).not.toContain('token=');
    await gridLoads();
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await browser.context.cookies()).toEqual([]);
    // Thumbnails carry the media key, never the token.
    const src = await page.locator('[data-testid="image-grid"] img').first().getAttribute('src');
    expect(src).toMatch(/^\/media\/thumb\/\d+\?key=[A-Za-z0-9_-]{43}$/);
    expect(src).not.toContain(host.token);

    await page.reload();
    await expect.poll(() => page.url()).not.toContain('token=');
    await gridLoads();
    expect(await browser.context.cookies()).toEqual([]);
    expect(browser.problems).toEqual([]);
  });

  it('a page on another port of 127.0.0.1 never sees the token', async () => {
    const evil = await browser.context.newPage();
    await evil.goto(`${otherOrigin}/`);
    expect(otherSaw.length).toBeGreaterThan(0);
    for (const headers of otherSaw) {
      expect(headers.cookie).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain(host.token);
    }
    expect(await evil.evaluate(() => document.cookie)).toBe('');
    const storage = await evil.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    expect(storage).not.toContain(host.token);

    const app = host.origin;
    const body = JSON.stringify({ method: 'getStatus', args: [] });
    // A cross-origin call is blocked (its preflight meets no CORS; the host refuses the foreign Origin).
    const readable = await evil.evaluate(
      async ([url, b]) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b, credentials: 'include' }).then(
          (r) => `read ${r.status}`,
          () => 'blocked',
        ),
      [`${app}/api/call`, body] as const,
    );
    expect(readable).toBe('blocked');

    const socket = await evil.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onclose = () => resolve('closed');
        }),
      `${app.replace('http:', 'ws:')}/events`,
    );
    expect(socket).toBe('closed');
  });

  it('another port cannot load library images: not without the key, and CORP blocks even a leaked key', async () => {
    const page = browser.page;
    const keyed = (await page.locator('[data-testid="image-grid"] img').first().getAttribute('src')) ?? '';
    const [path] = keyed.split('?');
    const evil = await browser.context.newPage();
    await evil.goto(`${otherOrigin}/`);
    const load = (url: string) =>
      evil.evaluate(
        (u) =>
          new Promise<string>((resolve) => {
            const img = new Image();
            img.onload = () => resolve(`loaded ${img.naturalWidth}`);
            img.onerror = () => resolve('error');
            img.src = u;
          }),
        url,
      );
    expect(await load(`${host.origin}${path}`)).toBe('error');
    // Even holding the key, another origin is refused by Cross-Origin-Resource-Policy.
    expect(await load(`${host.origin}${keyed}`)).toBe('error');
    // ... while the app page loads the very same URL.
    expect(
      await page.evaluate(
        (u) =>
          new Promise<string>((resolve) => {
            const img = new Image();
            img.onload = () => resolve('loaded');
            img.onerror = () => resolve('error');
            img.src = u;
          }),
        keyed,
      ),
    ).toBe('loaded');
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvents, ImageSummary, Page } from '../../src-main/api/contract';
import { MAX_BODY_BYTES, startWebHost, type WebHost } from '../../src-main/hosts/web/server';
import { makeImageFolder, rawRequest, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let host: WebHost;
let photos: string;

beforeAll(async () => {
  tmp = tempDir('web');
  photos = join(tmp.dir, 'photos');
  await makeImageFolder(photos, 4);
  const staticDir = join(tmp.dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(
    join(staticDir, 'index.html'),
    '<!doctype html><title>MoCo Studio</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(staticDir, 'assets', 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7));
  host = await startWebHost({ dataDir: join(tmp.dir, 'data'), port: 0, demoFolder: null, staticDir });
});

afterAll(async () => {
  await host?.close();
  tmp?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${host.token}` });

function call(method: string, args: unknown[] = [], headers: Record<string, string> = auth()) {
  return rawRequest(host.port, '/api/call', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ method, args }),
  });
}

/** Opens /events and resolves once the socket is open or refused (with the HTTP status). */
function openEvents(headers: Record<string, string>, query = ''): Promise<{ ws: WebSocket; status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/events${query}`, { headers });
    ws.on('open', () => resolve({ ws, status: 101 }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ ws, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('web host access', () => {
  it('prints a local URL with the token and binds 127.0.0.1 only', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a request without a token with 401 JSON', async () => {
    const res = await rawRequest(host.port, '/');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toEqual({ ok: false, error: { name: 'Unauthorized', message: expect.stringMatching(/expected a token/) } });
    expect((await call('getStatus', [], {})).status).toBe(401);
  });

  it('refuses a wrong token', async () => {
    const res = await rawRequest(host.port, '/?token=not-the-token');
    expect(res.status).toBe(401);
    expect(res.json().error.message).toMatch(/does not match/);
    expect((await call('getStatus', [], { authorization: 'Bearer x' + host.token })).status).toBe(401);
  });

  it('refuses a foreign Origin even with the token', async () => {
    const res = await call('getStatus', [], { ...auth(), origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.json().error.message).toMatch(
      /expected Origin http:\/\/127\.0\.0\.1:\d+ or http:\/\/localhost:\d+, got "http:\/\/evil\.example"/,
    );
    const other = await call('getStatus', [], { ...auth(), origin: `http://127.0.0.1:${host.port + 1}` });
    expect(other.status).toBe(403);
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', async () => {
    const res = await rawRequest(host.port, `/?token=${host.token}`, { headers: { host: `evil.example:${host.port}` } });
    expect(res.status).toBe(403);
    expect(res.json().error.message).toMatch(/expected Host/);
    const ok = await rawRequest(host.port, '/', {
      headers: { host: `localhost:${host.port}`, ...auth(), origin: `http://localhost:${host.port}` },
    });
    expect(ok.status).toBe(200);
  });

  it('serves the app with the token and its media key, and sets no cookie', async () => {
    const res = await rawRequest(host.port, `/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>MoCo Studio</title>');
    // Cookies ignore ports: any other server on 127.0.0.1 would receive one.
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).toContain(`<meta name="moco-media-key" content="${host.mediaKey}">`);
    expect(res.text).not.toContain(host.token);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port} ws://localhost:${host.port}`);

    // The app's own files hold no data and need no token (a <script> cannot send one).
    const asset = await rawRequest(host.port, '/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.headers['set-cookie']).toBeUndefined();
  });

  it('no longer accepts the old token cookie', async () => {
    const cookie = `moco_token_${host.port}=${host.token}`;
    expect((await rawRequest(host.port, '/', { headers: { cookie } })).status).toBe(401);
    expect((await call('getStatus', [], { cookie })).status).toBe(401);
    expect((await rawRequest(host.port, '/media/thumb/1', { headers: { cookie } })).status).toBe(401);
    expect((await openEvents({ cookie, origin: `http://127.0.0.1:${host.port}` })).status).toBe(401);
  });

  it('answers a browser reloading the page without a token with a page that reopens it', async () => {
    const res = await rawRequest(host.port, '/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    // 200: a reload is normal, and the page holds nothing but the script that reopens it
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('moco-media-key');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<script src="/reopen.js"></script>');
    expect(res.text).toMatch(/expected a token .*got none/);
    const stale = await rawRequest(host.port, '/?token=stale', { headers: { accept: 'text/html' } });
    expect(stale.status).toBe(401);
    expect(stale.text).toMatch(/does not match/);
    const script = await rawRequest(host.port, '/reopen.js');
    expect(script.status).toBe(200);
    expect(script.text).toContain('sessionStorage');
    // The API still answers JSON
    const api = await rawRequest(host.port, '/api/call', {
      method: 'POST',
      headers: { accept: 'text/html', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.headers['content-type']).toMatch(/application\/json/);
  });

  it('serves nothing outside the app folder', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../photos/img-0.jpg', '/nope.js']) {
      const res = await rawRequest(host.port, path, { headers: auth() });
      expect(res.status, path).toBe(404);
    }
  });
});

describe('web host API', () => {
  it('answers getStatus for the web host', async () => {
    const res = await call('getStatus');
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.ok).toBe(true);
    expect(body.result.host).toBe('web');
    expect(body.result.images).toBe(0);
  });

  it('adds a folder, pushes scan events over the socket, then lists its images', async () => {
    const { ws, status } = await openEvents({ ...auth(), origin: `http://127.0.0.1:${host.port}` });
    expect(status).toBe(101);
    const events: { event: keyof ApiEvents; payload: any }[] = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data))));

    const added = await call('addFolder', [photos]);
    expect(added.status).toBe(200);
    expect(added.json().result.path).toBe(photos);
    const last = await host.studio.waitForScan();
    expect(last?.phase).toBe('done');

    const list = await call('listImages', [{ limit: 100 }]);
    const page = list.json().result as Page<ImageSummary>;
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.name).sort()).toEqual(['img-0.jpg', 'img-1.png', 'img-2.jpg', 'img-3.png']);

    await expect.poll(() => events.some((e) => e.event === 'scan.progress' && e.payload.phase === 'done')).toBe(true);
    expect(events.every((e) => ['scan.progress', 'library.changed', 'watch.status'].includes(e.event))).toBe(true);
    ws.close();
  });

  it('answers 400 with a clear message for a wrong method, wrong arguments or bad JSON', async () => {
    const unknown = await call('dropDatabase');
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toEqual({
      ok: false,
      error: { name: 'InvalidInput', message: expect.stringMatching(/^api: expected one of getStatus, .*got "dropDatabase"/) },
    });

    const badArgs = await call('getImage', ['12']);
    expect(badArgs.status).toBe(400);
    expect(badArgs.json().error.message).toMatch(/^getImage argument 0: /);

    const notArray = await rawRequest(host.port, '/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ method: 'getImage', args: 12 }),
    });
    expect(notArray.status).toBe(400);
    expect(notArray.json().error.message).toMatch(/expected an array of arguments/);

    const badJson = await rawRequest(host.port, '/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: '{"method": ',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.json().error.message).toMatch(/^api\/call: expected a JSON body \{method, args\}, got invalid JSON/);

    const notJson = await rawRequest(host.port, '/api/call', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...auth() },
      body: '{}',
    });
    expect(notJson.status).toBe(415);

    const get = await rawRequest(host.port, '/api/call', { headers: auth() });
    expect(get.status).toBe(405);
  });

  it('refuses a body over the size limit', async () => {
    const big = JSON.stringify({ method: 'addFolder', args: ['x'.repeat(MAX_BODY_BYTES + 10)] });
    const res = await rawRequest(host.port, '/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: big,
    });
    expect(res.status).toBe(413);
  });

  it('answers 404 for unknown ids and paths, 409 for a folder already added', async () => {
    const res = await call('getImage', [999_999]);
    expect(res.status).toBe(404);
    expect(res.json().error).toEqual({
      name: 'NotFound',
      message: expect.stringMatching(/^getImage: expected an image id in the library, got 999999/),
    });
    const missing = await call('addFolder', [join(tmp.dir, 'no-such-folder')]);
    expect(missing.status).toBe(404);
    const again = await call('addFolder', [photos]);
    expect(again.status).toBe(409);
    expect(again.json().error.name).toBe('Conflict');
  });

  it('pickFolder has no picker in the web host', async () => {
    expect((await call('pickFolder')).json()).toEqual({ ok: true, result: null });
  });
});

describe('web host media', () => {
  it('serves a WebP thumbnail for a known image, revalidated by ETag', async () => {
    const page = (await call('listImages', [{ limit: 1 }])).json().result as Page<ImageSummary>;
    const id = page.items[0].id;
    const res = await rawRequest(host.port, `/media/thumb/${id}`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect((await sharp(res.body).metadata()).format).toBe('webp');

    const again = await rawRequest(host.port, `/media/thumb/${id}`, { headers: { ...auth(), 'if-none-match': String(res.headers.etag) } });
    expect(again.status).toBe(304);

    const preview = await rawRequest(host.port, `/media/preview/${id}`, { headers: auth() });
    expect(preview.status).toBe(200);
    expect(preview.headers['content-type']).toMatch(/^image\//);
    expect((await sharp(preview.body).metadata()).width).toBeGreaterThan(0);
  });

  it('answers 404 for an unknown id or a path-like id', async () => {
    for (const path of [
      '/media/thumb/999999',
      '/media/preview/999999',
      '/media/thumb/../../etc/passwd',
      '/media/thumb/..%2F..%2Fetc%2Fpasswd',
      '/media/thumb/1.5',
      '/media/file/1',
    ]) {
      const res = await rawRequest(host.port, path, { headers: auth() });
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('root:');
    }
  });

  it('refuses media without the token', async () => {
    expect((await rawRequest(host.port, '/media/thumb/1')).status).toBe(401);
  });

  it('serves media to the media key, which opens nothing else', async () => {
    const page = (await call('listImages', [{ limit: 1 }])).json().result as Page<ImageSummary>;
    const id = page.items[0].id;
    const res = await rawRequest(host.port, `/media/thumb/${id}?key=${host.mediaKey}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect((await rawRequest(host.port, `/media/preview/${id}?key=${host.mediaKey}`)).status).toBe(200);
    expect((await rawRequest(host.port, `/media/thumb/${id}?key=${host.mediaKey}x`)).status).toBe(401);
    expect((await rawRequest(host.port, `/media/thumb/${id}?key=${host.token}`)).status).toBe(401);
    expect((await rawRequest(host.port, `/?token=${host.mediaKey}`)).status).toBe(401);
    expect((await call('getStatus', [], { authorization: `Bearer ${host.mediaKey}` })).status).toBe(401);
    expect((await openEvents({ authorization: `Bearer ${host.mediaKey}` })).status).toBe(401);
  });
});

describe('web host downloads', () => {
  it('says nothing in its log when a client leaves mid-download', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: host.port, path: '/assets/big.bin' }, (res) => {
            expect(res.statusCode).toBe(200);
            res.once('data', () => {
              req.destroy(); // the tab closed
              resolve();
            });
          });
          req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
          req.end();
        });
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(logged.mock.calls.map((c) => c.map(String).join(' '))).toEqual([]);
      // and the host still serves
      expect((await call('getStatus')).status).toBe(200);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('web host events socket', () => {
  it('refuses a socket without the token', async () => {
    expect((await openEvents({ origin: `http://127.0.0.1:${host.port}` })).status).toBe(401);
  });

  it('refuses a socket from a foreign Origin', async () => {
    expect((await openEvents({ ...auth(), origin: 'http://evil.example' })).status).toBe(403);
  });

  it('accepts the token as a subprotocol (what a browser can send), selects only the events protocol, and refuses other paths', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/events`, ['moco-events', `moco-token.${host.token}`]);
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    expect(ws.protocol).toBe('moco-events');
    ws.close();
    // a token in the URL is not taken for the socket
    expect((await openEvents({}, `?token=${host.token}`)).status).toBe(401);
    const other = await new Promise<number>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${host.port}/other`, ['moco-events', `moco-token.${host.token}`]);
      s.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      s.on('open', () => resolve(101));
    });
    expect(other).toBe(404);
  });
});

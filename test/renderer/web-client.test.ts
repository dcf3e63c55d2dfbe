import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ScanProgress } from '../../src-main/api/contract';
import {
  ApiCallError,
  createWebClient,
  type ConnectionState,
  type WebClient,
  type WebClientOptions,
} from '../../src-renderer/src/lib/api/web-client';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

type Reply = { status: number; type: string; body: string };

/** A tiny stand-in for the web host: answers /api/call with whatever `reply` says. */
async function startServer(reply: (body: { method: string; args: unknown[] }) => Reply) {
  const seen: Seen[] = [];
  const authorization: (string | undefined)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    authorization.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : null;
      seen.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body });
      const r = reply(body);
      res.writeHead(r.status, { 'content-type': r.type });
      res.end(r.body);
    });
  });
  const protocols: (string | undefined)[] = [];
  const wss = new WebSocketServer({
    server,
    path: '/events',
    handleProtocols: (offered) => (offered.has('moco-events') ? 'moco-events' : false),
  });
  wss.on('connection', (_ws, req) => protocols.push(req.headers['sec-websocket-protocol']));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    authorization,
    protocols,
    wss,
    broadcast(msg: unknown) {
      for (const c of wss.clients) c.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const json = (status: number, body: unknown): Reply => ({ status, type: 'application/json', body: JSON.stringify(body) });

// `ws` has the same onopen/onmessage/onclose surface as the browser's WebSocket.
const NodeSocket = WebSocket as unknown as WebClientOptions['WebSocket'];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function client(opts: WebClientOptions): WebClient {
  const c = createWebClient(opts);
  cleanups.push(() => c.close());
  return c;
}

function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`waitFor: expected ${what} within ${ms} ms`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('web client calls', () => {
  it('posts {method, args} as JSON and returns the result', async () => {
    const srv = await startServer((b) => json(200, { ok: true, result: { echo: b.args } }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl });
    const folders = await c.listImages({ offset: 5, limit: 10, sort: 'taken' });
    expect(folders).toEqual({ echo: [{ offset: 5, limit: 10, sort: 'taken' }] });
    expect(srv.seen[0]).toEqual({
      method: 'POST',
      url: '/api/call',
      contentType: 'application/json',
      body: { method: 'listImages', args: [{ offset: 5, limit: 10, sort: 'taken' }] },
    });
  });

  it('leaves out a trailing undefined argument instead of sending null', async () => {
    const srv = await startServer(() => json(200, { ok: true, result: null }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl });
    await c.rescan(undefined);
    await c.rescan(3);
    expect(srv.seen.map((s) => s.body)).toEqual([
      { method: 'rescan', args: [] },
      { method: 'rescan', args: [3] },
    ]);
  });

  it('turns a void result (no `result` key) into null', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    await expect(client({ baseUrl: srv.baseUrl }).cancelScan()).resolves.toBeNull();
  });

  it('throws the app error with its name and message, whatever the HTTP status', async () => {
    const srv = await startServer((b) =>
      json(b.method === 'getImage' ? 404 : 200, {
        ok: false,
        error: { name: b.method === 'getImage' ? 'NotFound' : 'Conflict', message: `${b.method}: expected x, got y` },
      }),
    );
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl });
    const err = await c.getImage(99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect((err as Error).name).toBe('NotFound');
    expect((err as Error).message).toBe('getImage: expected x, got y');
    await expect(c.rescan()).rejects.toMatchObject({ name: 'Conflict', message: 'rescan: expected x, got y' });
  });

  it('says so when the reply is not JSON', async () => {
    const srv = await startServer(() => ({ status: 502, type: 'text/html', body: '<h1>Bad gateway</h1>' }));
    cleanups.push(srv.close);
    await expect(client({ baseUrl: srv.baseUrl }).getStatus()).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'getStatus: expected a JSON reply, got HTTP 502 (text/html)',
    });
  });

  it('says so when the JSON is not a reply', async () => {
    const srv = await startServer((b) => (b.method === 'listFolders' ? json(200, [1, 2]) : json(500, { ok: false, error: 'kaput' })));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl });
    await expect(c.listFolders()).rejects.toThrow('listFolders: expected a reply {ok, result|error}, got an array');
    await expect(c.getSettings()).rejects.toThrow('getSettings: expected an error {name, message}, got "kaput"');
  });

  it('reports an unreachable app as a network error', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    const baseUrl = srv.baseUrl;
    await srv.close();
    await expect(client({ baseUrl }).getStatus()).rejects.toMatchObject({
      name: 'NetworkError',
      message: expect.stringMatching(/^getStatus: could not reach the app \(/),
    });
  });

  it('sends the token as a Bearer header, on every call, and no cookie', async () => {
    const srv = await startServer(() => json(200, { ok: true, result: null }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl, token: 'T0k3n', mediaKey: 'M3d' });
    await c.getStatus();
    await c.listFolders();
    expect(srv.authorization).toEqual(['Bearer T0k3n', 'Bearer T0k3n']);
  });

  it('puts the media key, never the token, on media paths', () => {
    const c = client({ baseUrl: 'http://127.0.0.1:5123', token: 'T0k3n', mediaKey: 'M3d' });
    expect(c.thumbUrl(42)).toBe('/media/thumb/42?key=M3d');
    expect(c.previewUrl(7)).toBe('/media/preview/7?key=M3d');
  });

  it('gives same-origin media paths and says it is the web host', () => {
    const c = client({ baseUrl: 'http://127.0.0.1:5123' });
    expect(c.host).toBe('web');
    expect(c.thumbUrl(42)).toBe('/media/thumb/42');
    expect(c.previewUrl(7)).toBe('/media/preview/7');
  });
});

describe('web client events', () => {
  it('offers the token as a WebSocket subprotocol beside the events protocol', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl, token: 'T0k3n', WebSocket: NodeSocket, onError: () => {} });
    c.on('scan.progress', () => {});
    await waitFor(() => c.connection === 'open' && srv.protocols.length === 1, 'the socket to open');
    expect(srv.protocols).toEqual(['moco-events,moco-token.T0k3n']);
  });

  const progress: ScanProgress = {
    jobId: 'j',
    folderIds: [1],
    phase: 'processing',
    found: 10,
    processed: 4,
    skipped: 0,
    failed: 1,
    missing: 0,
    rate: 2,
    etaSeconds: 3,
    elapsedMs: 2000,
  };

  it('delivers events from /events to the listeners of that event only', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    const errors: unknown[] = [];
    const c = client({ baseUrl: srv.baseUrl, WebSocket: NodeSocket, onError: (e) => errors.push(e) });
    const got: ScanProgress[] = [];
    const changed: unknown[] = [];
    const off = c.on('scan.progress', (p) => got.push(p));
    c.on('library.changed', (p) => changed.push(p));
    await waitFor(() => c.connection === 'open' && srv.wss.clients.size === 1, 'the socket to open');

    srv.broadcast({ event: 'scan.progress', payload: progress });
    await waitFor(() => got.length === 1, 'one progress event');
    expect(got[0]).toEqual(progress);
    expect(changed).toEqual([]);

    off();
    srv.broadcast({ event: 'scan.progress', payload: progress });
    srv.broadcast({ event: 'library.changed', payload: { reason: 'scan' } });
    await waitFor(() => changed.length === 1, 'a library.changed event');
    expect(got).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('reports malformed messages and throwing listeners without losing later events', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    const errors: unknown[] = [];
    const c = client({ baseUrl: srv.baseUrl, WebSocket: NodeSocket, onError: (e) => errors.push(e) });
    const got: unknown[] = [];
    c.on('watch.status', () => {
      throw new Error('listener: expected to cope, got a bug');
    });
    c.on('watch.status', (w) => got.push(w));
    await waitFor(() => c.connection === 'open', 'the socket to open');
    srv.broadcast('not json');
    srv.broadcast({ payload: 1 });
    srv.broadcast({ event: 'watch.status', payload: { mode: 'events', message: null } });
    await waitFor(() => got.length === 1 && errors.length === 3, 'one event and three errors');
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'events: expected a JSON message, got "not json"',
      'events: expected a message {event, payload}, got object',
      'listener: expected to cope, got a bug',
    ]);
  });

  it('reconnects after the socket drops and keeps delivering', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl, WebSocket: NodeSocket, reconnect: { baseMs: 20, maxMs: 100 } });
    const states: ConnectionState[] = [];
    c.onConnectionChange((s) => states.push(s));
    const got: unknown[] = [];
    c.on('library.changed', (p) => got.push(p));
    await waitFor(() => c.connection === 'open', 'the socket to open');

    for (const s of srv.wss.clients) s.terminate();
    await waitFor(() => states.includes('closed'), 'the drop to be noticed');
    await waitFor(() => c.connection === 'open' && srv.wss.clients.size === 1, 'the socket to reopen');
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);

    srv.broadcast({ event: 'library.changed', payload: { reason: 'after reconnect' } });
    await waitFor(() => got.length === 1, 'an event after reconnecting');
    expect(got[0]).toEqual({ reason: 'after reconnect' });
  });

  it('stops reconnecting once closed', async () => {
    const srv = await startServer(() => json(200, { ok: true }));
    cleanups.push(srv.close);
    const c = client({ baseUrl: srv.baseUrl, WebSocket: NodeSocket, reconnect: { baseMs: 10, maxMs: 20 } });
    c.on('library.changed', () => {});
    await waitFor(() => c.connection === 'open', 'the socket to open');
    c.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(c.connection).toBe('closed');
    expect(srv.wss.clients.size).toBe(0);
  });
});

// The web host: the renderer, the API and its events over HTTP + WebSocket on 127.0.0.1,
// for a browser on this machine that holds this launch's token.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { API_EVENTS, type Unsubscribe } from '../../api/contract';
import { MAX_QUERY_FILE_BASE64 } from '../../api/search-contract';
import { EVENTS_PROTOCOL, REOPEN_SCRIPT_PATH, TOKEN_PARAM } from '../../api/web-protocol';
import { serializeError } from '../../api/errors';
import { createStudio } from '../../core/studio';
import type { Studio } from '../../core/studio-types';
import { APP_VERSION, rendererDir } from '../app-info';
import { contentSecurityPolicy } from '../csp';
import { createDispatch, statusForError } from '../dispatch';
import { MEDIA_CACHE_CONTROL, loadMedia, parseMediaPath } from '../media';
import { cacheControlFor, contentTypeFor, resolveStaticPath } from '../static-files';
import { checkAccess, checkPlace, newGate, type Credential, type Gate } from './auth';
import { HttpError, clientLeft, httpErrorName, readBody, sendError, sendJson } from './http-util';
import { REOPEN_SCRIPT, reopenPage, wantsHtml, withMediaKey } from './page';

export const BIND_ADDRESS = '127.0.0.1';
// A call carries at most one photo (searchSimilar by an outside file: MAX_QUERY_FILE_BYTES as
// base64, 4/3 of it, 85.3 MiB), so the limit sits just above that; everything else is far smaller.
export const MAX_BODY_BYTES = 88 * 1024 * 1024;
if (MAX_BODY_BYTES < MAX_QUERY_FILE_BASE64 + 64 * 1024) {
  throw new Error('web host: expected the body limit above the largest search file as base64');
}
// Which credentials each part of the host takes (see auth.ts): the token opens the page and the
// API; the media key reads images only.
const PAGE_ACCESS: readonly Credential[] = ['query', 'bearer'];
const API_ACCESS: readonly Credential[] = ['bearer'];
const MEDIA_ACCESS: readonly Credential[] = ['mediaKey', 'bearer'];
const EVENTS_ACCESS: readonly Credential[] = ['protocol', 'bearer'];

export interface WebHostOptions {
  /** where the library database and thumbnail cache live */
  dataDir: string;
  /** defaults to library.db in dataDir */
  dbPath?: string;
  /** 0 (the default) picks any free port */
  port?: number;
  /** folder added on first start; null for none */
  demoFolder?: string | null;
  /** the built renderer; defaults to out/renderer of this install */
  staticDir?: string;
  /** an open studio to serve; the caller then closes it */
  studio?: Studio;
}

export interface WebHost {
  /** the URL to open, with the token */
  url: string;
  port: number;
  token: string;
  /** this launch's media key (image reads only) */
  mediaKey: string;
  studio: Studio;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`web host: expected to listen on ${BIND_ADDRESS}:${port}, got ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen(port, BIND_ADDRESS, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function splitUrl(raw: string): { path: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`web host: expected a port 0..65535, got ${port}`);
  }
  const server = createServer();
  await listen(server, port);
  const bound = (server.address() as AddressInfo).port;

  let studio: Studio;
  try {
    studio =
      opts.studio ??
      (await createStudio({
        dataDir: opts.dataDir,
        dbPath: opts.dbPath,
        host: 'web',
        capabilities: { label: 'web host', watchFolders: true },
        demoFolder: opts.demoFolder ?? null,
        appVersion: APP_VERSION,
      }));
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }

  const gate: Gate = newGate(bound);
  const staticDir = opts.staticDir ?? rendererDir();
  const dispatch = createDispatch(studio.api, { pickFolder: async () => null });
  const csp = contentSecurityPolicy({ connect: [`ws://127.0.0.1:${bound}`, `ws://localhost:${bound}`] });

  async function serveCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new HttpError(405, `api/call: expected POST, got ${req.method}`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpError(415, `api/call: expected Content-Type application/json, got ${JSON.stringify(type || 'none')}`);
    }
    const text = await readBody(req, MAX_BODY_BYTES);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, `api/call: expected a JSON body {method, args}, got invalid JSON (${(err as Error).message})`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, `api/call: expected a JSON object {method, args}, got ${Array.isArray(body) ? 'an array' : typeof body}`);
    }
    const { method, args = [] } = body as { method?: unknown; args?: unknown };
    try {
      const result = await dispatch(method, args);
      sendJson(res, 200, { ok: true, result: result ?? null });
    } catch (err) {
      const error = serializeError(err);
      const status = statusForError(error.name);
      if (status === 500) console.error(`web host: ${String(method)} failed:`, err);
      sendError(res, status, error);
    }
  }

  async function serveMedia(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `media: expected GET, got ${req.method}`);
    }
    const ref = parseMediaPath(path);
    if (!ref) throw new HttpError(404, `media: expected thumb/<id> or preview/<id>, got ${JSON.stringify(path)}`);
    let media;
    try {
      media = await loadMedia(studio, ref);
    } catch (err) {
      const error = serializeError(err);
      const status = statusForError(error.name);
      if (status === 500) console.error(`web host: ${ref.kind} of image ${ref.id} failed:`, err);
      sendError(res, status, error);
      return;
    }
    res.setHeader('Content-Type', media.contentType);
    res.setHeader('Cache-Control', MEDIA_CACHE_CONTROL);
    res.setHeader('ETag', media.etag);
    if (req.headers['if-none-match'] === media.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const { body } = media;
    res.setHeader('Content-Length', 'bytes' in body ? body.bytes.length : body.size);
    if (req.method === 'HEAD') return void res.end();
    if ('bytes' in body) return void res.end(body.bytes);
    await pipeline(createReadStream(body.file), res);
  }

  /** `/`: the app's page, with this launch's media key in it; never cached (the key changes). */
  async function servePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `web host: expected GET for the page, got ${req.method}`);
    }
    const file = resolveStaticPath(staticDir, '/');
    const html = file
      ? await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
          throw err;
        })
      : null;
    if (html === null) throw new HttpError(503, `web host: expected the built app in ${staticDir}, got none (run npm run build)`);
    const body = Buffer.from(withMediaKey(html, gate.mediaKey));
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, page = false): void {
    if (page && status === 401 && wantsHtml(req.headers.accept)) {
      // A reload (no token offered) is the normal case and gets 200: this page holds nothing but
      // the script that reopens with the tab's token. A wrong token is a real refusal.
      const offered = splitUrl(req.url ?? '/').query.has(TOKEN_PARAM) || req.headers.authorization !== undefined;
      const body = reopenPage(message);
      res.statusCode = offered ? 401 : 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
      return;
    }
    sendError(res, status, { name: httpErrorName(status), message });
  }

  async function serveStatic(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `web host: expected GET for ${path}, got ${req.method}`);
    }
    const file = resolveStaticPath(staticDir, path);
    if (!file) throw new HttpError(404, `web host: expected a file of the app, got ${JSON.stringify(path)}`);
    const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    });
    if (!st?.isFile()) {
      if (path === '/') {
        throw new HttpError(503, `web host: expected the built app in ${staticDir}, got none (run npm run build)`);
      }
      throw new HttpError(404, `web host: expected a file of the app, got ${JSON.stringify(path)}`);
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', contentTypeFor(file));
    res.setHeader('Content-Length', st.size);
    res.setHeader('Cache-Control', cacheControlFor(path));
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file), res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    // No other origin (another port of 127.0.0.1 included) may embed or read anything from here.
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    const { path, query } = splitUrl(req.url ?? '/');
    const place = checkPlace(req.headers, gate.port);
    if (place) return refuse(req, res, place.status, place.message);
    const page = path === '/' || path === '/index.html';
    const needs =
      path === '/api/call' || path === '/events' ? API_ACCESS : path.startsWith('/media/') ? MEDIA_ACCESS : page ? PAGE_ACCESS : null; // the app's own script and style files: the same bytes for everyone, no data
    if (needs) {
      const verdict = checkAccess(req.headers, query, gate, needs);
      if (!verdict.ok) return refuse(req, res, verdict.status, verdict.message, page);
    }
    if (path === '/api/call') return serveCall(req, res);
    if (path.startsWith('/media/')) return serveMedia(path.slice('/media/'.length), req, res);
    if (path === '/events') throw new HttpError(426, 'events: expected a WebSocket upgrade, got a plain request');
    if (page) return servePage(req, res);
    if (path === REOPEN_SCRIPT_PATH) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      return void res.end(req.method === 'HEAD' ? undefined : REOPEN_SCRIPT);
    }
    return serveStatic(path, req, res);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (clientLeft(err, res)) return void res.destroy();
      if (res.headersSent) {
        // The body was under way (a stream broke): all that is left is to drop the connection. (A
        // client that left mid-download is normal and was not logged above.)
        console.error(`web host: response to ${req.method} ${req.url?.split('?')[0]} broke:`, err);
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('Connection', 'close');
        sendError(res, err.status, { name: httpErrorName(err.status), message: err.message });
        return;
      }
      console.error(`web host: ${req.method} ${req.url?.split('?')[0]} failed:`, err);
      sendError(res, 500, serializeError(err));
    });
  });

  // Events: one subscription per event, fanned out to every connected socket.
  // A browser offers [EVENTS_PROTOCOL, moco-token.<T>]; the host selects the first and never echoes the token.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    handleProtocols: (offered) => (offered.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });
  const unsubscribe: Unsubscribe[] = API_EVENTS.map((event) =>
    studio.on(event, (payload) => {
      const message = JSON.stringify({ event, payload });
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
    }),
  );
  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', (err) => console.error('web host: event socket failed:', err.message));
  });

  function refuseUpgrade(socket: Duplex, status: number, message: string): void {
    const body = JSON.stringify({ ok: false, error: { name: httpErrorName(status), message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => console.error('web host: upgrade socket failed:', err.message));
    const { path, query } = splitUrl(req.url ?? '/');
    const verdict = checkAccess(req.headers, query, gate, EVENTS_ACCESS);
    if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.message);
    if (path !== '/events') return refuseUpgrade(socket, 404, `web host: expected a WebSocket on /events, got ${JSON.stringify(path)}`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const off of unsubscribe) off();
      for (const client of wss.clients) client.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (!opts.studio) await studio.close();
    })());

  return {
    url: `http://${BIND_ADDRESS}:${bound}/?token=${gate.token}`,
    port: bound,
    token: gate.token,
    mediaKey: gate.mediaKey,
    studio,
    close,
  };
}

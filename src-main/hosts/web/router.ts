// Every HTTP request: security headers, the place and credential checks each part of the host
// needs, then the part that answers it. Errors become JSON replies (or a dropped connection
// once a body was under way).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REOPEN_SCRIPT_PATH, TOKEN_PARAM } from '../../api/web-protocol';
import { serializeError } from '../../api/errors';
import type { Studio } from '../../core/studio-types';
import type { Dispatch } from '../dispatch';
import { serveCall } from './api-route';
import { checkAccess, checkPlace, type Credential, type Gate } from './auth';
import { HttpError, clientLeft, httpErrorName, sendError, splitUrl } from './http-util';
import { serveMedia } from './media-route';
import { reopenPage, wantsHtml } from './page';
import { servePage, serveReopenScript, serveStatic } from './static-route';

// Which credentials each part of the host takes (see auth.ts): the token opens the page and the
// API; the media key reads images only.
const PAGE_ACCESS: readonly Credential[] = ['query', 'bearer'];
const API_ACCESS: readonly Credential[] = ['bearer'];
const MEDIA_ACCESS: readonly Credential[] = ['mediaKey', 'bearer'];

export interface Site {
  studio: Studio;
  gate: Gate;
  dispatch: Dispatch;
  staticDir: string;
  csp: string;
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

function setSecurityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  // No other origin (another port of 127.0.0.1 included) may embed or read anything from here.
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** The credentials a path needs; null for the app's own script and style files (the same bytes for everyone, no data). */
function accessFor(path: string, page: boolean): readonly Credential[] | null {
  if (path === '/api/call' || path === '/events') return API_ACCESS;
  if (path.startsWith('/media/')) return MEDIA_ACCESS;
  return page ? PAGE_ACCESS : null;
}

async function handle(site: Site, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setSecurityHeaders(res, site.csp);
  const { path, query } = splitUrl(req.url ?? '/');
  const place = checkPlace(req.headers, site.gate.port);
  if (place) return refuse(req, res, place.status, place.message);
  const page = path === '/' || path === '/index.html';
  const needs = accessFor(path, page);
  if (needs) {
    const verdict = checkAccess(req.headers, query, site.gate, needs);
    if (!verdict.ok) return refuse(req, res, verdict.status, verdict.message, page);
  }
  if (path === '/api/call') return serveCall(site.dispatch, req, res);
  if (path.startsWith('/media/')) return serveMedia(site.studio, path.slice('/media/'.length), req, res);
  if (path === '/events') throw new HttpError(426, 'events: expected a WebSocket upgrade, got a plain request');
  if (page) return servePage(site.staticDir, site.gate.mediaKey, req, res);
  if (path === REOPEN_SCRIPT_PATH) return serveReopenScript(req, res);
  return serveStatic(site.staticDir, path, req, res);
}

/** The server's 'request' listener. */
export function requestListener(site: Site): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(site, req, res).catch((err: unknown) => {
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
  };
}

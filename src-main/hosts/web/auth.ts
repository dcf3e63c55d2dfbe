// Who may talk to the web host: only pages served by this host, in a browser on this machine,
// that hold this launch's token. Host and Origin checks stop DNS rebinding and cross-site
// requests; the token stops other local users and processes. There is no cookie: cookies ignore
// ports, so any other server on 127.0.0.1 would receive it. The page sends the token itself
// (Authorization: Bearer, or a WebSocket subprotocol), and media URLs carry a separate per-launch
// key that reads images and nothing else.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { MEDIA_KEY_PARAM, TOKEN_PARAM, TOKEN_PROTOCOL_PREFIX } from '../../api/web-protocol';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** How a request may prove itself; each path of the host accepts some of these. */
export type Credential =
  /** `?token=` in the URL: only for opening the page */
  | 'query'
  /** `Authorization: Bearer <token>` */
  | 'bearer'
  /** WebSocket subprotocol `moco-token.<token>` */
  | 'protocol'
  /** `?key=<media key>`: only for /media/ */
  | 'mediaKey';

export type Refusal = { ok: false; status: 401 | 403; message: string };
export type Verdict = { ok: true; via: Credential } | Refusal;

export interface Gate {
  port: number;
  token: string;
  /** a second per-launch secret, distinct from the token, that grants media reads only */
  mediaKey: string;
}

export function newGate(port: number): Gate {
  return { port, token: newToken(), mediaKey: newToken() };
}

function localAuthorities(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return localAuthorities(port).map((a) => `http://${a}`);
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the secret.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/** The token offered as a WebSocket subprotocol, or null. */
export function protocolToken(header: string | string[] | undefined): string | null {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}

/** Host and Origin: the request must come from this host's own address. */
export function checkPlace(headers: IncomingHttpHeaders, port: number): Refusal | null {
  const host = (headers.host ?? '').toLowerCase();
  if (!localAuthorities(port).includes(host)) {
    return {
      ok: false,
      status: 403,
      message: `web host: expected Host ${localAuthorities(port).join(' or ')}, got ${JSON.stringify(headers.host ?? '')}`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !allowedOrigins(port).includes(origin.toLowerCase())) {
    return {
      ok: false,
      status: 403,
      message: `web host: expected Origin ${allowedOrigins(port).join(' or ')}, got ${JSON.stringify(origin)}`,
    };
  }
  return null;
}

const DESCRIBE: Record<Credential, string> = {
  query: '?token=',
  bearer: 'Authorization: Bearer',
  protocol: `WebSocket subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>`,
  mediaKey: `?${MEDIA_KEY_PARAM}=`,
};

/**
 * Checks Host, Origin and then one of the credentials `accepts` lists. Cookies are never read:
 * a cookie would reach every port of 127.0.0.1.
 */
export function checkAccess(headers: IncomingHttpHeaders, query: URLSearchParams, gate: Gate, accepts: readonly Credential[]): Verdict {
  const place = checkPlace(headers, gate.port);
  if (place) return place;
  const offered: Record<Credential, () => string | null> = {
    query: () => query.get(TOKEN_PARAM),
    bearer: () => bearer(headers.authorization),
    protocol: () => protocolToken(headers['sec-websocket-protocol']),
    mediaKey: () => query.get(MEDIA_KEY_PARAM),
  };
  let any = false;
  for (const kind of accepts) {
    const value = offered[kind]();
    if (value === null) continue;
    any = true;
    if (sameSecret(value, kind === 'mediaKey' ? gate.mediaKey : gate.token)) return { ok: true, via: kind };
  }
  const ways = accepts.map((k) => DESCRIBE[k]).join(' or ');
  return {
    ok: false,
    status: 401,
    message: any
      ? `web host: expected the token of this launch (${ways}), got one that does not match (open the URL the web host printed)`
      : `web host: expected a token (${ways}), got none (open the URL the web host printed)`,
  };
}

// Who may talk to the web host: only pages served by this host, in a browser on this machine,
// that hold this launch's token. Host and Origin checks stop DNS rebinding and cross-site
// requests; the token stops other local users and processes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// Cookies are shared by every port of a host name, so the name carries the port: two web hosts
// running at once keep their own tokens.
export function tokenCookieName(port: number): string {
  return `moco_token_${port}`;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export type Verdict =
  | { ok: true; /** the token came in the query string: the page should get the cookie */ fromQuery: boolean }
  | { ok: false; status: 401 | 403; message: string };

export interface Gate {
  port: number;
  token: string;
}

function localAuthorities(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return localAuthorities(port).map((a) => `http://${a}`);
}

function sameToken(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/** Checks Host, Origin and token of a request or WebSocket upgrade. */
export function checkAccess(headers: IncomingHttpHeaders, query: URLSearchParams, gate: Gate): Verdict {
  const host = (headers.host ?? '').toLowerCase();
  if (!localAuthorities(gate.port).includes(host)) {
    return {
      ok: false,
      status: 403,
      message: `web host: expected Host ${localAuthorities(gate.port).join(' or ')}, got ${JSON.stringify(headers.host ?? '')}`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !allowedOrigins(gate.port).includes(origin.toLowerCase())) {
    return {
      ok: false,
      status: 403,
      message: `web host: expected Origin ${allowedOrigins(gate.port).join(' or ')}, got ${JSON.stringify(origin)}`,
    };
  }
  const fromQuery = query.get('token');
  const candidates: [string | null, boolean][] = [
    [fromQuery, true],
    [bearer(headers.authorization), false],
    [cookieValue(headers.cookie, tokenCookieName(gate.port)), false],
  ];
  let offered = false;
  for (const [token, isQuery] of candidates) {
    if (token === null) continue;
    offered = true;
    if (sameToken(token, gate.token)) return { ok: true, fromQuery: isQuery };
  }
  return {
    ok: false,
    status: 401,
    message: offered
      ? 'web host: expected the token of this launch, got a token that does not match (open the URL the web host printed)'
      : 'web host: expected a token (cookie, Authorization: Bearer or ?token=), got none (open the URL the web host printed)',
  };
}

export function tokenCookie(gate: Gate): string {
  return `${tokenCookieName(gate.port)}=${gate.token}; HttpOnly; SameSite=Strict; Path=/`;
}

// Small helpers for node:http responses and request bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SerializedError } from '../../api/contract';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Name an error carries on the wire for a plain HTTP failure. */
export function httpErrorName(status: number): string {
  switch (status) {
    case 400:
      return 'InvalidInput';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 413:
      return 'PayloadTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 503:
      return 'Unavailable';
    default:
      return 'Error';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: SerializedError): void {
  sendJson(res, status, { ok: false, error });
}

/** Reads the whole body as UTF-8, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `api/call: expected a body of at most ${limit} bytes, got ${declared}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new HttpError(413, `api/call: expected a body of at most ${limit} bytes, got more`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

const GONE_CODES = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether a response broke because the client left (closed the tab, scrolled past a thumbnail). */
export function clientLeft(err: unknown, res: ServerResponse): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined && GONE_CODES.has(code)) || res.socket?.destroyed === true;
}

/** A request URL's path and query, without parsing the path (it is matched as sent). */
export function splitUrl(raw: string): { path: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

/** Refuses any method but those in `allowed` with a 405 that names them. */
export function allowMethods(req: IncomingMessage, res: ServerResponse, allowed: readonly string[], message: string): void {
  if (allowed.includes(req.method ?? '')) return;
  res.setHeader('Allow', allowed.join(', '));
  throw new HttpError(405, `${message}, got ${req.method}`);
}

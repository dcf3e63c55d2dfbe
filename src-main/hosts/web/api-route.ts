// POST /api/call: one API call as JSON {method, args}, answered {ok, result} or {ok, error}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_QUERY_FILE_BASE64 } from '../../api/search-contract';
import { serializeError } from '../../api/errors';
import { statusForError, type Dispatch } from '../dispatch';
import { HttpError, allowMethods, readBody, sendError, sendJson } from './http-util';

// A call carries at most one photo (searchSimilar by an outside file: MAX_QUERY_FILE_BYTES as
// base64, 4/3 of it, 85.3 MiB), so the limit sits just above that; everything else is far smaller.
export const MAX_BODY_BYTES = 88 * 1024 * 1024;
if (MAX_BODY_BYTES < MAX_QUERY_FILE_BASE64 + 64 * 1024) {
  throw new Error('web host: expected the body limit above the largest search file as base64');
}

/** The call's JSON body, or a 415/400 that says what was wrong with it. */
async function readCall(req: IncomingMessage): Promise<{ method?: unknown; args?: unknown }> {
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
  return body as { method?: unknown; args?: unknown };
}

export async function serveCall(dispatch: Dispatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  allowMethods(req, res, ['POST'], 'api/call: expected POST');
  const { method, args = [] } = await readCall(req);
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

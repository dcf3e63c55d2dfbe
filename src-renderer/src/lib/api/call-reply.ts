// One call of the web host's API: `POST /api/call` with the token as `Authorization: Bearer`,
// and its reply read into a result or a thrown error that names the method.
import type { ApiMethod, SerializedError } from '$contract';

/** An error as the app reported it; `name` is the app's (InvalidInput, NotFound, ...). */
export class ApiCallError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 60 ? value.slice(0, 60) + '…' : value}"`;
  return typeof value;
}

function isSerializedError(e: unknown): e is SerializedError {
  return typeof e === 'object' && e !== null && typeof (e as SerializedError).message === 'string';
}

/** Turns one `/api/call` reply into a result or a thrown error. Exported for tests. */
export async function readCallReply(method: string, res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = res.headers.get('content-type') ?? 'no content type';
    throw new ApiCallError('ProtocolError', `${method}: expected a JSON reply, got HTTP ${res.status} (${type})`);
  }
  if (typeof body !== 'object' || body === null || typeof (body as { ok?: unknown }).ok !== 'boolean') {
    throw new ApiCallError('ProtocolError', `${method}: expected a reply {ok, result|error}, got ${describe(body)}`);
  }
  const reply = body as { ok: boolean; result?: unknown; error?: unknown };
  if (reply.ok) return reply.result ?? null;
  if (!isSerializedError(reply.error)) {
    throw new ApiCallError('ProtocolError', `${method}: expected an error {name, message}, got ${describe(reply.error)}`);
  }
  throw new ApiCallError(reply.error.name || 'Error', reply.error.message);
}

/** What a call needs: where the app is, how to fetch, and this launch's token. */
export interface CallTarget {
  base: URL;
  fetch: typeof fetch;
  token?: string | null;
}

/** Sends `method(...args)` to the app and reads the reply. */
export async function callApi(target: CallTarget, method: ApiMethod, args: unknown[]): Promise<unknown> {
  // JSON turns a trailing `undefined` into null, which the contract's optional arguments refuse.
  const trimmed = [...args];
  while (trimmed.length && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
  let res: Response;
  try {
    res = await target.fetch(new URL('/api/call', target.base), {
      method: 'POST',
      headers: target.token
        ? { 'content-type': 'application/json', authorization: `Bearer ${target.token}` }
        : { 'content-type': 'application/json' },
      credentials: 'omit',
      body: JSON.stringify({ method, args: trimmed }),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiCallError('NetworkError', `${method}: could not reach the app (${why})`);
  }
  return readCallReply(method, res);
}

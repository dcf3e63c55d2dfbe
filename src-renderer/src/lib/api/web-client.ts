// The ApiClient of the web host: calls are `POST /api/call`, events arrive on a WebSocket at
// `/events`, image bytes at `/media/...`. No cookie is involved: calls carry the token as
// `Authorization: Bearer`, the event socket as a subprotocol (browsers cannot set its headers),
// and image URLs carry the media key, which reads images and nothing else.
import type { Api, ApiClient, ApiEventName, ApiEvents, ApiMethod, ApiArgs, ApiResult, SerializedError, Unsubscribe } from '$contract';
import { API_METHODS } from '$contract';
import { EVENTS_PROTOCOL, MEDIA_KEY_PARAM, TOKEN_PROTOCOL_PREFIX } from '$contract/web-protocol';
import { backoffDelay } from './backoff';
import { EventHub } from './event-hub';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The part of the browser WebSocket this client uses (the `ws` package matches it too). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface WebClientOptions {
  /** origin of the web host, e.g. "http://127.0.0.1:5123"; the page's own origin in a browser */
  baseUrl: string;
  fetch?: typeof fetch;
  /** this launch's token, sent with every call and on the event socket */
  token?: string | null;
  /** this launch's media key, put on image URLs */
  mediaKey?: string | null;
  /** constructor of WebSockets; omit to get no events (calls still work) */
  WebSocket?: new (url: string, protocols?: string[]) => SocketLike;
  /** errors that belong to no call: bad event messages, throwing listeners */
  onError?: (err: unknown) => void;
  reconnect?: { baseMs?: number; maxMs?: number };
}

export interface WebClient extends ApiClient {
  readonly connection: ConnectionState;
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** stops the event socket and its reconnects */
  close(): void;
}

/** An error as the app reported it; `name` is the app's (InvalidInput, NotFound, ...). */
export class ApiCallError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function describe(value: unknown): string {
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

export function createWebClient(opts: WebClientOptions): WebClient {
  const base = new URL(opts.baseUrl);
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  // Without a handler, rethrow outside the caller's stack so the page's error handler sees it.
  const reportError =
    opts.onError ??
    ((err: unknown) =>
      setTimeout(() => {
        throw err;
      }));
  const hub = new EventHub(reportError);
  const connectionListeners = new Set<(s: ConnectionState) => void>();
  let connection: ConnectionState = 'closed';
  let socket: SocketLike | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  async function call(method: ApiMethod, args: unknown[]): Promise<unknown> {
    // JSON turns a trailing `undefined` into null, which the contract's optional arguments refuse.
    const trimmed = [...args];
    while (trimmed.length && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
    let res: Response;
    try {
      res = await doFetch(new URL('/api/call', base), {
        method: 'POST',
        headers: opts.token
          ? { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` }
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

  function setConnection(state: ConnectionState): void {
    if (state === connection) return;
    connection = state;
    for (const l of [...connectionListeners]) {
      try {
        l(state);
      } catch (err) {
        reportError(err);
      }
    }
  }

  function onMessage(data: unknown): void {
    let msg: unknown;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      reportError(new ApiCallError('ProtocolError', `events: expected a JSON message, got ${describe(String(data))}`));
      return;
    }
    const event = (msg as { event?: unknown } | null)?.event;
    if (typeof event !== 'string') {
      reportError(new ApiCallError('ProtocolError', `events: expected a message {event, payload}, got ${describe(msg)}`));
      return;
    }
    hub.emit(event, (msg as { payload?: unknown }).payload);
  }

  function connect(): void {
    const Socket = opts.WebSocket;
    if (!Socket || closed || socket) return;
    const url = new URL('/events', base);
    url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    setConnection('connecting');
    let s: SocketLike;
    try {
      s = opts.token ? new Socket(url.toString(), [EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + opts.token]) : new Socket(url.toString());
    } catch (err) {
      reportError(err);
      scheduleReconnect();
      return;
    }
    socket = s;
    s.onopen = () => {
      attempt = 0;
      setConnection('open');
    };
    s.onmessage = (ev) => onMessage(ev.data);
    s.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      setConnection('closed');
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    const delay = backoffDelay(attempt++, opts.reconnect?.baseMs, opts.reconnect?.maxMs);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): Unsubscribe {
    const off = hub.on(event, listener);
    connect(); // the socket opens with the first listener
    return off;
  }

  const mediaQuery = opts.mediaKey ? `?${MEDIA_KEY_PARAM}=${encodeURIComponent(opts.mediaKey)}` : '';
  const mediaUrl = (kind: 'thumb' | 'preview', id: number): string =>
    new URL(`/media/${kind}/${encodeURIComponent(id)}`, base).pathname + mediaQuery;

  const method = <M extends ApiMethod>(name: M): Api[M] =>
    ((...args: ApiArgs<M>) => call(name, args) as Promise<ApiResult<M>>) as unknown as Api[M];

  // Every method of the contract, forwarded as is: API_METHODS is checked against Api at compile time.
  const api = Object.fromEntries(API_METHODS.map((name) => [name, method(name)])) as { [M in ApiMethod]: Api[M] };

  return {
    ...api,
    host: 'web',
    on,
    thumbUrl: (id: number) => mediaUrl('thumb', id),
    previewUrl: (id: number) => mediaUrl('preview', id),
    get connection() {
      return connection;
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const s = socket;
      socket = null;
      s?.close();
      setConnection('closed');
    },
  };
}

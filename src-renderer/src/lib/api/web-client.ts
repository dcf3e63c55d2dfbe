// The ApiClient of the web host: calls are `POST /api/call`, events arrive on a WebSocket at
// `/events`, image bytes at `/media/...`. No cookie is involved: calls carry the token as
// `Authorization: Bearer`, the event socket as a subprotocol (browsers cannot set its headers),
// and image URLs carry the media key, which reads images and nothing else.
import type { Api, ApiClient, ApiEventName, ApiEvents, ApiMethod, ApiArgs, ApiResult, Unsubscribe } from '$contract';
import { API_METHODS } from '$contract';
import { MEDIA_KEY_PARAM } from '$contract/web-protocol';
import { callApi, type CallTarget } from './call-reply';
import { EventHub } from './event-hub';
import { EventSocket, type ConnectionState, type SocketLike } from './event-socket';

export { ApiCallError, readCallReply } from './call-reply';
export type { ConnectionState, SocketLike } from './event-socket';

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

/** Every method of the contract, forwarded as is: API_METHODS is checked against Api at compile time. */
function apiMethods(target: CallTarget): { [M in ApiMethod]: Api[M] } {
  const method = <M extends ApiMethod>(name: M): Api[M] =>
    ((...args: ApiArgs<M>) => callApi(target, name, args) as Promise<ApiResult<M>>) as unknown as Api[M];
  return Object.fromEntries(API_METHODS.map((name) => [name, method(name)])) as { [M in ApiMethod]: Api[M] };
}

/** Image URLs under `/media`, with the media key that reads images and nothing else. */
function mediaUrls(base: URL, mediaKey: string | null | undefined): Pick<ApiClient, 'thumbUrl' | 'previewUrl'> {
  const query = mediaKey ? `?${MEDIA_KEY_PARAM}=${encodeURIComponent(mediaKey)}` : '';
  const url = (kind: 'thumb' | 'preview', id: number): string => new URL(`/media/${kind}/${encodeURIComponent(id)}`, base).pathname + query;
  return { thumbUrl: (id) => url('thumb', id), previewUrl: (id) => url('preview', id) };
}

export function createWebClient(opts: WebClientOptions): WebClient {
  const base = new URL(opts.baseUrl);
  // Without a handler, rethrow outside the caller's stack so the page's error handler sees it.
  const reportError =
    opts.onError ??
    ((err: unknown) =>
      setTimeout(() => {
        throw err;
      }));
  const hub = new EventHub(reportError);
  const events = new EventSocket({ base, token: opts.token, WebSocket: opts.WebSocket, reconnect: opts.reconnect, hub, reportError });

  function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): Unsubscribe {
    const off = hub.on(event, listener);
    events.connect(); // the socket opens with the first listener
    return off;
  }

  return {
    ...apiMethods({ base, fetch: opts.fetch ?? globalThis.fetch.bind(globalThis), token: opts.token }),
    ...mediaUrls(base, opts.mediaKey),
    host: 'web',
    on,
    get connection() {
      return events.connection;
    },
    onConnectionChange: (listener) => events.onConnectionChange(listener),
    close: () => events.close(),
  };
}

// The web host's event stream: a WebSocket at `/events` that carries the token as a subprotocol
// (browsers cannot set its headers), reconnects with backoff, and hands each message to the hub.
import type { Unsubscribe } from '$contract';
import { EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '$contract/web-protocol';
import { backoffDelay } from './backoff';
import { ApiCallError, describe } from './call-reply';
import type { EventHub } from './event-hub';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The part of the browser WebSocket this client uses (the `ws` package matches it too). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface EventSocketOptions {
  base: URL;
  token?: string | null;
  /** constructor of WebSockets; none means no events */
  WebSocket?: new (url: string, protocols?: string[]) => SocketLike;
  reconnect?: { baseMs?: number; maxMs?: number };
  hub: EventHub;
  reportError: (err: unknown) => void;
}

export class EventSocket {
  connection: ConnectionState = 'closed';
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly opts: EventSocketOptions;

  constructor(opts: EventSocketOptions) {
    this.opts = opts;
  }

  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Opens the socket unless it is open, opening, or closed for good. */
  connect(): void {
    const Socket = this.opts.WebSocket;
    if (!Socket || this.closed || this.socket) return;
    const { base, token } = this.opts;
    const url = new URL('/events', base);
    url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    this.setConnection('connecting');
    let s: SocketLike;
    try {
      s = token ? new Socket(url.toString(), [EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]) : new Socket(url.toString());
    } catch (err) {
      this.opts.reportError(err);
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      this.attempt = 0;
      this.setConnection('open');
    };
    s.onmessage = (ev) => this.onMessage(ev.data);
    s.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.setConnection('closed');
      this.scheduleReconnect();
    };
  }

  /** Stops the socket and its reconnects. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.setConnection('closed');
  }

  private setConnection(state: ConnectionState): void {
    if (state === this.connection) return;
    this.connection = state;
    for (const l of [...this.listeners]) {
      try {
        l(state);
      } catch (err) {
        this.opts.reportError(err);
      }
    }
  }

  private onMessage(data: unknown): void {
    const report = this.opts.reportError;
    let msg: unknown;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      report(new ApiCallError('ProtocolError', `events: expected a JSON message, got ${describe(String(data))}`));
      return;
    }
    const event = (msg as { event?: unknown } | null)?.event;
    if (typeof event !== 'string') {
      report(new ApiCallError('ProtocolError', `events: expected a message {event, payload}, got ${describe(msg)}`));
      return;
    }
    this.opts.hub.emit(event, (msg as { payload?: unknown }).payload);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.reconnect?.baseMs, this.opts.reconnect?.maxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}

// /events: the API's events over a WebSocket, one subscription per event fanned out to every
// connected socket. A browser offers [EVENTS_PROTOCOL, moco-token.<T>]; the host selects the
// first and never echoes the token.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { API_EVENTS, type Unsubscribe } from '../../api/contract';
import { EVENTS_PROTOCOL } from '../../api/web-protocol';
import type { Studio } from '../../core/studio-types';
import { checkAccess, type Credential, type Gate } from './auth';
import { httpErrorName, splitUrl } from './http-util';

const EVENTS_ACCESS: readonly Credential[] = ['protocol', 'bearer'];

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ ok: false, error: { name: httpErrorName(status), message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Serves the events on `server`'s upgrades; the returned function closes every socket. */
export function serveEvents(server: Server, studio: Studio, gate: Gate): () => void {
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
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => console.error('web host: upgrade socket failed:', err.message));
    const { path, query } = splitUrl(req.url ?? '/');
    const verdict = checkAccess(req.headers, query, gate, EVENTS_ACCESS);
    if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.message);
    if (path !== '/events') return refuseUpgrade(socket, 404, `web host: expected a WebSocket on /events, got ${JSON.stringify(path)}`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return () => {
    for (const off of unsubscribe) off();
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

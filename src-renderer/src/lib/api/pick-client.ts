// Which door the UI came through: Electron's preload puts an ApiClient on `window.mocoStudio`;
// otherwise the page was served by the web host and talks to its own origin.
import type { ApiClient, Unsubscribe } from '$contract';
import { createWebClient, type ConnectionState, type WebClientOptions } from './web-client';
import { takeCredentials } from './token';

declare global {
  interface Window {
    mocoStudio?: ApiClient;
  }
}

/** An ApiClient, plus connection news where the connection can drop (the web host). */
export type UiClient = ApiClient & {
  onConnectionChange?(listener: (state: ConnectionState) => void): Unsubscribe;
};

export function pickClient(win: Window & typeof globalThis, onError: (err: unknown) => void): UiClient {
  if (win.mocoStudio) return win.mocoStudio;
  const { token, mediaKey } = takeCredentials(win);
  return createWebClient({
    baseUrl: win.location.origin,
    token,
    mediaKey,
    fetch: win.fetch.bind(win),
    // The DOM types its socket handlers with DOM event classes; the client reads only `data`.
    WebSocket: win.WebSocket as unknown as WebClientOptions['WebSocket'],
    onError,
  });
}

// The web host is opened as http://127.0.0.1:PORT/?token=T. There is no cookie (cookies ignore
// ports, so every other server on 127.0.0.1 would get it): the page takes the token from its
// address once, drops it from the address bar and history, and keeps it in sessionStorage (per
// origin, port included, and per tab) so a reload can reopen the page with it.
import { MEDIA_KEY_META, TOKEN_PARAM, TOKEN_STORAGE_KEY } from '$contract/web-protocol';

/** The same address without its `token` parameter, or null when there was none. */
export function urlWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has(TOKEN_PARAM)) return null;
  url.searchParams.delete(TOKEN_PARAM);
  return url.pathname + (url.search === '?' ? '' : url.search) + url.hash;
}

export interface PageCredentials {
  /** the API token, or null when the page has none */
  token: string | null;
  /** the media key the host wrote into the page, or null */
  mediaKey: string | null;
}

interface PageWindow {
  location: { href: string };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };
}

/** Takes the token out of the address (keeping it for this tab) and reads the media key. */
export function takeCredentials(win: PageWindow): PageCredentials {
  const fromUrl = new URL(win.location.href).searchParams.get(TOKEN_PARAM);
  const clean = urlWithoutToken(win.location.href);
  if (clean !== null) win.history.replaceState(win.history.state, '', clean);
  let token = fromUrl;
  try {
    if (fromUrl) win.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    else token = win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    // Storage can be disabled; the token of this load still works, a reload then asks for the URL.
  }
  const mediaKey = win.document.querySelector(`meta[name="${MEDIA_KEY_META}"]`)?.getAttribute('content') ?? null;
  return { token: token || null, mediaKey: mediaKey || null };
}

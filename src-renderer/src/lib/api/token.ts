// The web host is opened as http://127.0.0.1:PORT/?token=T. The server has set an HttpOnly
// cookie by then, so the token is dropped from the address bar (and from history) at once.

/** The same address without its `token` parameter, or null when there was none. */
export function urlWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return null;
  url.searchParams.delete('token');
  return url.pathname + (url.search === '?' ? '' : url.search) + url.hash;
}

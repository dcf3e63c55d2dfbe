// The page itself: served only to a request holding the token, with this launch's media key
// written into it (image URLs need it synchronously). A reload has no token in its URL (the page
// removed it), so a browser gets a short page that reopens with the token this tab kept.
import { MEDIA_KEY_META, REOPEN_SCRIPT_PATH, TOKEN_PARAM, TOKEN_STORAGE_KEY } from '../../api/web-protocol';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `html` with `<meta name="moco-media-key" content="…">` at the start of its head. */
export function withMediaKey(html: string, mediaKey: string): string {
  const meta = `<meta name="${MEDIA_KEY_META}" content="${escapeHtml(mediaKey)}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  const at = doctype ? doctype[0].length : 0;
  return html.slice(0, at) + meta + html.slice(at);
}

/**
 * Runs on the page below. The stored token is removed before it is tried, so a stale one (the
 * host restarted on the same port) ends here with the message instead of a redirect loop.
 */
export const REOPEN_SCRIPT = `'use strict';
(function () {
  var token = null;
  try {
    token = sessionStorage.getItem(${JSON.stringify(TOKEN_STORAGE_KEY)});
    sessionStorage.removeItem(${JSON.stringify(TOKEN_STORAGE_KEY)});
  } catch (e) {}
  if (token) location.replace('/?${TOKEN_PARAM}=' + encodeURIComponent(token) + location.hash);
})();
`;

/** The 401 page a browser gets for `/` without a valid token. */
export function reopenPage(message: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MoCo Studio</title>' +
    `<script src="${REOPEN_SCRIPT_PATH}"></script></head><body><p>${escapeHtml(message)}</p></body></html>`
  );
}

/** Whether a request is a browser opening a page (rather than fetch or a script wanting JSON). */
export function wantsHtml(accept: string | undefined): boolean {
  return /\btext\/html\b/i.test(accept ?? '');
}

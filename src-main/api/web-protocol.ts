// How a page of the web host proves who it is. There is no cookie: cookies ignore ports, so a
// page of any other server on 127.0.0.1 would receive it. The page takes the token from the
// URL once and sends it itself; image URLs carry a separate key that only reads media.

/** `?token=` of the printed URL; accepted only when the page itself is opened. */
export const TOKEN_PARAM = 'token';
/** where a tab keeps the token (sessionStorage is per origin, port included) */
export const TOKEN_STORAGE_KEY = 'moco-studio-token';
/** WebSocket subprotocol the host selects for /events */
export const EVENTS_PROTOCOL = 'moco-events';
/** browsers cannot set WebSocket headers: the token rides as a second subprotocol `moco-token.<T>` */
export const TOKEN_PROTOCOL_PREFIX = 'moco-token.';
/** `?key=` on /media/ URLs: this launch's media key, which grants image reads and nothing else */
export const MEDIA_KEY_PARAM = 'key';
/** `<meta name=… content=KEY>` the host puts into the page it serves with a valid token */
export const MEDIA_KEY_META = 'moco-media-key';
/** the page served when `/` is opened without a token: it reopens with the token this tab kept */
export const REOPEN_SCRIPT_PATH = '/reopen.js';

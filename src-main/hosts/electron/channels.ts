// Names shared by the Electron main process and the preload. Plain constants only: the
// preload runs sandboxed and may import nothing from Node.

/** invoke(method, args) -> IpcReply */
export const CALL_CHANNEL = 'moco:call';
/** send(event, payload) from main to the window */
export const EVENT_CHANNEL = 'moco:event';

/** thumbnails and previews: moco-media://thumb/<id>, moco-media://preview/<id> */
export const MEDIA_SCHEME = 'moco-media';
/** the renderer itself, served from out/renderer: moco-app://app/index.html */
export const APP_SCHEME = 'moco-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** What a call returns over IPC: errors travel as data so their name survives the trip. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

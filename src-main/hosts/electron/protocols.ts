// The two custom schemes of the Electron window. moco-app serves the built renderer (a real
// origin with a CSP header, which file:// cannot give); moco-media serves image bytes by
// library id only. Registered as privileged before the app is ready, handled after.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { serializeError } from '../../api/errors';
import type { Studio } from '../../core/studio-types';
import { statusForError } from '../dispatch';
import { MEDIA_CACHE_CONTROL, loadMedia, parseMediaPath } from '../media';
import { cacheControlFor, contentTypeFor, resolveStaticPath } from '../static-files';
import { APP_SCHEME, MEDIA_SCHEME } from './channels';

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

function textResponse(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

function errorResponse(where: string, err: unknown): Response {
  const error = serializeError(err);
  const status = statusForError(error.name);
  if (status === 500) console.error(`${where}:`, err);
  return textResponse(status, error.message);
}

/** moco-media://thumb/<id> and moco-media://preview/<id>; everything else is 404. */
export function handleMediaScheme(studio: Studio): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const path = `${url.hostname}${url.pathname}`;
    const ref = request.method === 'GET' ? parseMediaPath(path) : null;
    if (!ref) return textResponse(404, `media: expected GET thumb/<id> or preview/<id>, got ${request.method} ${path}`);
    try {
      const media = await loadMedia(studio, ref);
      const headers = { 'Content-Type': media.contentType, 'Cache-Control': MEDIA_CACHE_CONTROL, ETag: media.etag };
      if (request.headers.get('if-none-match') === media.etag) return new Response(null, { status: 304, headers });
      const bytes = 'bytes' in media.body ? media.body.bytes : await readFile(media.body.file);
      return new Response(new Uint8Array(bytes), { status: 200, headers });
    } catch (err) {
      return errorResponse(`media ${path}`, err);
    }
  });
}

/** moco-app://app/<file> from the built renderer, with the window's CSP. */
export function handleAppScheme(rendererDir: string, csp: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'app' && request.method === 'GET' ? resolveStaticPath(rendererDir, url.pathname) : null;
    if (!file) return textResponse(404, `app: expected GET of a file of the app, got ${request.method} ${request.url}`);
    try {
      const body = await readFile(file);
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          'Content-Type': contentTypeFor(file),
          'Cache-Control': cacheControlFor(url.pathname),
          'Content-Security-Policy': csp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return textResponse(404, `app: no file ${url.pathname}`);
      return errorResponse(`app ${url.pathname}`, err);
    }
  });
}

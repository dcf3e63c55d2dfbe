// The app's own files: the page (with this launch's media key in it), the script that reopens
// a page with the tab's token, and the built scripts and styles.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { cacheControlFor, contentTypeFor, resolveStaticPath } from '../static-files';
import { HttpError, allowMethods } from './http-util';
import { REOPEN_SCRIPT, withMediaKey } from './page';

const notBuilt = (staticDir: string) =>
  new HttpError(503, `web host: expected the built app in ${staticDir}, got none (run npm run build)`);

/** A file's content, or null where there is none. */
function missingAsNull(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
  throw err;
}

/** `/`: the app's page, with this launch's media key in it; never cached (the key changes). */
export async function servePage(staticDir: string, mediaKey: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  allowMethods(req, res, ['GET', 'HEAD'], 'web host: expected GET for the page');
  const file = resolveStaticPath(staticDir, '/');
  const html = file ? await readFile(file, 'utf8').catch(missingAsNull) : null;
  if (html === null) throw notBuilt(staticDir);
  const body = Buffer.from(withMediaKey(html, mediaKey));
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function serveReopenScript(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.end(req.method === 'HEAD' ? undefined : REOPEN_SCRIPT);
}

export async function serveStatic(staticDir: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  allowMethods(req, res, ['GET', 'HEAD'], `web host: expected GET for ${path}`);
  const file = resolveStaticPath(staticDir, path);
  if (!file) throw new HttpError(404, `web host: expected a file of the app, got ${JSON.stringify(path)}`);
  const st = await stat(file).catch(missingAsNull);
  if (!st?.isFile()) {
    if (path === '/') throw notBuilt(staticDir);
    throw new HttpError(404, `web host: expected a file of the app, got ${JSON.stringify(path)}`);
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', contentTypeFor(file));
  res.setHeader('Content-Length', st.size);
  res.setHeader('Cache-Control', cacheControlFor(path));
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(file), res);
}

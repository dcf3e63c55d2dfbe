// GET /media/thumb/<id> and /media/preview/<id>: image bytes, revalidated by ETag.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { serializeError } from '../../api/errors';
import type { Studio } from '../../core/studio-types';
import { statusForError } from '../dispatch';
import { MEDIA_CACHE_CONTROL, loadMedia, parseMediaPath } from '../media';
import { HttpError, allowMethods, sendError } from './http-util';

export async function serveMedia(studio: Studio, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  allowMethods(req, res, ['GET', 'HEAD'], 'media: expected GET');
  const ref = parseMediaPath(path);
  if (!ref) throw new HttpError(404, `media: expected thumb/<id> or preview/<id>, got ${JSON.stringify(path)}`);
  let media;
  try {
    media = await loadMedia(studio, ref);
  } catch (err) {
    const error = serializeError(err);
    const status = statusForError(error.name);
    if (status === 500) console.error(`web host: ${ref.kind} of image ${ref.id} failed:`, err);
    sendError(res, status, error);
    return;
  }
  res.setHeader('Content-Type', media.contentType);
  res.setHeader('Cache-Control', MEDIA_CACHE_CONTROL);
  res.setHeader('ETag', media.etag);
  if (req.headers['if-none-match'] === media.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const { body } = media;
  res.setHeader('Content-Length', 'bytes' in body ? body.bytes.length : body.size);
  if (req.method === 'HEAD') return void res.end();
  if ('bytes' in body) return void res.end(body.bytes);
  await pipeline(createReadStream(body.file), res);
}

// Image bytes for the UI. A media URL names an image by its library id and nothing else:
// `thumb/<id>` or `preview/<id>`. No path from the UI is ever opened; the core maps the id
// to a file it knows.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Studio } from '../core/studio-types';

export type MediaKind = 'thumb' | 'preview';

export interface MediaRef {
  kind: MediaKind;
  id: number;
}

const MEDIA_PATH = /^(thumb|preview)\/([1-9][0-9]{0,15})$/;

/** 'thumb/12' -> {kind:'thumb', id:12}; anything else (paths, signs, encodings) -> null. */
export function parseMediaPath(path: string): MediaRef | null {
  const m = MEDIA_PATH.exec(path);
  if (!m) return null;
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id)) return null;
  return { kind: m[1] as MediaKind, id };
}

/** What to send: a file on disk (thumbnails, cached) or bytes made now (previews). */
export type MediaBody = { file: string; size: number } | { bytes: Buffer };

export interface MediaResponse {
  body: MediaBody;
  contentType: string;
  /** strong validator: changes whenever the bytes can have changed */
  etag: string;
}

/** Thumbnails and previews follow the file when it changes, so clients revalidate by ETag. */
export const MEDIA_CACHE_CONTROL = 'private, no-cache';

export async function loadMedia(studio: Studio, ref: MediaRef): Promise<MediaResponse> {
  if (ref.kind === 'thumb') {
    const thumb = await studio.thumbnail(ref.id);
    const st = await stat(thumb.path);
    return {
      body: { file: thumb.path, size: st.size },
      contentType: thumb.contentType,
      etag: `"${basename(thumb.path)}-${st.size}-${Math.trunc(st.mtimeMs)}"`,
    };
  }
  const preview = await studio.preview(ref.id);
  const digest = createHash('sha1').update(preview.body).digest('base64url');
  return { body: { bytes: preview.body }, contentType: preview.contentType, etag: `"${digest}"` };
}

// Image bytes for the hosts: cached thumbnails and on-demand previews. Only paths read from
// the library's own rows are ever opened; callers pass ids, never paths.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { AppError, NotFoundError } from '../../api/errors';
import type { ImageRow } from '../db/rows';
import { encodeThumb, storeThumb, thumbExists, thumbPath } from './thumbs';

export interface MediaOptions {
  dataDir: string;
  thumbnailSize: number;
  maxPixels: number;
}

const inFlight = new Map<string, Promise<string>>();

/** Path of the image's cached thumbnail, made again from the file when the cache lost it. */
export async function thumbnailFile(row: ImageRow, opts: MediaOptions): Promise<string> {
  if (thumbExists(opts.dataDir, row.hash, opts.thumbnailSize)) return thumbPath(opts.dataDir, row.hash, opts.thumbnailSize);
  // Many grid cells can ask for the same thumbnail at once: make it once.
  const key = `${opts.dataDir}\0${row.hash}\0${opts.thumbnailSize}`;
  let job = inFlight.get(key);
  if (!job) {
    job = remakeThumb(row, opts).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  return job;
}

async function remakeThumb(row: ImageRow, opts: MediaOptions): Promise<string> {
  const bytes = await readImageFile(row, 'thumbnail');
  const thumb = await decodeOrExplain(row, 'thumbnail', () =>
    encodeThumb(sharp(bytes, { failOn: 'none', limitInputPixels: opts.maxPixels }).autoOrient(), opts.thumbnailSize),
  );
  // Filed under the hash of the bytes actually read: if the file changed since the last scan,
  // the old hash must not point at a picture of the new content.
  const hash = createHash('sha256').update(bytes).digest('hex');
  return storeThumb(thumb, opts.dataDir, hash, opts.thumbnailSize);
}

export async function previewBytes(row: ImageRow, maxSize: number, maxPixels: number): Promise<{ body: Buffer; contentType: string }> {
  const bytes = await readImageFile(row, 'preview');
  return decodeOrExplain(row, 'preview', async () => {
    const image = sharp(bytes, { failOn: 'none', limitInputPixels: maxPixels });
    const { hasAlpha } = await image.metadata();
    const sized = image.autoOrient().resize({ width: maxSize, height: maxSize, fit: 'inside', withoutEnlargement: true });
    // JPEG is quicker to make; WebP keeps transparency.
    return hasAlpha
      ? { body: await sized.webp({ quality: 85 }).toBuffer(), contentType: 'image/webp' }
      : { body: await sized.jpeg({ quality: 85 }).toBuffer(), contentType: 'image/jpeg' };
  });
}

async function readImageFile(row: ImageRow, where: string): Promise<Buffer> {
  try {
    return await readFile(row.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NotFoundError(
        `${where}: expected the file of image ${row.id} at ${row.path}, got nothing there (moved or deleted? rescan the folder)`,
      );
    }
    throw new AppError('Unreadable', `${where}: expected to read ${row.path}, got ${code ?? String(err)}`);
  }
}

async function decodeOrExplain<T>(row: ImageRow, where: string, decode: () => Promise<T>): Promise<T> {
  try {
    return await decode();
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new AppError('Corrupt', `${where}: expected a decodable image at ${row.path}, got an error (${detail}); rescan the folder`);
  }
}

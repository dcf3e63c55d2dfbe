// Everything the library learns from one file, from a single read: content hash, header
// metadata (pixel limit checked before any decoding), EXIF date and orientation, and the
// cached thumbnail. A bad file comes back as a reason and a sentence; only a failure of the
// app's own data folder (disk full) throws.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { ProblemReason } from '../../api/contract';
import type { ImageFacts } from '../db/rows';
import { readTakenAt } from './exif';
import { sniffFormat } from './formats';
import { nearHashOf } from './near-hash';
import { encodeThumb, storeThumb, thumbExists, thumbPath } from './thumbs';

export type Inspection =
  | { kind: 'image'; facts: ImageFacts }
  | { kind: 'problem'; reason: ProblemReason; message: string }
  /** the file disappeared between the walk and the read: not a problem, just gone */
  | { kind: 'vanished' };

export interface InspectOptions {
  dataDir: string;
  thumbnailSize: number;
  maxPixels: number;
}

const DECODABLE = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']);

const problem = (reason: ProblemReason, message: string): Inspection => ({ kind: 'problem', reason, message });

export async function inspectFile(path: string, size: number, opts: InspectOptions): Promise<Inspection> {
  if (size === 0) return problem('empty', 'The file is empty (0 bytes).');
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return readFailure(err as NodeJS.ErrnoException);
  }
  if (bytes.length === 0) return problem('empty', 'The file is empty (0 bytes).');

  const sniffed = sniffFormat(bytes);
  if (sniffed === 'heic') return unsupported('HEIC/HEIF');
  let meta: Metadata;
  try {
    // Header only: no pixel limit here, so an oversized image gets its size reported below.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    if (sniffed === null) return notAnImage(path);
    if (sniffed === 'bmp') return unsupported('BMP');
    return corrupt(err, bytes, sniffed);
  }
  const format = formatName(meta);
  if (!DECODABLE.has(format)) return unsupported(format.toUpperCase());
  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth <= 0 || rawHeight <= 0) return corrupt(new Error(`header gives ${rawWidth}x${rawHeight} pixels`), bytes, format);
  if (rawWidth * rawHeight > opts.maxPixels) return tooLarge(rawWidth, rawHeight, opts.maxPixels);

  const hash = createHash('sha256').update(bytes).digest('hex');
  const orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : null;
  const swap = orientation !== null && orientation >= 5;
  const takenAt = meta.exif ? await readTakenAt(bytes) : null;

  // Same bytes, same picture: a thumbnail already cached for this hash is reused without decoding.
  let thumb: Buffer | string = thumbPath(opts.dataDir, hash, opts.thumbnailSize);
  if (!thumbExists(opts.dataDir, hash, opts.thumbnailSize)) {
    try {
      // failOn 'truncated' makes a cut-short file an error instead of a grey-filled image;
      // the pixel limit stays on as a second guard for what the header did not tell.
      const image = sharp(bytes, { failOn: 'truncated', limitInputPixels: opts.maxPixels });
      thumb = await encodeThumb(image.autoOrient(), opts.thumbnailSize);
    } catch (err) {
      if (/pixel limit/i.test(String(err))) return tooLarge(rawWidth, rawHeight, opts.maxPixels);
      return corrupt(err, bytes, format);
    }
    // A full or read-only data folder is the app's problem, not the image's: it fails the scan.
    await storeThumb(thumb, opts.dataDir, hash, opts.thumbnailSize);
  }
  // The perceptual hashes come from the thumbnail, so the picture is decoded once.
  const nearHash = await nearHashOf(thumb, opts.maxPixels).catch(() => new Uint8Array(0));
  return {
    kind: 'image',
    facts: {
      hash,
      size: bytes.length,
      width: swap ? rawHeight : rawWidth,
      height: swap ? rawWidth : rawHeight,
      format,
      takenAt,
      orientation,
      nearHash,
    },
  };
}

/** sharp says 'heif' for both AVIF and HEIC; the compression tells them apart. */
function formatName(meta: Metadata): string {
  if (meta.format === 'heif') return meta.compression === 'av1' ? 'avif' : 'heic';
  return meta.format ?? 'unknown';
}

function readFailure(err: NodeJS.ErrnoException): Inspection {
  switch (err.code) {
    case 'ENOENT':
      return { kind: 'vanished' };
    case 'EACCES':
    case 'EPERM':
      return problem('unreadable', 'The file cannot be read: permission denied.');
    case 'EIO':
      return problem('unreadable', 'The file cannot be read: the disk reported an input/output error.');
    default:
      return problem('unreadable', `The file cannot be read (${err.code ?? err.message}).`);
  }
}

function unsupported(what: string): Inspection {
  return problem('unsupported', `${what} images cannot be decoded by this app; convert the file to JPEG or PNG to include it.`);
}

function notAnImage(path: string): Inspection {
  const ext = extname(path);
  const named = ext ? `, even though its name ends in ${ext}` : '';
  return problem('not-image', `The file's content is not an image${named}.`);
}

// libvips keeps one error buffer for all its threads: with several files decoding at once, a
// failed decode's message can be another's, or "Unknown error". So the reason is taken from the
// bytes where they tell it (a file cut short lacks its end marker), and libvips's text only
// where they do not.
function corrupt(err: unknown, bytes: Buffer, format: string | null): Inspection {
  const cut = cutShort(bytes, format);
  if (cut) return problem('corrupt', `The image data is damaged or cut short and cannot be decoded (${cut}).`);
  const raw = String(err instanceof Error ? err.message : err)
    .split('\n')[0]
    .trim();
  const detail = !raw || /^unknown error\.?$/i.test(raw) ? 'the decoder gave no reason' : raw;
  return problem('corrupt', `The image data is damaged or cut short and cannot be decoded (${detail}).`);
}

const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const PNG_IEND = Buffer.from('IEND', 'latin1');

/** Why the file is cut short, when its bytes say so; null when they do not. */
export function cutShort(bytes: Buffer, format: string | null): string | null {
  const size = bytes.length.toLocaleString('en-US');
  // Trailing zero bytes (padding some writers add) do not count as data.
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const tail = bytes.subarray(0, end);
  switch (format) {
    case 'jpeg':
      return tail.subarray(-2).equals(JPEG_EOI) ? null : `the JPEG ends after ${size} bytes without its end-of-image marker`;
    case 'png':
      return tail.includes(PNG_IEND) ? null : `the PNG ends after ${size} bytes without its IEND chunk`;
    case 'gif':
      return tail[tail.length - 1] === 0x3b ? null : `the GIF ends after ${size} bytes without its trailer`;
    default:
      return null;
  }
}

function tooLarge(width: number, height: number, maxPixels: number): Inspection {
  const mp = (n: number) => `${(n / 1e6).toFixed(1)} megapixels`;
  return problem(
    'too-large',
    `${width} × ${height} pixels (${mp(width * height)}) is over the limit of ${mp(maxPixels)}, so it was refused without decoding; raise the pixel limit in Settings to include it.`,
  );
}

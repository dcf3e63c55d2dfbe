// An image file from outside the library, made ready for searchSimilar: its bytes as base64,
// shrunk first when it is large, so a call over the web host stays small (the host takes a body
// of up to 88 MiB, a query file of up to 64 MiB). Files this window cannot decode go up as they are, so the app answers with
// its own reason (empty, corrupt, not an image).

/** Largest file sent as it is over the web host (base64 is 4/3 of it, plus the JSON around it). */
export const WEB_RAW_LIMIT = 700 * 1024;
/** Longest side of a shrunk query image, px: well above any encoder's input size. */
export const SHRINK_MAX_SIDE = 1024;

const CHUNK = 0x8000;

/** Standard base64 (with padding) of raw bytes; chunked so a large file does not overflow the stack. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export async function blobToBase64(blob: Blob): Promise<string> {
  return bytesToBase64(new Uint8Array(await blob.arrayBuffer()));
}

/** Width and height that fit within `maxSide` keeping the aspect ratio; never enlarges. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  if (!(width > 0) || !(height > 0)) throw new RangeError(`fitWithin: expected a positive size, got ${width}×${height}`);
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The subset of DataTransfer read here, so tests can pass a plain object. */
export interface DropData {
  types: readonly string[];
  files?: { length: number; [index: number]: File } | null;
}

/** Whether a drag carries files (from the desktop or a file manager), not text or a link. */
export function carriesFiles(data: DropData | null | undefined): boolean {
  return !!data && Array.from(data.types).includes('Files');
}

/** The first file of a drop, or null when it holds none. */
export function firstFile(data: DropData | null | undefined): File | null {
  const files = data?.files;
  return files && files.length > 0 ? files[0] : null;
}

export interface QueryFile {
  fileName: string;
  dataBase64: string;
  /** true when the bytes sent are a smaller copy made here */
  shrunk: boolean;
}

export interface PrepareOptions {
  /** files up to this size go as they are */
  maxRawBytes: number;
  /** a smaller JPEG of the image, or null when this window cannot decode it */
  shrink: (file: Blob) => Promise<Blob | null>;
}

export async function prepareQueryFile(file: File, opts: PrepareOptions): Promise<QueryFile> {
  // The API refuses empty data before it reaches a decoder, so say it here in the same words.
  if (file.size === 0) throw new Error(`${file.name}: expected an image, got an empty file (0 bytes)`);
  if (file.size <= opts.maxRawBytes) return { fileName: file.name, dataBase64: await blobToBase64(file), shrunk: false };
  const small = await opts.shrink(file);
  if (small) return { fileName: file.name, dataBase64: await blobToBase64(small), shrunk: true };
  const mb = (file.size / (1024 * 1024)).toFixed(1);
  throw new Error(
    `${file.name}: expected an image this window can decode (JPEG, PNG, WebP, AVIF, GIF) to send a smaller copy for search, got a ${mb} MB file it cannot read`,
  );
}

/** Decodes with the browser and re-encodes as JPEG within SHRINK_MAX_SIDE; null when it cannot decode. */
export async function shrinkInBrowser(file: Blob): Promise<Blob | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, SHRINK_MAX_SIDE);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(bitmap, 0, 0, width, height);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
  } finally {
    bitmap.close();
  }
}

/** Raw bytes of standard base64, e.g. to draw a query file that exists only as base64. */
export function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

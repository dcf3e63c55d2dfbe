// Decoding a photo once for training and inference, oriented by its EXIF tag, 8-bit RGB with
// transparency flattened onto white. Training keeps the whole frame (decodeFrame): aspect kept,
// short side at frameSideFor(R), so that RandomResizedCrop samples the full picture from enough
// pixels; inference sees the centre square (decodeSquare), short side at 1.15R, as the ImageNet
// evaluation transform.
import sharp, { type ResizeOptions, type Sharp } from 'sharp';

/** What transparent pixels become. */
export const FLATTEN_BACKGROUND = '#ffffff';

/** Cache side for training resolution R: a 15% margin so random resized crops have room. */
export function cacheSideFor(resolution: number): number {
  if (!Number.isInteger(resolution) || resolution < 2) {
    throw new RangeError(`cacheSideFor: expected an integer resolution >= 2, got ${resolution}`);
  }
  return Math.round(resolution * 1.15);
}

/** size x size x 3 uint8 pixels of an image file (path or bytes); throws when it cannot be decoded. */
export async function decodeSquare(input: string | Buffer, size: number): Promise<Buffer> {
  return rgbPixels(sharp(input, { failOn: 'truncated' }), size, size, {}, 'decodeSquare');
}

/** width x height x 3 uint8 pixels of the oriented image, resized to cover that size from its centre. */
async function rgbPixels(image: Sharp, width: number, height: number, resize: ResizeOptions, where: string): Promise<Buffer> {
  const { data, info } = await image
    .autoOrient()
    .resize(width, height, { fit: 'cover', position: 'centre', ...resize })
    // Onto white, as drawings and icons are meant to be seen: dropping alpha instead leaves the
    // colour stored under transparent pixels (black in most PNGs), which hides black outlines.
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3 || data.length !== width * height * 3) {
    throw new Error(
      `${where}: expected ${width}x${height}x3 uint8 pixels, got ${info.width}x${info.height}x${info.channels} (${data.length} bytes)`,
    );
  }
  return data;
}

/** The widest aspect ratio a training frame keeps; wider panoramas lose their ends (centre crop). */
export const MAX_FRAME_ASPECT = 2;

/**
 * Short side of the training frames for resolution R. RandomResizedCrop's smallest crops (20%
 * of the area) span ~0.45 of a square frame's side: at 1.75R they are upsampled by ~1.3x at
 * most, not 2.5x as from a 1.15R square. Above 128 px the margin shrinks (R + 96) to bound the
 * cache (a 224 px frame is 320 x up to 640 px, 0.6 MB).
 */
export function frameSideFor(resolution: number): number {
  if (!Number.isInteger(resolution) || resolution < 2) {
    throw new RangeError(`frameSideFor: expected an integer resolution >= 2, got ${resolution}`);
  }
  return Math.min(Math.round(1.75 * resolution), resolution + 96);
}

/** Height and width of the frame of an image of the given (oriented) size at short side S. */
export function frameDims(height: number, width: number, S: number): [number, number] {
  const short = Math.min(height, width);
  const aspect = Math.min(Math.max(height, width) / short, MAX_FRAME_ASPECT);
  const long = Math.min(Math.round(S * aspect), Math.round(S * MAX_FRAME_ASPECT));
  return height <= width ? [S, long] : [long, S];
}

export interface Frame {
  height: number;
  width: number;
  /** height x width x 3 uint8 */
  pixels: Buffer;
}

/**
 * The whole image (path or bytes), short side scaled to S with an antialiased resize (libvips'
 * Lanczos-3 reduce), aspect kept up to MAX_FRAME_ASPECT (beyond it, the centre). Throws when it
 * cannot be decoded.
 */
export async function decodeFrame(input: string | Buffer, S: number): Promise<Frame> {
  if (!Number.isInteger(S) || S < 2) throw new RangeError(`decodeFrame: expected an integer short side >= 2, got ${S}`);
  const image = sharp(input, { failOn: 'truncated' });
  const meta = await image.metadata();
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  if (!(oriented.width > 0 && oriented.height > 0)) {
    throw new Error(`decodeFrame: expected an image with a size, got ${oriented.width}x${oriented.height}`);
  }
  const [height, width] = frameDims(oriented.height, oriented.width, S);
  const pixels = await rgbPixels(image, width, height, { kernel: 'lanczos3' }, 'decodeFrame');
  return { height, width, pixels };
}

// Decoding a photo once to the square the training cache stores: oriented by its EXIF tag,
// short side scaled to the cache side and centre-cropped, 8-bit RGB without alpha.
import sharp from 'sharp';

/** Cache side for training resolution R: a 15% margin so random resized crops have room. */
export function cacheSideFor(resolution: number): number {
  if (!Number.isInteger(resolution) || resolution < 2) {
    throw new RangeError(`cacheSideFor: expected an integer resolution >= 2, got ${resolution}`);
  }
  return Math.round(resolution * 1.15);
}

/** size x size x 3 uint8 pixels of an image file (path or bytes); throws when it cannot be decoded. */
export async function decodeSquare(input: string | Buffer, size: number): Promise<Buffer> {
  const { data, info } = await sharp(input, { failOn: 'truncated' })
    .autoOrient()
    .resize(size, size, { fit: 'cover', position: 'centre' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(
      `decodeSquare: expected ${size}x${size}x3 uint8 pixels, got ${info.width}x${info.height}x${info.channels} (${data.length} bytes)`,
    );
  }
  return data;
}

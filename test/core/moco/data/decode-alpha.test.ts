import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeFrame, decodeSquare } from '../../../../src-main/core/moco/data/decode';
import { tempDir } from './fixtures';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A 40x40 RGBA drawing as clip art is stored: transparent pixels hold black (0,0,0,0), a black
 * opaque bar across rows 16-23, and a half-transparent red square in the top-left corner.
 */
async function writeDrawing(path: string): Promise<void> {
  const px = Buffer.alloc(40 * 40 * 4, 0);
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 40; x++) {
      const o = (y * 40 + x) * 4;
      if (y >= 16 && y < 24) px[o + 3] = 255;
      else if (y < 8 && x < 8) [px[o], px[o + 3]] = [255, 128];
    }
  }
  await sharp(px, { raw: { width: 40, height: 40, channels: 4 } })
    .png()
    .toFile(path);
}

function rgb(data: Buffer, side: number, y: number, x: number): number[] {
  const o = (y * side + x) * 3;
  return [data[o], data[o + 1], data[o + 2]];
}

describe('decoding transparent images', () => {
  it('flattens transparency onto white for training frames and for the encoder, keeping black strokes black', async () => {
    const d = tempDir('alpha');
    dirs.push(d);
    const path = join(d, 'drawing.png');
    await writeDrawing(path);
    const frame = await decodeFrame(path, 20);
    const square = await decodeSquare(path, 20);
    for (const data of [frame.pixels, square]) {
      expect(rgb(data, 20, 15, 10).every((v) => v >= 253)).toBe(true); // transparent: white, not the black stored under it
      expect(rgb(data, 20, 10, 12).every((v) => v <= 2)).toBe(true); // the opaque black bar (rows 8-11 at 20 px)
      const [r, g, b] = rgb(data, 20, 1, 1); // half red over white: pink
      expect(r).toBeGreaterThanOrEqual(250);
      for (const v of [g, b]) expect(Math.abs(v - 127)).toBeLessThanOrEqual(3);
    }
  });
});

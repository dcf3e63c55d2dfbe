// Small generated photo folders for the data pipeline tests.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { TrainImage } from '../../../../src-main/core/moco/data/training-images';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `moco-data-${prefix}-`));
}

/** A JPEG of a solid colour with a lighter block whose place depends on i, so every file differs. */
export async function writeImage(path: string, i: number, width = 48, height = 40): Promise<void> {
  const block = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 250, g: 250, b: 250 } } })
    .png()
    .toBuffer();
  await sharp({ create: { width, height, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
    .composite([{ input: block, left: (i * 5) % (width - 8), top: (i * 3) % (height - 8) }])
    .jpeg({ quality: 90 })
    .toFile(path);
}

/** Red left half, blue right half, stored with EXIF orientation 6 (show rotated 90° clockwise). */
export async function writeRotatedImage(path: string): Promise<void> {
  const half = (r: number, b: number) =>
    sharp({ create: { width: 30, height: 20, channels: 3, background: { r, g: 0, b } } })
      .png()
      .toBuffer();
  await sharp({ create: { width: 60, height: 20, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([
      { input: await half(255, 0), left: 0, top: 0 },
      { input: await half(0, 255), left: 30, top: 0 },
    ])
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toFile(path);
}

/** The library's view of a file as it is now, as a scan would record it. */
export function trainImage(id: number, path: string): TrainImage {
  const st = statSync(path);
  return { id, path, hash: createHash('sha256').update(readFileSync(path)).digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
}

/** n generated images in dir, ids 1..n. */
export async function makeLibrary(dir: string, n: number): Promise<TrainImage[]> {
  const images: TrainImage[] = [];
  for (let i = 1; i <= n; i++) {
    const path = join(dir, `img-${String(i).padStart(3, '0')}.jpg`);
    await writeImage(path, i);
    images.push(trainImage(i, path));
  }
  return images;
}

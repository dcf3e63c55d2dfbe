// A small photo library for end-to-end tests, drawn with sharp: a few visually distinct
// classes (class = folder), one exact duplicate, and files that cannot be indexed.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

type Draw = (i: number, w: number, h: number) => string;

const CLASSES: Record<string, Draw> = {
  sunsets: (i, w, h) => `
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="hsl(${20 + i * 4},90%,${55 + (i % 3) * 5}%)"/>
      <stop offset="1" stop-color="hsl(${330 + i * 3},70%,35%)"/></linearGradient></defs>
    <rect width="${w}" height="${h}" fill="url(#g)"/>
    <circle cx="${w * (0.3 + (i % 4) * 0.12)}" cy="${h * 0.62}" r="${h * 0.16}" fill="#ffe08a"/>
    <rect y="${h * 0.7}" width="${w}" height="${h * 0.3}" fill="hsl(${250 + i},40%,20%)"/>`,
  ocean: (i, w, h) => `
    <rect width="${w}" height="${h}" fill="hsl(${195 + i * 3},70%,${40 + (i % 4) * 4}%)"/>
    ${[0, 1, 2, 3, 4]
      .map(
        (k) =>
          `<path d="M0 ${h * (0.3 + k * 0.15)} Q ${w * 0.25} ${h * (0.22 + k * 0.15) - i} ${w * 0.5} ${h * (0.3 + k * 0.15)} T ${w} ${h * (0.3 + k * 0.15)}" stroke="hsl(190,80%,${75 - k * 6}%)" stroke-width="${6 + k * 2}" fill="none"/>`,
      )
      .join('')}`,
  forest: (i, w, h) => `
    <rect width="${w}" height="${h}" fill="hsl(${95 + i * 2},35%,${78 - (i % 3) * 6}%)"/>
    ${[0, 1, 2, 3, 4, 5]
      .map((k) => {
        const x = ((k * 0.19 + (i % 5) * 0.03) % 1) * w;
        return `<polygon points="${x},${h * 0.15 + k * 6} ${x - w * 0.09},${h * 0.95} ${x + w * 0.09},${h * 0.95}" fill="hsl(${120 + k * 6},45%,${22 + k * 3}%)"/>`;
      })
      .join('')}`,
};

export interface PhotoSet {
  root: string;
  /** files that index as images */
  images: number;
  /** file names (relative to root) that must show up as problems */
  bad: { empty: string; corrupt: string; notImage: string };
  duplicate: { original: string; copy: string };
}

async function jpeg(draw: Draw, i: number, w: number, h: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${draw(i, w, h)}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 82 }).toBuffer();
}

/** Writes `perClass` images per class into `root/<class>/`, plus the duplicate and bad files. */
export async function makePhotoSet(root: string, perClass = 6): Promise<PhotoSet> {
  let images = 0;
  for (const [name, draw] of Object.entries(CLASSES)) {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const portrait = i % 3 === 2;
      const [w, h] = portrait ? [240, 320] : [320 + (i % 2) * 80, 240];
      await writeFile(join(dir, `${name}-${String(i + 1).padStart(2, '0')}.jpg`), await jpeg(draw, i, w, h));
      images++;
    }
  }
  const original = 'ocean/ocean-01.jpg';
  const copy = 'copies/ocean-01 (copy).jpg';
  await mkdir(join(root, 'copies'), { recursive: true });
  await copyFile(join(root, original), join(root, copy));
  images++;

  const broken = join(root, 'broken');
  await mkdir(broken, { recursive: true });
  await writeFile(join(broken, 'empty.jpg'), Buffer.alloc(0));
  // A JPEG header followed by noise: the decoder must give up.
  const head = (await jpeg(CLASSES.forest, 0, 320, 240)).subarray(0, 180);
  const noise = Buffer.alloc(4000);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251;
  await writeFile(join(broken, 'corrupt.jpg'), Buffer.concat([head, noise]));
  await writeFile(join(broken, 'notes.png'), 'this is a text file, not a picture\n');

  return {
    root,
    images,
    bad: { empty: 'broken/empty.jpg', corrupt: 'broken/corrupt.jpg', notImage: 'broken/notes.png' },
    duplicate: { original, copy },
  };
}

function hslToRgb(hDeg: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + hDeg / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return [f(0), f(8), f(4)];
}

/** Many tiny distinct PNGs (for the virtualization check); returns how many were written. */
export async function makeManyImages(root: string, count: number): Promise<number> {
  if (count > 65_536) throw new RangeError(`makeManyImages: expected at most 65536 images, got ${count}`);
  await mkdir(root, { recursive: true });
  const [w, h] = [48, 36];
  for (let i = 0; i < count; i++) {
    // A colour wheel walked by the golden angle, so neighbours differ and the grid reads well.
    const [r, g, b] = hslToRgb((i * 137.508) % 360, 0.55, 0.5 + 0.15 * Math.sin(i));
    const raw = Buffer.alloc(w * h * 3);
    for (let p = 0; p < w * h; p++) raw.set([r, g, b], p * 3);
    // The first pixel encodes i, so every file has its own content and none are exact duplicates.
    raw.set([i % 256, Math.floor(i / 256), 0], 0);
    const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    await writeFile(join(root, `img-${String(i).padStart(5, '0')}.png`), png);
  }
  return count;
}

// Images and hostile files for the core tests, drawn with sharp (or written by hand) in a
// temp dir of each test's own.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

/** A fresh temp dir; remove it with the returned cleanup. */
export function tempDir(prefix = 'moco-core-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A photo-like image with noise, so every seed gives different bytes. */
export async function noisyImage(width: number, height: number, seed: number): Promise<Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = (x >>> 0) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

export async function writeJpeg(path: string, seed: number, width = 320, height = 240): Promise<void> {
  await (await noisyImage(width, height, seed)).jpeg({ quality: 80 }).toFile(path);
}

/** Left half red, right half blue, stored sideways: EXIF orientation 6 turns it upright. */
export async function writeOrientation6(path: string): Promise<void> {
  const left = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  await sharp({ create: { width: 400, height: 200, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .jpeg({ quality: 95 })
    .withExif({ IFD2: { DateTimeOriginal: '2021:06:01 14:03:00' } })
    .withMetadata({ orientation: 6 })
    .toFile(path);
}

/** A JPEG cut to `fraction` of its bytes. */
export async function truncatedJpeg(fraction = 0.6): Promise<Buffer> {
  const full = await (await noisyImage(400, 300, 99)).jpeg().toBuffer();
  return full.subarray(0, Math.floor(full.length * fraction));
}

/**
 * A valid PNG of width x height pixels, 1-bit grey, all black: a decompression bomb that is
 * cheap to make (30000 x 30000 is ~110 MB of zeros deflated to ~110 kB).
 */
export function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed pixels
  const idat = deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 7;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  // Make sure it does not start like any image format by chance.
  b[0] = 0x42;
  b[1] = 0x42;
  return b;
}

/**
 * `count` JPEGs with distinct bytes but one shared picture (a different tail after the end
 * marker, which decoders ignore): each must be hashed and decoded, yet only one is drawn.
 */
export async function writeDistinctJpegs(dir: string, count: number, width = 1600, height = 1200): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  // Noise blown up: smooth, so the files stay small, but full-size to decode.
  const small = await (await noisyImage(Math.ceil(width / 16), Math.ceil(height / 16), 1234)).png().toBuffer();
  const base = await sharp(small).resize(width, height).jpeg({ quality: 85 }).toBuffer();
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `img-${String(i).padStart(4, '0')}.jpg`;
    writeFileSync(join(dir, name), Buffer.concat([base, Buffer.from(`#${i}`)]));
    names.push(name);
  }
  return names;
}

export interface SampleLibrary {
  root: string;
  images: string[];
  problems: Record<string, string>;
}

/** Copies a sample library (made once by writeSampleLibrary) to `dest`, links as links. */
export function copySampleLibrary(template: SampleLibrary, dest: string): SampleLibrary {
  cpSync(template.root, dest, { recursive: true, verbatimSymlinks: true });
  return { ...template, root: dest };
}

/** A folder with every format, an EXIF-rotated photo, a duplicate, and the hostile files. */
export async function writeSampleLibrary(root: string): Promise<SampleLibrary> {
  mkdirSync(join(root, 'sub'), { recursive: true });
  const img = (w: number, h: number, seed: number) => noisyImage(w, h, seed);
  await (await img(320, 240, 1)).jpeg().toFile(join(root, 'a.jpg'));
  await (await img(300, 200, 2)).png().toFile(join(root, 'b.png'));
  await (await img(300, 200, 3)).webp().toFile(join(root, 'c.webp'));
  await (await img(300, 200, 4)).avif({ effort: 0 }).toFile(join(root, 'd.avif'));
  await (await img(120, 90, 5)).gif().toFile(join(root, 'e.gif'));
  await (await img(300, 200, 6)).tiff().toFile(join(root, 'f.tiff'));
  await (await img(320, 240, 7)).jpeg().toFile(join(root, 'sub', 'g.jpg'));
  await (await img(320, 240, 8)).jpeg().toFile(join(root, 'ferien 2023 – Ålesund ü.jpg'));
  await writeOrientation6(join(root, 'sideways.jpg'));
  copyFileSync(join(root, 'a.jpg'), join(root, 'sub', 'copy of a.jpg'));
  await (await img(320, 240, 9)).jpeg().toFile(join(root, '.hidden.jpg'));

  writeFileSync(join(root, 'empty.jpg'), '');
  writeFileSync(join(root, 'cut.jpg'), await truncatedJpeg());
  writeFileSync(join(root, 'notes.png'), 'shopping list: eggs, milk\n');
  writeFileSync(join(root, 'noise.jpg'), randomBytes(4096, 3));
  writeFileSync(join(root, 'bomb.png'), pngBomb(30000, 30000));
  writeFileSync(join(root, 'phone.heic'), Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]));
  writeFileSync(join(root, 'readme.txt'), 'not looked at');
  symlinkSync('..', join(root, 'sub', 'loop')); // relative, so copies of the tree loop on themselves
  symlinkSync('gone.jpg', join(root, 'broken.jpg'));
  return {
    root,
    images: [
      'a.jpg',
      'b.png',
      'c.webp',
      'd.avif',
      'e.gif',
      'f.tiff',
      'ferien 2023 – Ålesund ü.jpg',
      'sideways.jpg',
      'sub/copy of a.jpg',
      'sub/g.jpg',
    ],
    problems: {
      'broken.jpg': 'unreadable',
      'bomb.png': 'too-large',
      'cut.jpg': 'corrupt',
      'empty.jpg': 'empty',
      'noise.jpg': 'not-image',
      'notes.png': 'not-image',
      'phone.heic': 'unsupported',
    },
  };
}

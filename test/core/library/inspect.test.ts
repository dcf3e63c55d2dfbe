import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../src-main/core/db/settings-store';
import { inspectFile, type InspectOptions, type Inspection } from '../../../src-main/core/library/inspect';
import { thumbPath } from '../../../src-main/core/library/thumbs';
import { noisyImage, pngBomb, randomBytes, tempDir, truncatedJpeg, writeOrientation6 } from '../fixtures';

let dir: string;
let cleanup: () => void;
let opts: InspectOptions;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  opts = { dataDir: join(dir, 'data'), thumbnailSize: 256, maxPixels: DEFAULT_SETTINGS.maxPixels };
});
afterEach(() => cleanup());

async function inspect(name: string, bytes: Buffer): Promise<Inspection> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return inspectFile(path, bytes.length, opts);
}

function facts(r: Inspection) {
  if (r.kind !== 'image') throw new Error(`expected an image, got ${JSON.stringify(r)}`);
  return r.facts;
}

describe('inspectFile', () => {
  it.each([
    ['jpeg', 'a.jpg', (s: Sharp) => s.jpeg()],
    ['png', 'a.png', (s: Sharp) => s.png()],
    ['webp', 'a.webp', (s: Sharp) => s.webp()],
    ['avif', 'a.avif', (s: Sharp) => s.avif({ effort: 0 })],
    ['gif', 'a.gif', (s: Sharp) => s.gif()],
    ['tiff', 'a.tiff', (s: Sharp) => s.tiff()],
  ])('reads %s: size, format, hash and a cached WebP thumbnail of at most 256 px', async (format, name, encode) => {
    const bytes = await encode(await noisyImage(600, 400, 1)).toBuffer();
    const f = facts(await inspect(name, bytes));
    expect(f).toMatchObject({ format, width: 600, height: 400, size: bytes.length, takenAt: null });
    expect([null, 1]).toContain(f.orientation); // TIFF writes an explicit 'normal'
    expect(f.hash).toMatch(/^[0-9a-f]{64}$/);
    const thumb = await sharp(thumbPath(opts.dataDir, f.hash, 256)).metadata();
    expect(thumb).toMatchObject({ format: 'webp', width: 256, height: 171 });
  });

  it('applies EXIF orientation 6: swapped width/height, upright thumbnail, and reads the EXIF date', async () => {
    const path = join(dir, 'sideways.jpg');
    await writeOrientation6(path);
    const f = facts(await inspectFile(path, statSync(path).size, opts));
    expect(f).toMatchObject({ width: 200, height: 400, orientation: 6, takenAt: '2021-06-01T14:03:00' });
    const thumb = sharp(thumbPath(opts.dataDir, f.hash, 256));
    expect(await thumb.metadata()).toMatchObject({ width: 128, height: 256 });
    // The stored picture has red on the left; turned upright, red is at the top.
    const { data, info } = await thumb.raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const [tr, , tb] = px(64, 20);
    const [br, , bb] = px(64, 236);
    expect(tr).toBeGreaterThan(200);
    expect(tb).toBeLessThan(60);
    expect(br).toBeLessThan(60);
    expect(bb).toBeGreaterThan(200);
  });

  it('refuses a 30000x30000 PNG as too-large from its header, without decoding it', async () => {
    const bomb = pngBomb(30000, 30000);
    const t0 = performance.now();
    const r = await inspect('bomb.png', bomb);
    const ms = performance.now() - t0;
    expect(r).toMatchObject({ kind: 'problem', reason: 'too-large' });
    if (r.kind === 'problem') expect(r.message).toContain('30000 × 30000 pixels');
    // Decoding 900 megapixels takes seconds and gigabytes; reading a header takes milliseconds.
    expect(ms).toBeLessThan(500);
  });

  it('follows the pixel limit setting', async () => {
    const bytes = await (await noisyImage(2000, 1000, 3)).png().toBuffer();
    opts.maxPixels = 1_000_000;
    expect(await inspect('big.png', bytes)).toMatchObject({ kind: 'problem', reason: 'too-large' });
    opts.maxPixels = 2_000_000;
    expect(facts(await inspect('big.png', bytes)).width).toBe(2000);
  });

  it.each([
    ['an empty file', 'empty.jpg', async () => Buffer.alloc(0), 'empty', /empty/],
    ['text named .png', 'notes.png', async () => Buffer.from('just some text, not a picture\n'), 'not-image', /not an image.*\.png/],
    ['random bytes named .jpg', 'noise.jpg', async () => randomBytes(5000, 9), 'not-image', /not an image/],
    ['a truncated JPEG', 'cut.jpg', () => truncatedJpeg(), 'corrupt', /damaged or cut short/],
    [
      'a HEIC file',
      'phone.heic',
      async () => Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(40)]),
      'unsupported',
      /HEIC/,
    ],
    [
      'a JPEG header with garbage after it',
      'garbage.jpg',
      async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(3000, 4)]),
      'corrupt',
      /damaged/,
    ],
  ])('records %s as %s with a readable message', async (_what, name, make, reason, message) => {
    const r = await inspect(name, await make());
    expect(r).toMatchObject({ kind: 'problem', reason });
    if (r.kind === 'problem') expect(r.message).toMatch(message);
  });

  it('gives a truncated JPEG the same readable reason every time, even decoded alongside others', async () => {
    // libvips shares one error buffer between threads: in parallel its message was sometimes
    // "Unknown error". The reason now comes from the bytes.
    const cut: Buffer[] = [];
    for (let i = 0; i < 8; i++) {
      const full = await (await noisyImage(300, 200, 40 + i)).jpeg({ quality: 80 }).toBuffer();
      cut.push(full.subarray(0, Math.floor(full.length / 2)));
    }
    for (let round = 0; round < 3; round++) {
      opts.dataDir = join(dir, `data-${round}`); // a fresh scan: no cached thumbnails
      const results = await Promise.all(cut.map((b, i) => inspect(`cut-${round}-${i}.jpg`, b)));
      results.forEach((r, i) =>
        expect(r).toEqual({
          kind: 'problem',
          reason: 'corrupt',
          message: `The image data is damaged or cut short and cannot be decoded (the JPEG ends after ${cut[i].length.toLocaleString('en-US')} bytes without its end-of-image marker).`,
        }),
      );
    }
  });

  it('says when the decoder gave no reason instead of "Unknown error"', async () => {
    // A complete JPEG (end marker in place) whose scan data is noise.
    const good = await (await noisyImage(64, 48, 3)).jpeg().toBuffer();
    const sos = good.indexOf(Buffer.from([0xff, 0xda]));
    const broken = Buffer.concat([
      good.subarray(0, sos),
      Buffer.from([0xff, 0xda, 0x00, 0x02]),
      randomBytes(500, 7).map((b) => (b === 0xff ? 0 : b)),
      Buffer.from([0xff, 0xd9]),
    ]);
    const r = await inspect('noise-scan.jpg', broken);
    expect(r).toMatchObject({ kind: 'problem', reason: 'corrupt' });
    if (r.kind === 'problem') expect(r.message).not.toMatch(/Unknown error/);
  });

  it('gives a file misnamed with another image extension its real format', async () => {
    const png = await (await noisyImage(50, 40, 5)).png().toBuffer();
    expect(facts(await inspect('really-a-png.jpg', png)).format).toBe('png');
  });

  it('reuses the thumbnail of identical bytes instead of decoding again', async () => {
    const path = join(dir, 'one.jpg');
    writeFileSync(path, await (await noisyImage(300, 200, 8)).jpeg().toBuffer());
    copyFileSync(path, join(dir, 'two.jpg'));
    const a = facts(await inspectFile(path, 1, opts));
    const thumb = thumbPath(opts.dataDir, a.hash, 256);
    // Replace the cached thumbnail with a marker: a second decode would overwrite it.
    writeFileSync(thumb, 'marker');
    const b = facts(await inspectFile(join(dir, 'two.jpg'), 1, opts));
    expect(b.hash).toBe(a.hash);
    expect(readFileSync(thumb, 'utf8')).toBe('marker');
  });

  it('reports a file that vanished before it was read, without a problem', async () => {
    expect(await inspectFile(join(dir, 'gone.jpg'), 123, opts)).toEqual({ kind: 'vanished' });
  });
});

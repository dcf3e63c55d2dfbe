// Draws the demo library shipped in resources/demo: small JPEGs in a few classes that differ
// in shape and texture (not only colour), one folder per class, so a new user sees the app
// working and later features (MoCo pretraining, kNN) have something separable to learn.
// Everything comes from one seeded generator, so a rerun gives the same files.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

export const DEMO_CLASSES = ['circles', 'rings', 'stripes', 'checkers', 'triangles', 'gradients'] as const;
export type DemoClass = (typeof DEMO_CLASSES)[number];

export const DEMO_BUDGET_BYTES = 5 * 1024 * 1024;

export interface DemoOptions {
  outDir: string;
  perClass?: number;
  /** side of each square image, px */
  size?: number;
  seed?: number;
  quality?: number;
}

export interface DemoResult {
  outDir: string;
  files: number;
  totalBytes: number;
  perClass: Record<DemoClass, number>;
}

/** mulberry32: tiny, fast and good enough to vary drawings reproducibly. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const intBetween = (rng: Rng, lo: number, hi: number) => Math.floor(between(rng, lo, hi + 1));

/** Standard normal sample (Box-Muller). */
function gauss(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** HSL (degrees, percent, percent) to #rrggbb, so the SVG renderer needs no CSS colour parsing. */
function hsl(h: number, s: number, l: number): string {
  const sat = s / 100;
  const lig = l / 100;
  const a = sat * Math.min(lig, 1 - lig);
  const channel = (n: number) => {
    const k = (n + (((h % 360) + 360) % 360) / 30) % 12;
    const v = lig - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** A background colour and a foreground colour far from it in hue and lightness. */
function palette(rng: Rng): { bg: string; fg: string; fg2: string } {
  const h = between(rng, 0, 360);
  const dark = rng() < 0.5;
  const bgL = dark ? between(rng, 10, 30) : between(rng, 72, 92);
  const fgL = dark ? between(rng, 55, 80) : between(rng, 15, 40);
  return {
    bg: hsl(h, between(rng, 10, 60), bgL),
    fg: hsl(h + between(rng, 90, 270), between(rng, 50, 95), fgL),
    fg2: hsl(h + between(rng, 90, 270), between(rng, 50, 95), fgL),
  };
}

/** A flat background, or a faint two-tone gradient so backgrounds are not a class cue. */
function background(rng: Rng, s: number, bg: string, id: string): { defs: string; rect: string } {
  if (rng() < 0.6) return { defs: '', rect: `<rect width="${s}" height="${s}" fill="${bg}"/>` };
  const angle = between(rng, 0, 360);
  return {
    defs:
      `<linearGradient id="${id}" gradientTransform="rotate(${angle.toFixed(1)} .5 .5)">` +
      `<stop offset="0" stop-color="${bg}"/><stop offset="1" stop-color="${bg}" stop-opacity=".75"/></linearGradient>`,
    rect: `<rect width="${s}" height="${s}" fill="black"/><rect width="${s}" height="${s}" fill="url(#${id})"/>`,
  };
}

const svg = (s: number, defs: string, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}">` + `<defs>${defs}</defs>${body}</svg>`;

/** Between `min` and `max` filled shapes on a background; `shape` draws one of the n in `fill`. */
function scatter(rng: Rng, s: number, [min, max]: [number, number], shape: (n: number, fill: string) => string): string {
  const p = palette(rng);
  const bg = background(rng, s, p.bg, 'bg');
  let body = bg.rect;
  const n = intBetween(rng, min, max);
  for (let i = 0; i < n; i++) body += shape(n, i % 2 ? p.fg2 : p.fg);
  return svg(s, bg.defs, body);
}

/** A few filled disks of different sizes. */
function drawCircles(rng: Rng, s: number): string {
  return scatter(rng, s, [1, 4], (n, fill) => {
    const r = between(rng, s * 0.1, s * (n === 1 ? 0.38 : 0.24));
    const cx = between(rng, r, s - r);
    const cy = between(rng, r, s - r);
    return `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${r.toFixed(1)}" fill="${fill}"/>`;
  });
}

/** Concentric outlined rings around one centre: round like circles, but hollow and repeated. */
function drawRings(rng: Rng, s: number): string {
  const p = palette(rng);
  const bg = background(rng, s, p.bg, 'bg');
  const cx = between(rng, s * 0.3, s * 0.7);
  const cy = between(rng, s * 0.3, s * 0.7);
  const width = between(rng, s * 0.025, s * 0.05);
  const gap = width * between(rng, 1.8, 3);
  const n = intBetween(rng, 3, 6);
  let body = bg.rect;
  for (let i = 1; i <= n; i++) {
    body +=
      `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${(i * gap).toFixed(1)}" fill="none" ` +
      `stroke="${p.fg}" stroke-width="${width.toFixed(1)}"/>`;
  }
  return svg(s, bg.defs, body);
}

/** Parallel bars at a random angle and period, covering the whole frame. */
function drawStripes(rng: Rng, s: number): string {
  const p = palette(rng);
  const period = between(rng, s * 0.08, s * 0.2);
  const duty = between(rng, 0.35, 0.6);
  const angle = between(rng, 0, 180);
  const offset = between(rng, 0, period);
  let bars = '';
  // Drawn over twice the frame so rotation never shows a corner.
  for (let x = -s + offset; x < 2 * s; x += period) {
    bars += `<rect x="${x.toFixed(1)}" y="${-s}" width="${(period * duty).toFixed(1)}" height="${3 * s}" fill="${p.fg}"/>`;
  }
  const c = s / 2;
  return svg(s, '', `<rect width="${s}" height="${s}" fill="${p.bg}"/><g transform="rotate(${angle.toFixed(1)} ${c} ${c})">${bars}</g>`);
}

/** A checkerboard at a random angle and cell size. */
function drawCheckers(rng: Rng, s: number): string {
  const p = palette(rng);
  const cell = between(rng, s * 0.08, s * 0.18);
  const angle = between(rng, 0, 90);
  const ox = between(rng, 0, 2 * cell);
  const oy = between(rng, 0, 2 * cell);
  const defs =
    `<pattern id="ck" width="${(2 * cell).toFixed(2)}" height="${(2 * cell).toFixed(2)}" patternUnits="userSpaceOnUse" ` +
    `patternTransform="translate(${ox.toFixed(1)} ${oy.toFixed(1)}) rotate(${angle.toFixed(1)})">` +
    `<rect width="${(2 * cell).toFixed(2)}" height="${(2 * cell).toFixed(2)}" fill="${p.bg}"/>` +
    `<rect width="${cell.toFixed(2)}" height="${cell.toFixed(2)}" fill="${p.fg}"/>` +
    `<rect x="${cell.toFixed(2)}" y="${cell.toFixed(2)}" width="${cell.toFixed(2)}" height="${cell.toFixed(2)}" fill="${p.fg}"/>` +
    `</pattern>`;
  return svg(s, defs, `<rect width="${s}" height="${s}" fill="url(#ck)"/>`);
}

/** One to three filled triangles: straight edges and sharp corners. */
function drawTriangles(rng: Rng, s: number): string {
  return scatter(rng, s, [1, 3], (n, fill) => {
    const r = between(rng, s * (n === 1 ? 0.28 : 0.16), s * (n === 1 ? 0.45 : 0.3));
    const cx = between(rng, r * 0.6, s - r * 0.6);
    const cy = between(rng, r * 0.6, s - r * 0.6);
    const turn = between(rng, 0, 2 * Math.PI);
    // Vertices roughly 120 degrees apart, jittered so triangles are not all equilateral.
    const pts = [0, 1, 2]
      .map((k) => turn + (k * 2 * Math.PI) / 3 + between(rng, -0.35, 0.35))
      .map((a) => `${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`)
      .join(' ');
    return `<polygon points="${pts}" fill="${fill}"/>`;
  });
}

/** Smooth linear or radial colour ramps with no edges at all. */
function drawGradients(rng: Rng, s: number): string {
  const p = palette(rng);
  const stops = `<stop offset="0" stop-color="${p.bg}"/><stop offset="${between(rng, 0.4, 0.6).toFixed(2)}" stop-color="${p.fg}"/><stop offset="1" stop-color="${p.fg2}"/>`;
  const defs =
    rng() < 0.6
      ? `<linearGradient id="g" gradientTransform="rotate(${between(rng, 0, 360).toFixed(1)} .5 .5)">${stops}</linearGradient>`
      : `<radialGradient id="g" cx="${between(rng, 0.2, 0.8).toFixed(2)}" cy="${between(rng, 0.2, 0.8).toFixed(2)}" r="${between(rng, 0.6, 1).toFixed(2)}">${stops}</radialGradient>`;
  return svg(s, defs, `<rect width="${s}" height="${s}" fill="url(#g)"/>`);
}

const DRAW: Record<DemoClass, (rng: Rng, size: number) => string> = {
  circles: drawCircles,
  rings: drawRings,
  stripes: drawStripes,
  checkers: drawCheckers,
  triangles: drawTriangles,
  gradients: drawGradients,
};

/** Renders an SVG, adds seeded Gaussian noise (so no two images are flat copies) and encodes a JPEG. */
async function renderJpeg(markup: string, size: number, rng: Rng, quality: number): Promise<Buffer> {
  const { data, info } = await sharp(Buffer.from(markup)).resize(size, size).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sigma = between(rng, 2, 12);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i] + sigma * gauss(rng))));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality, mozjpeg: true })
    .toBuffer();
}

/**
 * Writes outDir/<class>/<class>-NNN.jpg for every class. Removes JPEGs left in the class
 * folders by an earlier run (and nothing else), so the folder holds exactly this run's set.
 */
export async function makeDemoLibrary(opts: DemoOptions): Promise<DemoResult> {
  const perClass = opts.perClass ?? 50;
  const size = opts.size ?? 112;
  const seed = opts.seed ?? 20240601;
  const quality = opts.quality ?? 80;
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`makeDemoLibrary: expected perClass >= 1, got ${perClass}`);
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new Error(`makeDemoLibrary: expected size in 16..1024, got ${size}`);

  const result: DemoResult = { outDir: opts.outDir, files: 0, totalBytes: 0, perClass: {} as Record<DemoClass, number> };
  for (const [classIndex, name] of DEMO_CLASSES.entries()) {
    const dir = join(opts.outDir, name);
    await mkdir(dir, { recursive: true });
    for (const old of await readdir(dir)) if (old.endsWith('.jpg')) await rm(join(dir, old));
    // One stream per class, so adding images to one class does not change the others.
    const rng = makeRng(seed * 31 + classIndex);
    for (let i = 0; i < perClass; i++) {
      const jpeg = await renderJpeg(DRAW[name](rng, size), size, rng, quality);
      await writeFile(join(dir, `${name}-${String(i + 1).padStart(3, '0')}.jpg`), jpeg);
      result.files++;
      result.totalBytes += jpeg.length;
    }
    result.perClass[name] = perClass;
  }
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'per-class': { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run make:demo -- [--out DIR] [--per-class N] [--size PX] [--seed N]');
    console.log(`classes: ${DEMO_CLASSES.join(', ')}; default out: resources/demo, 50 per class, 112 px`);
    return;
  }
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`make-demo-library: expected an integer for --${flag}, got ${JSON.stringify(v)}`);
    return n;
  };
  const outDir = resolve(values.out ?? fileURLToPath(new URL('../resources/demo', import.meta.url)));
  const r = await makeDemoLibrary({
    outDir,
    perClass: num('per-class', values['per-class']),
    size: num('size', values.size),
    seed: num('seed', values.seed),
  });
  const mb = (r.totalBytes / 1024 / 1024).toFixed(2);
  console.log(`${r.files} images in ${DEMO_CLASSES.length} classes written to ${r.outDir}: ${mb} MB`);
  if (r.totalBytes > DEMO_BUDGET_BYTES) {
    throw new Error(`make-demo-library: expected at most ${DEMO_BUDGET_BYTES / 1024 / 1024} MB, got ${mb} MB`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}

// Makes the benchmark's photo-sized JPEGs once: gradients, translucent shapes and grain, so
// files are 1-2 MB like a camera's and no two are alike. Existing files are kept, so a run
// that was stopped half-way resumes where it left off. Runs as its own process
// (generateInChild) so the memory drawing takes is not counted in the benchmark's peak RSS.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { makeRng } from '../scripts/make-demo-library';

export interface GenerateOptions {
  dir: string;
  count: number;
  width: number;
  height: number;
  /** images drawn at the same time */
  concurrency: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

type Rng = () => number;

const NOISE_TILE = 512;

/** Gaussian grain around mid-grey; 'overlay'-blending it leaves the picture and adds grain. */
async function noiseTile(rng: Rng, sigma: number): Promise<Buffer> {
  const raw = Buffer.alloc(NOISE_TILE * NOISE_TILE * 3);
  for (let i = 0; i < raw.length; i++) {
    const u = Math.max(rng(), 1e-12);
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
    raw[i] = Math.max(0, Math.min(255, Math.round(128 + sigma * g)));
  }
  return sharp(raw, { raw: { width: NOISE_TILE, height: NOISE_TILE, channels: 3 } })
    .png()
    .toBuffer();
}

const colour = (rng: Rng) =>
  `#${Math.floor(rng() * 0xffffff)
    .toString(16)
    .padStart(6, '0')}`;

function scene(rng: Rng, w: number, h: number): string {
  const angle = (rng() * 360).toFixed(1);
  let body =
    `<defs><linearGradient id="g" gradientTransform="rotate(${angle} .5 .5)">` +
    `<stop offset="0" stop-color="${colour(rng)}"/><stop offset="1" stop-color="${colour(rng)}"/></linearGradient></defs>` +
    `<rect width="${w}" height="${h}" fill="url(#g)"/>`;
  const shapes = 10 + Math.floor(rng() * 30);
  for (let i = 0; i < shapes; i++) {
    const r = (0.02 + rng() * 0.18) * w;
    const x = (rng() * w).toFixed(0);
    const y = (rng() * h).toFixed(0);
    const style = `fill="${colour(rng)}" fill-opacity="${(0.3 + rng() * 0.7).toFixed(2)}"`;
    const kind = rng();
    if (kind < 0.4) body += `<circle cx="${x}" cy="${y}" r="${r.toFixed(0)}" ${style}/>`;
    else if (kind < 0.8) {
      body += `<rect x="${x}" y="${y}" width="${(2 * r).toFixed(0)}" height="${r.toFixed(0)}" ${style} transform="rotate(${(rng() * 90).toFixed(1)} ${x} ${y})"/>`;
    } else {
      const pts = [0, 1, 2].map(() => `${(rng() * w).toFixed(0)},${(rng() * h).toFixed(0)}`).join(' ');
      body += `<polygon points="${pts}" ${style}/>`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`;
}

export const benchFileName = (i: number) => `photo-${String(i + 1).padStart(5, '0')}.jpg`;
export const benchFiles = (dir: string, count: number) => Array.from({ length: count }, (_, i) => join(dir, benchFileName(i)));

/** Returns the absolute paths of all `count` images, drawing those not there yet. */
export async function generateBenchImages(opts: GenerateOptions): Promise<string[]> {
  await mkdir(opts.dir, { recursive: true });
  const present = new Set((await readdir(opts.dir)).filter((f) => f.endsWith('.jpg')));
  const files = benchFiles(opts.dir, opts.count);
  const todo = files.map((f, i) => i).filter((i) => !present.has(benchFileName(i)));
  if (todo.length === 0) return files;

  const tileRng = makeRng(opts.seed ?? 1);
  const tiles = await Promise.all([10, 14, 18].map((sigma) => noiseTile(tileRng, sigma)));
  let done = opts.count - todo.length;
  let next = 0;
  const drawOne = async (i: number) => {
    // Seeded per index, so a resumed run draws what a single run would have drawn.
    const rng = makeRng((opts.seed ?? 1) * 100_003 + i);
    const jpeg = await sharp(Buffer.from(scene(rng, opts.width, opts.height)))
      .composite([{ input: tiles[i % tiles.length], tile: true, blend: 'overlay' }])
      .jpeg({ quality: 85 + Math.floor(rng() * 6) })
      .toBuffer();
    // Written under a temporary name and renamed, so a killed run never leaves half a JPEG.
    const tmp = `${files[i]}.part`;
    await writeFile(tmp, jpeg);
    await rename(tmp, files[i]);
  };
  const lane = async () => {
    while (next < todo.length) {
      await drawOne(todo[next++]);
      opts.onProgress?.(++done, opts.count);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, lane));
  return files;
}

/**
 * Draws whatever is missing in a child process (same Node, same loader flags as this one) and
 * returns the paths of all `count` images.
 */
export async function generateInChild(dir: string, count: number, width: number, height: number): Promise<string[]> {
  const files = benchFiles(dir, count);
  if (files.every((f) => existsSync(f))) return files;
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--dir', dir, '--count', String(count), '--width', String(width), '--height', String(height)];
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', fail);
    child.on('close', (code, signal) =>
      code === 0 ? done() : fail(new Error(`generate-images: expected exit code 0, got ${code ?? signal}`)),
    );
  });
  return files;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { dir: { type: 'string' }, count: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' } },
  });
  const int = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`generate-images: expected a positive integer for --${flag}, got ${JSON.stringify(value)}`);
    return n;
  };
  if (!v.dir) throw new Error('generate-images: expected --dir <folder>, got none');
  const count = int('count', v.count);
  let shown = 0;
  const t0 = performance.now();
  await generateBenchImages({
    dir: resolve(v.dir),
    count,
    width: int('width', v.width),
    height: int('height', v.height),
    concurrency: availableParallelism(),
    onProgress: (done, total) => {
      if (done - shown < 100 && done !== total) return;
      shown = done;
      console.log(`  drawn ${done}/${total} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}

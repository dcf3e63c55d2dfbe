// `npm run bench:index`: how fast the library indexes photo-sized JPEGs compared with
// libvips' own `vipsthumbnail`, and how much memory it takes. Not a test: it prints numbers.
//
// 1. Draws (once, cached in $MOCO_BENCH_DIR or .bench/) 2,000 JPEGs of 3000x2000.
// 2. Warms the page cache by reading every file (dropping the cache needs root and would make
//    the first contender pay for the disk), then times `vipsthumbnail` making 256 px WebP
//    thumbnails with as many processes at a time as the indexer has files in flight.
// 3. Warms again, then times the core indexing the same files into a fresh database (hash,
//    decode, thumbnail, database writes), and takes the peak RSS of this whole process.
import { availableParallelism } from 'node:os';
import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Unsubscribe } from '../src-main/api/contract';
import { createStudio } from '../src-main/core/studio';
import type { Studio } from '../src-main/core/studio-types';
import { generateInChild } from './generate-images';
import { measurePeakRss } from './memory';
import { runVipsthumbnail, VIPS_INSTALL_HINT, vipsthumbnailVersion } from './vips-baseline';
import { intFlag } from './flags';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GOAL_RATIO = 0.8;
const GOAL_RSS_MB = 600;
const THUMB_SIZE = 256;
/** Files the indexer works on at a time (the scan's `concurrency` in core/studio.ts). */
const INDEXER_IN_FLIGHT = availableParallelism() * 2;

const HELP = `Usage: npm run bench:index -- [options]

Options:
  --count <n>        images to index (default 2000)
  --width <px>       image width (default 3000)
  --height <px>      image height (default 2000)
  --parallelism <n>  vipsthumbnail processes at a time (default: 2 x CPUs, the number of
                     files the indexer decodes at a time)
  --chunk <n>        files per vipsthumbnail process (default 20, fewer for a small --count)
  --keep             keep the database and thumbnails of the run
  --help             show this help

Images are cached in $MOCO_BENCH_DIR, else .bench/ in the repository.
`;

const seconds = (ms: number) => ms / 1000;
const mb = (bytes: number) => bytes / 1024 / 1024;

/** Reads every file once so both contenders start from a warm page cache. */
async function warmPageCache(files: string[]): Promise<{ bytes: number; ms: number }> {
  const t0 = performance.now();
  const buf = Buffer.allocUnsafe(4 << 20);
  let bytes = 0;
  for (const f of files) {
    const fh = await open(f, 'r');
    try {
      for (let n; (n = (await fh.read(buf, 0, buf.length, null)).bytesRead) > 0;) bytes += n;
    } finally {
      await fh.close();
    }
  }
  return { bytes, ms: performance.now() - t0 };
}

async function countFiles(dir: string, suffix: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).length;
}

interface Contender {
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

async function benchVips(files: string[], benchDir: string, parallelism: number, chunk: number): Promise<Contender | { skipped: string }> {
  const version = vipsthumbnailVersion();
  if (!version) return { skipped: `vipsthumbnail not found; install it with: ${VIPS_INSTALL_HINT}` };
  console.log(
    `vipsthumbnail (${version}): ${parallelism} processes at a time, ${chunk} files each, -s ${THUMB_SIZE} to WebP Q=80 effort=2 (as the indexer)`,
  );
  const outDir = await mkdtemp(join(benchDir, 'vips-'));
  try {
    const warm = await warmPageCache(files);
    console.log(`  page cache warmed: ${mb(warm.bytes).toFixed(0)} MB read in ${seconds(warm.ms).toFixed(1)} s`);
    const t0 = performance.now();
    const made = await runVipsthumbnail({ files, outDir, parallelism, chunk, size: THUMB_SIZE, format: '.webp[Q=80,effort=2]' });
    const s = seconds(performance.now() - t0);
    if (made !== files.length) throw new Error(`bench:index: expected ${files.length} vipsthumbnail outputs, got ${made}`);
    return { images: files.length, seconds: s, imagesPerSecond: files.length / s };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function benchOurs(files: string[], photosDir: string, benchDir: string, keep: boolean) {
  const dataDir = await mkdtemp(join(benchDir, 'run-'));
  const warm = await warmPageCache(files);
  console.log(`moco-studio: fresh database in ${dataDir}`);
  console.log(`  page cache warmed: ${mb(warm.bytes).toFixed(0)} MB read in ${seconds(warm.ms).toFixed(1)} s`);
  // What this process holds before the core is loaded (tsx, sharp), to read the peak against.
  const startRssBytes = process.memoryUsage().rss;
  const stopRss = measurePeakRss();
  let studio: Studio | undefined;
  let off: Unsubscribe = () => {};
  try {
    studio = await createStudio({ dataDir, host: 'cli', demoFolder: null });
    let lastPrint = 0;
    off = studio.on('scan.progress', (p) => {
      if (performance.now() - lastPrint < 2000) return;
      lastPrint = performance.now();
      console.log(`  ${p.phase}: ${p.processed}/${p.found} (${p.rate.toFixed(1)}/s, ${p.failed} failed)`);
    });
    const t0 = performance.now();
    await studio.api.addFolder(photosDir);
    const last = await studio.waitForScan();
    const s = seconds(performance.now() - t0);
    const status = await studio.api.getStatus();
    const peak = stopRss();
    if (!last || last.phase !== 'done') {
      throw new Error(`bench:index: expected the scan to end 'done', got ${last ? `'${last.phase}' ${last.error ?? ''}` : 'no scan'}`);
    }
    if (status.images !== files.length || last.failed !== 0) {
      throw new Error(`bench:index: expected ${files.length} images and no failures, got ${status.images} images, ${last.failed} failed`);
    }
    const thumbnails = await countFiles(dataDir, '.webp');
    return {
      images: files.length,
      seconds: s,
      imagesPerSecond: files.length / s,
      peakRssBytes: peak.peak,
      startRssBytes,
      rssSource: peak.source,
      thumbnails,
    };
  } finally {
    stopRss();
    off();
    await studio?.close();
    if (!keep) await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      count: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      parallelism: { type: 'string' },
      chunk: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  const count = intFlag('bench:index', 'count', v.count, 2000);
  const width = intFlag('bench:index', 'width', v.width, 3000);
  const height = intFlag('bench:index', 'height', v.height, 2000);
  const parallelism = intFlag('bench:index', 'parallelism', v.parallelism, INDEXER_IN_FLIGHT);
  // Enough chunks that every process has work even for a small --count.
  const chunk = intFlag('bench:index', 'chunk', v.chunk, Math.max(1, Math.min(20, Math.ceil(count / parallelism))));
  const benchDir = process.env.MOCO_BENCH_DIR || join(ROOT, '.bench');
  // Only this folder is indexed, so it must hold exactly the benchmark's images.
  const photosDir = join(benchDir, `photos-${width}x${height}-${count}`);
  await mkdir(benchDir, { recursive: true });

  const tGen = performance.now();
  const files = await generateInChild(photosDir, count, width, height);
  console.log(`${count} JPEGs of ${width}x${height} in ${photosDir} (ready after ${seconds(performance.now() - tGen).toFixed(0)} s)`);

  const vips = await benchVips(files, benchDir, parallelism, chunk);
  if ('skipped' in vips) console.log(vips.skipped);
  const ours = await benchOurs(files, photosDir, benchDir, v.keep ?? false);
  const ratio = 'skipped' in vips ? null : ours.imagesPerSecond / vips.imagesPerSecond;
  const rssMB = mb(ours.peakRssBytes);

  const row = (name: string, c: Contender, rss: string) =>
    `${name.padEnd(22)}${String(c.images).padStart(7)}${c.seconds.toFixed(1).padStart(10)}${c.imagesPerSecond.toFixed(1).padStart(11)}${rss.padStart(12)}`;
  console.log('');
  console.log(`${''.padEnd(22)}${'images'.padStart(7)}${'seconds'.padStart(10)}${'images/s'.padStart(11)}${'peak RSS'.padStart(12)}`);
  if (!('skipped' in vips)) console.log(row('vipsthumbnail', vips, '-'));
  console.log(row('moco-studio indexer', ours, `${rssMB.toFixed(0)} MB`));
  console.log(
    `ratio ours/vipsthumbnail: ${ratio === null ? 'n/a' : ratio.toFixed(2)} (goal >= ${GOAL_RATIO}); ` +
      `peak RSS ${rssMB.toFixed(0)} MB from ${ours.rssSource}, ${mb(ours.startRssBytes).toFixed(0)} MB before the core started (goal < ${GOAL_RSS_MB} MB); ` +
      `${ours.thumbnails} thumbnails written by the indexer`,
  );
  console.log(
    JSON.stringify({
      bench: 'index',
      images: count,
      width,
      height,
      parallelism,
      cpus: availableParallelism(),
      cacheWarmed: true,
      vipsthumbnail: 'skipped' in vips ? null : { seconds: vips.seconds, imagesPerSecond: vips.imagesPerSecond, chunk },
      ours: {
        seconds: ours.seconds,
        imagesPerSecond: ours.imagesPerSecond,
        peakRssMB: rssMB,
        startRssMB: mb(ours.startRssBytes),
        rssSource: ours.rssSource,
        thumbnails: ours.thumbnails,
      },
      ratio,
      goals: { ratio: GOAL_RATIO, peakRssMB: GOAL_RSS_MB },
      met: { ratio: ratio === null ? null : ratio >= GOAL_RATIO, peakRss: rssMB < GOAL_RSS_MB },
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

// The yardstick: libvips' own command-line thumbnailer over the same files, as many processes
// at a time as our indexer has workers, each process taking the next chunk of files (what
// `xargs -P <parallelism> -n <chunk> vipsthumbnail` does).
import { spawn, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const VIPS_INSTALL_HINT = 'apt-get install -y libvips-tools (Debian/Ubuntu), brew install vips (macOS)';

/** The libvips version of `vipsthumbnail` on PATH, or null when it is not installed. */
export function vipsthumbnailVersion(): string | null {
  const r = spawnSync('vipsthumbnail', ['--vips-version'], { encoding: 'utf8' });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw r.error;
  }
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface VipsRunOptions {
  files: string[];
  outDir: string;
  parallelism: number;
  /** files per process, to spread start-up cost like a long-lived worker would */
  chunk: number;
  /** longest side of a thumbnail, px */
  size: number;
  /** output suffix with libvips save options, e.g. '.webp[Q=80]' */
  format: string;
}

function runOnce(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('vipsthumbnail', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`vipsthumbnail: expected exit code 0, got ${code}: ${stderr.trim().slice(0, 500)}`));
    });
  });
}

/** Thumbnails every file; resolves with the number of thumbnails written. */
export async function runVipsthumbnail(opts: VipsRunOptions): Promise<number> {
  const chunks: string[][] = [];
  for (let i = 0; i < opts.files.length; i += opts.chunk) chunks.push(opts.files.slice(i, i + opts.chunk));
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      await runOnce(['-s', String(opts.size), '-o', join(opts.outDir, `%s${opts.format}`), ...chunk]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallelism) }, lane));
  return (await readdir(opts.outDir)).length;
}

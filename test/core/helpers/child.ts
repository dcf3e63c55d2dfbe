// Spawning the scan child: as a normal user, or (when the tests run as root, who can read
// anything) as 'nobody', so that permission errors are real.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScanProgress } from '../../../src-main/api/contract';

export const SCAN_CHILD = fileURLToPath(new URL('./scan-child.ts', import.meta.url));
export const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

export function spawnScan(dataDir: string, folder: string, opts: { asNobody?: boolean } = {}): ChildProcess {
  const ids = opts.asNobody && isRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return spawn(process.execPath, ['--import', 'tsx', SCAN_CHILD, dataDir, folder], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...ids,
  });
}

/** Runs the child to the end and returns its final progress. */
export function scanInChild(dataDir: string, folder: string, opts: { asNobody?: boolean } = {}): Promise<ScanProgress> {
  const child = spawnScan(dataDir, folder, opts);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`scan child: expected exit 0, got ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ScanProgress);
    });
  });
}

/** Lets 'nobody' into a test's temp tree. */
export function openUp(...dirs: string[]): void {
  for (const d of dirs) chmodSync(d, 0o777);
}

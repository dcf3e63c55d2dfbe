// The environment of a reference process (PyTorch, FAISS) so that it runs as fast as it fairly
// can on a shared machine. Debian links torch and FAISS against the reference BLAS by default,
// and their OpenMP threads busy-wait: on a loaded 2-core machine that halves them or worse.
// So the child gets OMP_WAIT_POLICY=passive and OpenBLAS (Debian's libopenblas0-pthread,
// fetched with `apt-get download` into .bench/ and unpacked with `dpkg -x`, never installed
// system-wide), chosen for that process only through LD_LIBRARY_PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.bench', 'openblas');
const PACKAGE = 'libopenblas0-pthread';
const LIB_DIR = join(CACHE, 'root', 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread');

export interface ReferenceEnv {
  env: NodeJS.ProcessEnv;
  /** what the reference gets, in words, for the printed report */
  described: string;
}

/** The directory holding OpenBLAS's libblas.so.3, unpacked on first use; throws with the reason when it cannot be had. */
export function openBlasDir(): string {
  if (existsSync(join(LIB_DIR, 'libblas.so.3'))) return LIB_DIR;
  mkdirSync(CACHE, { recursive: true });
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: CACHE, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(
        `reference env: expected \`${cmd} ${args.join(' ')}\` to succeed, got ${r.error?.message ?? `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`}`,
      );
    }
  };
  if (!readdirSync(CACHE).some((f) => f.startsWith(PACKAGE) && f.endsWith('.deb'))) run('apt-get', ['download', PACKAGE]);
  const deb = readdirSync(CACHE).find((f) => f.startsWith(PACKAGE) && f.endsWith('.deb'))!;
  run('dpkg', ['-x', deb, 'root']);
  if (!existsSync(join(LIB_DIR, 'libblas.so.3')))
    throw new Error(`reference env: expected ${LIB_DIR}/libblas.so.3 after unpacking ${deb}, got none`);
  return LIB_DIR;
}

/**
 * The reference child's environment: passive OpenMP waits, `threads` threads, and OpenBLAS
 * when it can be had (else the system BLAS, and the report says so).
 */
export function referenceEnv(threads: number): ReferenceEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_WAIT_POLICY: 'passive',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  try {
    const dir = openBlasDir();
    env.LD_LIBRARY_PATH = [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    return { env, described: `OpenBLAS (${PACKAGE}, this process only), OMP_WAIT_POLICY=passive, ${threads} threads` };
  } catch (err) {
    return { env, described: `system BLAS (${(err as Error).message}), OMP_WAIT_POLICY=passive, ${threads} threads` };
  }
}

// Where a worker's code is. The production build emits each worker entry (scan-worker.js,
// train-worker.js, ...) next to every other chunk; from sources (vitest, tsx) the worker is
// its .ts file, loaded through tsx. Node 20 does not apply `--import tsx` given in a worker's
// execArgv to the worker's own ESM loader, so from sources the worker is a one-line bootstrap
// that imports the .ts file with tsx's tsImport.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker entry `name` (built as `<name>.js` next to this chunk). `source` is the
 * URL of its .ts file, used when no build is there. Callers build it from a variable, e.g.
 * new URL(`./${SOURCE}`, import.meta.url), so bundlers do not turn it into an asset.
 */
export function spawnWorker(name: string, source: URL, options: WorkerOptions): Worker {
  const built = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  if (!existsSync(fileURLToPath(source))) {
    throw new Error(`${name}: expected ${fileURLToPath(built)} or ${fileURLToPath(source)}, got neither`);
  }
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`;
  return new Worker(boot, { ...options, eval: true });
}

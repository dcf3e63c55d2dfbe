// Where the scan worker's code is. The production build emits scan-worker.js next to every
// other chunk; from sources (vitest, tsx) the worker is the .ts file, loaded through tsx.
// Node 20 does not apply `--import tsx` given in a worker's execArgv to the worker's own
// ESM loader, so from sources the worker is a one-line bootstrap that imports the .ts file
// with tsx's tsImport.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Held in variables so bundlers do not rewrite `new URL(literal, import.meta.url)` into assets.
const BUILT = 'scan-worker.js';
const SOURCE = 'scan-worker.ts';

export function spawnScanWorker(options: WorkerOptions): Worker {
  const built = new URL(`./${BUILT}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL(`./${SOURCE}`, import.meta.url);
  if (!existsSync(fileURLToPath(source))) {
    throw new Error(`scan worker: expected ${fileURLToPath(built)} or ${fileURLToPath(source)}, got neither`);
  }
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`;
  return new Worker(boot, { ...options, eval: true });
}

// The multi-threaded build of tfjs-backend-wasm under Node. TF.js 4.22 ships it
// (tfjs-backend-wasm-threaded-simd.wasm, XNNPACK on a pthreadpool) but switches it off in Node:
// its loader hands emscripten `blob:` URLs for the pthread worker script and for the module
// factory the workers import, and Node's worker_threads cannot load either. It also sizes the
// pool as (logical cores / 2), which is 1 on a 2-core machine. While the backend initialises,
// this module gives the loader what Node can load: the two scripts are written to real files
// (the URLs become their paths), and os.cpus() reports twice the wanted thread count. Only
// XNNPACK's kernels (convolutions, matrix products, ...) use the threads; the others stay serial.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** emscripten's pool holds 8 workers in this build; XNNPACK gets at most that many threads. */
export const MAX_WASM_THREADS = 8;

/** The prefix of the module factory's Blob, which the pthread workers import. */
const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd';

/**
 * Threads to ask for: MOCO_WASM_THREADS when set (1 = the single-threaded build), otherwise
 * one per core the OS gives this process, at most MAX_WASM_THREADS.
 */
export function wantedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MOCO_WASM_THREADS?.trim();
  if (!raw) return Math.min(MAX_WASM_THREADS, Math.max(1, os.availableParallelism()));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`MOCO_WASM_THREADS: expected an integer from 1 to ${MAX_WASM_THREADS} or unset, got '${raw}'`);
  }
  return n;
}

/** Why the threaded build cannot load in this process, or null when it can. */
export function threadedWasmUnsupported(): string | null {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  if (typeof Blob !== 'function' || typeof URL.createObjectURL !== 'function') return 'Blob or URL.createObjectURL is missing';
  return null;
}

/**
 * Runs `start` (which must initialise the wasm backend) with the loader's Node gaps filled for
 * `threads` threads; every global it touches is restored before this resolves or rejects.
 * `dir` receives the two scripts (content-addressed, so processes share them).
 */
export async function withThreadedWasmLoader<T>(threads: number, start: () => Promise<T>, dir = defaultScriptDir()): Promise<T> {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new Error(`withThreadedWasmLoader: expected 2 to ${MAX_WASM_THREADS} threads, got ${threads}`);
  }
  const unsupported = threadedWasmUnsupported();
  if (unsupported) throw new Error(`withThreadedWasmLoader: expected a runtime with wasm threads, got one where ${unsupported}`);
  mkdirSync(dir, { recursive: true });

  const RealBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const realCpus = os.cpus;
  const texts = new WeakMap<Blob, string>();
  let factoryPath: string | null = null;

  // Remembers the text of each Blob the loader builds (a Blob cannot be read synchronously).
  class RecordingBlob extends RealBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts?.every((p) => typeof p === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith(FACTORY_PREFIX)) factoryPath = writeScript(dir, 'factory', factoryPreamble() + text);
      }
    }
  }
  // The worker script asks for a URL of the factory Blob; inside the worker it gets the file.
  const createObjectURL = (obj: Blob): string => {
    const text = texts.get(obj);
    if (text === undefined) return realCreateObjectURL(obj);
    if (!factoryPath) throw new Error('withThreadedWasmLoader: expected the module factory before the worker script, got the worker first');
    const preamble = `URL.createObjectURL = () => ${JSON.stringify(factoryPath)}; URL.revokeObjectURL = () => {};\n`;
    return writeScript(dir, 'worker', preamble + text);
  };
  // The build computes its pool size once, at start-up, as emscripten_num_logical_cores() / 2.
  const cpus = (): os.CpuInfo[] => {
    const real = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };

  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = createObjectURL;
  os.cpus = cpus;
  try {
    return await start();
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectURL;
    os.cpus = realCpus;
  }
}

function defaultScriptDir(): string {
  return join(os.tmpdir(), 'moco-studio-wasm-threads');
}

/**
 * The factory's source is cut out of the Node bundle, where it used the bundle's own bindings;
 * the worker evaluates it as a plain script, so they are declared here.
 */
function factoryPreamble(): string {
  return [
    "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');",
    'var commonjsGlobal = globalThis;',
    '',
  ].join('\n');
}

/** Writes `text` once under a name from its hash (atomically: processes may race) and returns the path. */
function writeScript(dir: string, kind: string, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const path = join(dir, `${kind}-${hash}.cjs`);
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}

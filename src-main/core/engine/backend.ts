// Picks the fastest TF.js backend that loads here. The native TensorFlow packages are optional
// dependencies (they download libtensorflow at install, which fails on many machines), so
// their absence is normal: it is reported as a reason, never raised as an error.
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { BACKEND_NAMES, type BackendName, type EngineInfo } from './engine-info';
import { nativeConvLabel } from './native-route';
import { threadedWasmUnsupported, wantedWasmThreads, withThreadedWasmLoader } from './wasm-threads';
import { adapterLine, startWebGpu, WebGpuUnavailable } from './webgpu';

export interface InitEngineOptions {
  /** force one backend (the app's setting); otherwise MOCO_BACKEND, otherwise the fastest */
  backend?: BackendName;
}

/**
 * Tried in this order when nothing is forced; cpu is a reference only, never picked by itself.
 * webgpu is taken only on a hardware adapter: a software one (SwiftShader, llvmpipe) is slower
 * than wasm, so it serves only when forced.
 */
const AUTO_ORDER: BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'];

const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;

/** A backend that cannot be used here, with the reason in words a user understands. */
class Unavailable extends Error {}

let current: { request: string; info: Promise<EngineInfo> } | null = null;

/** Idempotent: the same request returns the same answer; a different one selects again. */
export function initEngine(opts: InitEngineOptions = {}): Promise<EngineInfo> {
  let forced: { name: BackendName; by: string } | null;
  try {
    forced = forcedBackend(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  const request = forced?.name ?? 'auto';
  if (current?.request === request) return current.info;
  const info = forced ? selectForced(forced.name, forced.by) : selectFastest();
  current = { request, info };
  // A failed start is not remembered, so that it can be retried (the caller still gets the error).
  info.catch(() => {
    if (current?.info === info) current = null;
  });
  return info;
}

function forcedBackend(opts: InitEngineOptions): { name: BackendName; by: string } | null {
  if (opts.backend !== undefined) {
    if (!isBackendName(opts.backend))
      throw new Error(`initEngine: expected backend ${BACKEND_NAMES.join(', ')}, got ${String(opts.backend)}`);
    return { name: opts.backend, by: 'the backend setting' };
  }
  const env = process.env.MOCO_BACKEND?.trim();
  if (!env) return null;
  if (!isBackendName(env)) throw new Error(`MOCO_BACKEND: expected ${BACKEND_NAMES.join(', ')} or unset, got '${env}'`);
  return { name: env, by: 'MOCO_BACKEND' };
}

function isBackendName(v: unknown): v is BackendName {
  return typeof v === 'string' && (BACKEND_NAMES as readonly string[]).includes(v);
}

async function selectFastest(): Promise<EngineInfo> {
  const skipped: EngineInfo['skipped'] = [];
  for (const name of AUTO_ORDER) {
    try {
      return { ...(await start(name, true)), skipped };
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      skipped.push({ name, reason: err.message });
    }
  }
  throw new Error(
    `initEngine: expected one of ${AUTO_ORDER.join(', ')} to load, got none (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}). ` +
      `MOCO_BACKEND=cpu runs on the JavaScript reference backend, which is far too slow to train.`,
  );
}

async function selectForced(name: BackendName, by: string): Promise<EngineInfo> {
  const faster = name === 'cpu' ? AUTO_ORDER : AUTO_ORDER.slice(0, AUTO_ORDER.indexOf(name));
  const skipped = faster.map((n) => ({ name: n, reason: `not tried: ${by} asks for ${name}` }));
  try {
    return { ...(await start(name)), skipped };
  } catch (err) {
    if (err instanceof Unavailable)
      throw new Error(`initEngine: expected backend ${name} (asked for by ${by}) to load, got: ${err.message}`);
    throw err;
  }
}

type Started = Omit<EngineInfo, 'skipped'>;

async function start(name: BackendName, auto = false): Promise<Started> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return startNative(name);
    case 'webgpu':
      return startWebGpuEngine(auto);
    case 'wasm':
      return startWasm();
    case 'cpu':
      await activate('cpu', 'the JavaScript reference backend');
      return { backend: 'cpu', device: 'CPU (JavaScript reference, slow)', simd: false, threads: 1 };
  }
}

async function startNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<Started> {
  const pkg = NATIVE_PACKAGES[name];
  // tfjs-node-gpu registers the same 'tensorflow' backend; when it loaded but found no GPU,
  // that backend is native TensorFlow on the CPU and serves as such.
  if (!(name === 'tensorflow' && tf.findBackend('tensorflow'))) {
    try {
      createRequire(import.meta.url).resolve(pkg);
    } catch {
      throw new Unavailable(`${pkg} is not installed`);
    }
    try {
      await import(/* @vite-ignore */ pkg);
    } catch (err) {
      throw new Unavailable(`${pkg} is installed but failed to load: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!tf.findBackend('tensorflow')) {
      throw new Unavailable(
        `${pkg} loaded but registered with another copy of TF.js; install the version matching @tensorflow/tfjs ${tf.version.tfjs}`,
      );
    }
  }
  await activate('tensorflow', pkg);
  const threads = os.availableParallelism();
  if (name === 'tensorflow') return { backend: name, device: 'CPU (native TensorFlow)', simd: true, threads };
  const usesGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (!usesGpu)
    throw new Unavailable(
      `${pkg} loaded, but TensorFlow found no usable CUDA GPU (check the NVIDIA driver and the CUDA and cuDNN versions)`,
    );
  const gpu = await gpuName();
  return { backend: name, device: gpu ? `CUDA: ${gpu}` : 'CUDA GPU', simd: true, threads };
}

async function startWebGpuEngine(auto: boolean): Promise<Started> {
  let gpu: Awaited<ReturnType<typeof startWebGpu>>;
  try {
    gpu = await startWebGpu();
  } catch (err) {
    if (err instanceof WebGpuUnavailable) throw new Unavailable(err.message);
    throw err;
  }
  const { adapter } = gpu;
  if (auto && adapter.software) {
    throw new Unavailable(
      `the only WebGPU adapter is ${adapterLine(adapter)}, which computes on the CPU and trains slower than wasm (MOCO_BACKEND=webgpu uses it anyway)`,
    );
  }
  await activate('webgpu', `WebGPU on ${adapterLine(adapter)}`);
  return { backend: 'webgpu', device: `WebGPU: ${adapterLine(adapter)}`, simd: true, threads: 1, adapter };
}

async function startWasm(): Promise<Started> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new Unavailable(`@tensorflow/tfjs-backend-wasm failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // The module is instantiated once per process: the first start decides single or multi-threaded.
  if (!tf.engine().registry.wasm) await startThreadedWasm(wasm, simd);
  await activate('wasm', 'the WebAssembly backend');
  const threads = wasm.getThreadsCount();
  const device = `wasm ${simd ? 'SIMD' : 'without SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}, ${nativeConvLabel()}`;
  return { backend: 'wasm', device, simd, threads };
}

/**
 * Tries the threaded build (XNNPACK on a thread pool; see wasm-threads.ts). Where it cannot
 * start, the flag goes back off and the caller starts the single-threaded build.
 */
async function startThreadedWasm(wasm: typeof import('@tensorflow/tfjs-backend-wasm'), simd: boolean): Promise<void> {
  const threads = wantedWasmThreads();
  // The threaded binary is SIMD-only; TF.js picks it only when both are supported.
  if (threads < 2 || !simd || threadedWasmUnsupported()) return;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const started = await withThreadedWasmLoader(threads, () => tf.setBackend('wasm'));
  if (!started) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
  }
}

/** tf.setBackend answers false (after logging why) when a backend fails to initialise. */
async function activate(backendName: string, what: string): Promise<void> {
  if (!(await tf.setBackend(backendName))) throw new Unavailable(`${what} failed to initialise (TF.js logged the cause above)`);
  await tf.ready();
}

/** TF.js does not expose the device name; nvidia-smi does where the driver is installed. */
function gpuName(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 3000 }, (err, stdout) => {
      // No nvidia-smi only means a plainer device label.
      resolve(err ? null : stdout.split('\n')[0].trim() || null);
    });
  });
}

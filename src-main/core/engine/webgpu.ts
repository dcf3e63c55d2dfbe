// The WebGPU engine: @tensorflow/tfjs-backend-webgpu on Dawn's Node binding (npm `webgpu`), which
// drives Metal on macOS, D3D12 on Windows and Vulkan on Linux, so any vendor's GPU can train.
// The backend is registered here, not by the package itself: the package registers only when
// `navigator.gpu` exists at its first import, and then picks an adapter we cannot describe.
// Here the adapter is requested once, described (vendor, architecture, software or not), and the
// device asks for the adapter's full buffer limits (the defaults cap one tensor at 128 MiB).
import * as tf from '@tensorflow/tfjs';
import type { GpuAdapterInfo } from './engine-info';

/** Names by which drivers that compute on the CPU describe themselves. */
const SOFTWARE_ADAPTERS = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** A GPU that cannot be used, with the reason in words a user understands. */
export class WebGpuUnavailable extends Error {}

export interface WebGpuStart {
  adapter: GpuAdapterInfo;
  device: GPUDevice;
}

let started: Promise<WebGpuStart> | null = null;

/**
 * Loads Dawn, finds the high-performance adapter and registers the `webgpu` backend on it
 * (once per thread; a failed start may be retried). Does not activate the backend.
 */
export function startWebGpu(): Promise<WebGpuStart> {
  started ??= load().catch((err: unknown) => {
    started = null;
    throw err;
  });
  return started;
}

async function load(): Promise<WebGpuStart> {
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (err) {
    throw new WebGpuUnavailable(`Dawn's Node binding (npm webgpu) failed to load: ${messageOf(err)}`);
  }
  // Before the backend's first import: its module must not see navigator.gpu (see above).
  let backendModule: typeof import('@tensorflow/tfjs-backend-webgpu');
  try {
    backendModule = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new WebGpuUnavailable(`@tensorflow/tfjs-backend-webgpu failed to load: ${messageOf(err)}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGpuUnavailable(
      'no WebGPU adapter was found (no GPU driver for Metal, D3D12 or Vulkan; on Linux the Vulkan loader libvulkan1 and a Vulkan driver are needed)',
    );
  }
  const info = describeAdapter(adapter);
  const limits = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
  } catch (err) {
    throw new WebGpuUnavailable(`the adapter ${info.description || info.vendor} refused a device: ${messageOf(err)}`);
  }
  watchErrors(device);
  exposeGpu(gpu);
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(device, adapter.info), 0);
  return { adapter: info, device };
}

// WebGPU reports a failed allocation or an invalid shader as an event, and the computation goes
// on with garbage; the trainer asks after each step and stops with the driver's words.
let gpuFailure: string | null = null;

function watchErrors(device: GPUDevice): void {
  device.addEventListener('uncapturederror', (e) => {
    gpuFailure ??= (e as GPUUncapturedErrorEvent).error.message.split('\n')[0];
  });
  void device.lost.then((info) => {
    gpuFailure ??= `the GPU device was lost (${info.reason}): ${info.message}`;
  });
}

/** Throws the first error the GPU reported since the last call, if any. */
export function throwIfGpuFailed(where: string): void {
  if (gpuFailure === null) return;
  const message = gpuFailure;
  gpuFailure = null;
  throw new Error(`${where}: the GPU reported an error: ${message}`);
}

/** What the device can hold now: its buffer limit, and a trial allocation of `bytes` in buffers of that size. */
export function deviceMemory(start: WebGpuStart): { name: string; maxBufferBytes: number; canAllocate(bytes: number): Promise<boolean> } {
  const { device, adapter } = start;
  return {
    name: `the GPU ${adapterLine(adapter)}`,
    maxBufferBytes: adapter.maxBufferBytes,
    async canAllocate(bytes: number): Promise<boolean> {
      const chunk = Math.max(4, Math.floor(adapter.maxBufferBytes / 4) * 4);
      const buffers: GPUBuffer[] = [];
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      for (let left = bytes; left > 0; left -= chunk) {
        buffers.push(device.createBuffer({ size: Math.min(chunk, Math.ceil(left / 4) * 4), usage: GPUBufferUsage.STORAGE }));
      }
      const invalid = await device.popErrorScope();
      const oom = await device.popErrorScope();
      for (const b of buffers) b.destroy();
      return !invalid && !oom;
    },
  };
}

/** The backend's constructor checks navigator.gpu; Node 20 has no navigator, Node 22 one without gpu. */
function exposeGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: object };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true });
}

export function describeAdapter(adapter: GPUAdapter): GpuAdapterInfo {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const fallback = i.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const words = `${i.vendor} ${i.architecture} ${i.description} ${i.device}`;
  return {
    vendor: i.vendor || 'unknown vendor',
    architecture: i.architecture || '',
    description: i.description || i.device || '',
    software: fallback || SOFTWARE_ADAPTERS.test(words),
    maxBufferBytes: Math.min(adapter.limits.maxBufferSize, adapter.limits.maxStorageBufferBindingSize),
  };
}

/** "NVIDIA ampere (NVIDIA GeForce RTX 3060)", "google swiftshader (SwiftShader driver 5.0.0), software". */
export function adapterLine(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ');
  return `${name}${a.description ? ` (${a.description})` : ''}${a.software ? ', software' : ''}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

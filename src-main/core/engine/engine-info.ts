// What the engine runs on, for the UI, the CLI and run records.
import type { EngineStatus } from '../../api/contract';

export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * tensorflow-gpu: @tensorflow/tfjs-node-gpu (CUDA); webgpu: @tensorflow/tfjs-backend-webgpu on
 * Dawn (Metal, D3D12 or Vulkan); tensorflow: @tensorflow/tfjs-node (native CPU).
 */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The GPU adapter a webgpu engine runs on, as the driver describes it. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** a CPU rasteriser (SwiftShader, llvmpipe, lavapipe, WARP) or an adapter flagged as a fallback */
  software: boolean;
  /** the largest buffer one tensor may occupy, bytes */
  maxBufferBytes: number;
}

export interface EngineInfo {
  backend: BackendName;
  /** what the work runs on, in words: 'wasm SIMD, 1 thread', 'CUDA: <gpu name>', 'WebGPU: <adapter>' */
  device: string;
  simd: boolean;
  threads: number;
  /** set for webgpu */
  adapter?: GpuAdapterInfo;
  /** why each backend faster than the one in use was not used */
  skipped: { name: BackendName; reason: string }[];
}

/** True for the engines that compute on a GPU (a software adapter computes on the CPU). */
export function onHardwareGpu(info: Pick<EngineInfo, 'backend' | 'adapter'>): boolean {
  if (info.backend === 'tensorflow-gpu') return true;
  return info.backend === 'webgpu' && info.adapter !== undefined && !info.adapter.software;
}

/** The engine as the API reports it. */
export function engineStatus(info: EngineInfo): EngineStatus {
  const adapter = info.adapter
    ? {
        vendor: info.adapter.vendor,
        architecture: info.adapter.architecture,
        description: info.adapter.description,
        software: info.adapter.software,
      }
    : null;
  return { backend: info.backend, device: info.device, adapter, gpu: onHardwareGpu(info), skipped: info.skipped };
}

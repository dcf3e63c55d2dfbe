// Which presets the Train view offers for an engine: GPU presets only where a GPU engine was
// found (a software WebGPU adapter computes on the CPU), so a CPU-only machine starts from a
// preset it can finish.
import type { EngineStatus, TrainPreset } from '../../../src-main/api/contract';
import { DEFAULT_PRESET_IDS } from '../../../src-main/api/training-config';

export function offeredPresets(presets: readonly TrainPreset[], engine: EngineStatus | null): TrainPreset[] {
  return engine?.gpu ? [...presets] : presets.filter((p) => p.target === 'cpu');
}

/** The first GPU preset on a GPU engine, else CPU quick (or the first CPU preset). */
export function defaultPreset(presets: readonly TrainPreset[], engine: EngineStatus | null): TrainPreset | undefined {
  const offered = offeredPresets(presets, engine);
  if (engine?.gpu) return offered.find((p) => p.target === 'gpu') ?? offered[0];
  return offered.find((p) => p.id === DEFAULT_PRESET_IDS.cpu) ?? offered[0];
}

/** Why GPU presets are hidden, in words, or null when they are offered. */
export function hiddenPresetsReason(presets: readonly TrainPreset[], engine: EngineStatus | null): string | null {
  if (!engine || engine.gpu) return null;
  const hidden = presets.filter((p) => p.target === 'gpu').length;
  if (!hidden) return null;
  const gpuSkips = engine.skipped.filter((s) => s.name === 'tensorflow-gpu' || s.name === 'webgpu').map((s) => s.name);
  const why = engine.adapter?.software
    ? `the only GPU adapter, ${engine.adapter.description || engine.adapter.architecture}, is a software one that computes on the CPU`
    : gpuSkips.length
      ? `no GPU engine was found (${gpuSkips.join(' and ')} not used, see why above)`
      : `the ${engine.backend} engine computes on the CPU`;
  return `${hidden} GPU preset${hidden === 1 ? ' is' : 's are'} hidden: ${why}. The CPU presets fit this machine.`;
}

export const ENGINE_CHOICES: { value: 'auto' | EngineStatus['backend']; label: string }[] = [
  { value: 'auto', label: 'Automatic (fastest that loads)' },
  { value: 'tensorflow-gpu', label: 'TensorFlow CUDA (tfjs-node-gpu)' },
  { value: 'webgpu', label: 'WebGPU (Metal, D3D12, Vulkan)' },
  { value: 'tensorflow', label: 'TensorFlow native CPU (tfjs-node)' },
  { value: 'wasm', label: 'WebAssembly (CPU)' },
  { value: 'cpu', label: 'Plain JavaScript (reference, very slow)' },
];

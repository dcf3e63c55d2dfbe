import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { defaultPreset, hiddenPresetsReason, offeredPresets } from '../../src-renderer/src/lib/engine-presets';

const wasm: EngineStatus = {
  backend: 'wasm',
  device: 'wasm SIMD, 2 threads',
  adapter: null,
  gpu: false,
  skipped: [
    { name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
    { name: 'webgpu', reason: 'no WebGPU adapter was found' },
  ],
};
const gpu: EngineStatus = {
  backend: 'webgpu',
  device: 'WebGPU: nvidia ampere (NVIDIA GeForce RTX 3060)',
  adapter: { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060', software: false },
  gpu: true,
  skipped: [{ name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' }],
};
const software: EngineStatus = {
  ...gpu,
  device: 'WebGPU: google swiftshader (SwiftShader driver 5.0.0), software',
  adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', software: true },
  gpu: false,
};

describe('presets for the engine', () => {
  it('offers GPU presets only on a GPU engine, and starts from one there', () => {
    expect(offeredPresets(TRAIN_PRESETS, gpu)).toHaveLength(TRAIN_PRESETS.length);
    expect(defaultPreset(TRAIN_PRESETS, gpu)?.id).toBe('gpu-resnet18');
    for (const e of [wasm, software, null]) {
      const offered = offeredPresets(TRAIN_PRESETS, e);
      expect(offered.length).toBeGreaterThan(0);
      expect(offered.every((p) => p.target === 'cpu')).toBe(true);
      expect(defaultPreset(TRAIN_PRESETS, e)?.id).toBe('cpu-quick');
    }
  });

  it('says why GPU presets are hidden', () => {
    expect(hiddenPresetsReason(TRAIN_PRESETS, gpu)).toBeNull();
    expect(hiddenPresetsReason(TRAIN_PRESETS, wasm)).toBe(
      '3 GPU presets are hidden: no GPU engine was found (tensorflow-gpu and webgpu not used, see why above). The CPU presets fit this machine.',
    );
    expect(hiddenPresetsReason(TRAIN_PRESETS, software)).toContain(
      'the only GPU adapter, SwiftShader driver 5.0.0, is a software one that computes on the CPU',
    );
  });
});

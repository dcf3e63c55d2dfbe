// Backend choice on a machine without the native TensorFlow packages (the case here and in CI).
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src-main/core/engine/backend';

const savedEnv = process.env.MOCO_BACKEND;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.MOCO_BACKEND;
  else process.env.MOCO_BACKEND = savedEnv;
});

describe('initEngine', () => {
  it('falls back to wasm and says why each faster backend was skipped', async () => {
    delete process.env.MOCO_BACKEND;
    const info = await initEngine();
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.device).toMatch(/^wasm (SIMD|without SIMD), \d+ threads?, convolutions on onnxruntime \(native CPU\)$/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(info.skipped[0]).toEqual({ name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' });
    // No GPU here: either Dawn finds no adapter, or only a software one, which is never picked by itself.
    expect(info.skipped[1].reason).toMatch(/^no WebGPU adapter was found|computes on the CPU and trains slower than wasm/);
    expect(info.skipped[2]).toEqual({ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' });
    expect(await initEngine()).toBe(info); // idempotent
  });

  it('uses the backend MOCO_BACKEND asks for', async () => {
    process.env.MOCO_BACKEND = 'cpu';
    const info = await initEngine();
    expect(info).toMatchObject({ backend: 'cpu', simd: false, threads: 1 });
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
    expect(info.skipped[0].reason).toBe('not tried: MOCO_BACKEND asks for cpu');
  });

  it('lets the option win over MOCO_BACKEND', async () => {
    process.env.MOCO_BACKEND = 'cpu';
    const info = await initEngine({ backend: 'wasm' });
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails clearly when a forced backend cannot load, and keeps the one in use', async () => {
    await initEngine({ backend: 'wasm' });
    await expect(initEngine({ backend: 'tensorflow' })).rejects.toThrow(
      'initEngine: expected backend tensorflow (asked for by the backend setting) to load, got: @tensorflow/tfjs-node is not installed',
    );
    process.env.MOCO_BACKEND = 'tensorflow-gpu';
    await expect(initEngine()).rejects.toThrow('@tensorflow/tfjs-node-gpu is not installed');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend name', async () => {
    process.env.MOCO_BACKEND = 'metal';
    await expect(initEngine()).rejects.toThrow(
      "MOCO_BACKEND: expected tensorflow-gpu, webgpu, tensorflow, wasm, cpu or unset, got 'metal'",
    );
    delete process.env.MOCO_BACKEND;
    await expect(initEngine({ backend: 'metal' as 'cpu' })).rejects.toThrow(
      'initEngine: expected backend tensorflow-gpu, webgpu, tensorflow, wasm, cpu, got metal',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { checkFitsDevice, planTrainingMemory } from '../../../../src-main/core/moco/train/memory-plan';
import { defaultConfig } from '../../../../src-main/api/training-config';

const GiB = 2 ** 30;

/** A device that holds `total` bytes in buffers of at most `perBuffer`. */
function device(total: number, perBuffer: number) {
  const asked: number[] = [];
  return {
    asked,
    name: 'the GPU test adapter',
    maxBufferBytes: perBuffer,
    canAllocate: async (bytes: number) => (asked.push(bytes), bytes <= total),
  };
}

describe('training memory plan', () => {
  it('grows with the batch and the input size, and counts the queue', () => {
    const base = defaultConfig({ arch: 'resnet18', inputSize: 64, batchSize: 256, K: 16384 });
    const p = planTrainingMemory(base);
    expect(planTrainingMemory({ ...base, batchSize: 512 }).parts.activations).toBeCloseTo(2 * p.parts.activations, -3);
    expect(planTrainingMemory({ ...base, inputSize: 128 }).parts.activations).toBeGreaterThan(3.5 * p.parts.activations);
    expect(planTrainingMemory({ ...base, K: 65536 }).parts.dictionary).toBeGreaterThan(p.parts.dictionary);
    // ResNet-18: 11.2M parameters, kept 4 times (query, key, gradient, momentum) in float32.
    expect(p.parts.weights / 4 / 4).toBeGreaterThan(11e6);
    expect(p.parts.weights / 4 / 4).toBeLessThan(11.5e6);
    // The paper's ResNet-50 at 224 px, batch 256, needs tens of GiB: 8 GPUs in the paper.
    expect(planTrainingMemory(defaultConfig()).totalBytes).toBeGreaterThan(20 * GiB);
  });

  it('passes a configuration the device holds', async () => {
    const c = defaultConfig({ arch: 'resnet18', inputSize: 64, batchSize: 256, K: 16384 });
    const d = device(16 * GiB, 4 * GiB);
    await expect(checkFitsDevice(c, d)).resolves.toMatchObject({ totalBytes: expect.any(Number) });
    expect(d.asked).toHaveLength(1);
  });

  it('refuses one that does not fit, with what it needs, what the device offers and a smaller batch', async () => {
    const c = defaultConfig(); // ResNet-50, 224 px, batch 256
    const err = await checkFitsDevice(c, device(8 * GiB, 2 * GiB)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /^training: this configuration needs about [\d.]+ GiB of GPU memory \(weights \d+ MiB, activations [\d.]+ GiB, dictionary \d+ MiB\), which the GPU test adapter could not allocate; try batch size (64|32|16) \(about [\d.]+ (GiB|MiB)\) or a smaller input size$/,
    );
  });

  it('refuses a tensor larger than a buffer may be', async () => {
    const c = defaultConfig({ batchSize: 1024 });
    const err = (await checkFitsDevice(c, device(1000 * GiB, 256 * 2 ** 20)).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /^training: this configuration needs one tensor of [\d.]+ GiB where the GPU test adapter allows at most 256 MiB per buffer; try batch size \d+/,
    );
  });
});

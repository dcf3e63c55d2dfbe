import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchLoader, epochOrder, type Batch } from '../../../../src-main/core/moco/data/batch-loader';
import { rowBytes } from '../../../../src-main/core/moco/data/cache-files';
import { buildTrainCache } from '../../../../src-main/core/moco/data/cache-build';
import type { TrainCache } from '../../../../src-main/core/moco/data/train-cache';
import { makeLibrary, tempDir } from './fixtures';

const N = 23;
let cache: TrainCache;
let dirs: string[];

beforeAll(async () => {
  dirs = [tempDir('lib'), tempDir('cache')];
  const images = await makeLibrary(dirs[0], N);
  ({ cache } = await buildTrainCache({ dir: dirs[1], images, size: 8 }));
});

afterAll(() => {
  cache.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('epochOrder', () => {
  it('is a permutation fixed by seed and epoch', () => {
    const rows = Int32Array.from({ length: 50 }, (_, i) => i * 2);
    const a = epochOrder(rows, 7, 0);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from(rows));
    expect(Array.from(epochOrder(rows, 7, 0))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(rows, 7, 1))).not.toEqual(Array.from(a));
    expect(Array.from(epochOrder(rows, 8, 0))).not.toEqual(Array.from(a));
    expect(() => epochOrder(rows, 1.5, 0)).toThrow(/expected an integer seed, got 1.5/);
  });
});

describe('BatchLoader', () => {
  it('covers each row at most once per epoch and drops the last partial batch', async () => {
    const loader = new BatchLoader(cache, { batchSize: 5, seed: 3 });
    expect(loader.stepsPerEpoch).toBe(4);
    const batches = await collect(loader.epoch(0));
    expect(batches.map((b) => b.step)).toEqual([0, 1, 2, 3]);
    const rows = batches.flatMap((b) => Array.from(b.rows));
    expect(rows).toHaveLength(20);
    expect(new Set(rows).size).toBe(20);
    for (const b of batches) {
      expect(b.n).toBe(5);
      expect(b.data.length).toBe(5 * rowBytes(8));
      expect(Array.from(b.frames.dims)).toEqual(Array.from(cache.framesOf(b.data, 5).dims));
      expect(Buffer.from(b.data).equals(Buffer.from(cache.readBatch(b.rows)))).toBe(true);
      expect(b.imageIds).toEqual(Array.from(b.rows, (r) => cache.ids[r]));
    }
  });

  it('is reproducible under a seed, differs between epochs, and resumes mid-epoch', async () => {
    const loader = new BatchLoader(cache, { batchSize: 4, seed: 11 });
    const rowsOf = (bs: Batch[]) => bs.map((b) => Array.from(b.rows));
    const first = rowsOf(await collect(loader.epoch(2)));
    const again = rowsOf(await collect(new BatchLoader(cache, { batchSize: 4, seed: 11 }).epoch(2)));
    expect(again).toEqual(first);
    expect(rowsOf(await collect(loader.epoch(3)))).not.toEqual(first);
    expect(rowsOf(await collect(new BatchLoader(cache, { batchSize: 4, seed: 12 }).epoch(2)))).not.toEqual(first);
    expect(rowsOf(await collect(loader.epoch(2, 3)))).toEqual(first.slice(3));
  });

  it('reads the next batch before the current one is handed over', async () => {
    const loader = new BatchLoader(cache, { batchSize: 5, seed: 1 });
    const reads = vi.spyOn(cache, 'readBatchAsync');
    try {
      const seen: number[] = [];
      for await (const b of loader.epoch(0)) {
        seen.push(reads.mock.calls.length);
        if (b.step === 1) break;
      }
      // Batch 0 arrives with batch 1 already requested; batch 1 with batch 2.
      expect(seen).toEqual([2, 3]);
    } finally {
      reads.mockRestore();
    }
  });

  it('refuses a batch larger than the library', () => {
    expect(() => new BatchLoader(cache, { batchSize: 24, seed: 0 })).toThrow(/expected at least 24 images \(one batch\), got 23/);
    expect(() => new BatchLoader(cache, { batchSize: 0, seed: 0 })).toThrow(/expected an integer batch size >= 1, got 0/);
  });
});

// The threaded wasm build under Node: the loader shims, and a threaded backend whose conv
// gradients still match tfjs-backend-cpu.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src-main/core/engine/backend';
import { conv2d } from '../../../src-main/core/engine/conv';
import { MAX_WASM_THREADS, wantedWasmThreads, withThreadedWasmLoader } from '../../../src-main/core/engine/wasm-threads';

const scratch = mkdtempSync(join(os.tmpdir(), 'wasm-threads-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('wantedWasmThreads', () => {
  it('uses every core up to the pool size unless MOCO_WASM_THREADS says otherwise', () => {
    expect(wantedWasmThreads({})).toBe(Math.min(MAX_WASM_THREADS, os.availableParallelism()));
    expect(wantedWasmThreads({ MOCO_WASM_THREADS: '1' })).toBe(1);
    expect(wantedWasmThreads({ MOCO_WASM_THREADS: ' 3 ' })).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two']) {
      expect(() => wantedWasmThreads({ MOCO_WASM_THREADS: bad })).toThrow(
        `MOCO_WASM_THREADS: expected an integer from 1 to 8 or unset, got '${bad}'`,
      );
    }
  });
});

describe('withThreadedWasmLoader', () => {
  it('turns the loader blobs into script files and restores every global after', async () => {
    const [RealBlob, realUrl, realCpus] = [globalThis.Blob, URL.createObjectURL, os.cpus];
    const dir = join(scratch, 'scripts');
    const url = await withThreadedWasmLoader(
      3,
      async () => {
        expect(os.cpus()).toHaveLength(6); // the build takes half the logical cores
        new Blob(['var WasmBackendModuleThreadedSimd = function () {};']);
        return URL.createObjectURL(new Blob(['"use strict"; self.onmessage = () => {};']));
      },
      dir,
    );
    expect(url.startsWith(dir)).toBe(true);
    const worker = readFileSync(url, 'utf8');
    const factory = /URL\.createObjectURL = \(\) => "([^"]+)"/.exec(worker)?.[1];
    expect(factory && existsSync(factory)).toBe(true);
    expect(readFileSync(factory!, 'utf8')).toContain("require$$0 = require('fs')");
    expect(worker.endsWith('"use strict"; self.onmessage = () => {};')).toBe(true);
    expect([globalThis.Blob, URL.createObjectURL, os.cpus]).toEqual([RealBlob, realUrl, realCpus]);
  });

  it('restores the globals when the start fails, and checks its thread count', async () => {
    const [RealBlob, realCpus] = [globalThis.Blob, os.cpus];
    await expect(
      withThreadedWasmLoader(
        2,
        async () => {
          throw new Error('no backend');
        },
        join(scratch, 'failing'),
      ),
    ).rejects.toThrow('no backend');
    expect(globalThis.Blob).toBe(RealBlob);
    expect(os.cpus).toBe(realCpus);
    await expect(withThreadedWasmLoader(1, async () => 0)).rejects.toThrow('expected 2 to 8 threads, got 1');
  });
});

/** Deterministic values in [-1.5, 1.5) so both backends see the same data. */
function values(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Float32Array.from({ length: size }, () => next() + next() + next() - 1.5);
}

/** y, dx, dw of loss = sum(conv(x, w) * r) on the active backend. */
function grads(stride: number, pad: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(8 * 16 * 16 * 32, 1), [8, 16, 16, 32]);
    const w = tf.tensor4d(values(3 * 3 * 32 * 48, 2), [3, 3, 32, 48]);
    const f = (a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
    const y = f(x, w);
    const r = tf.tensor(values(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(r).sum())([x, w]);
    return [y, dx, dw].map((t) => t.dataSync() as Float32Array);
  });
}

describe('the threaded wasm backend', () => {
  it('starts with one thread per core and trains convolutions like tfjs-backend-cpu', async () => {
    const want = wantedWasmThreads();
    const info = await initEngine({ backend: 'wasm' });
    expect(info.threads).toBe(want); // this process started no wasm backend before
    expect(info.device).toBe(`wasm SIMD, ${want} thread${want === 1 ? '' : 's'}, convolutions on onnxruntime (native CPU)`);
    const got = [grads(1, 1), grads(2, 1)];
    await tf.setBackend('cpu');
    const ref = [grads(1, 1), grads(2, 1)];
    got.flat().forEach((g, i) => {
      const r = ref.flat()[i];
      let diff = 0;
      let scale = 0;
      for (let j = 0; j < r.length; j++) {
        diff = Math.max(diff, Math.abs(g[j] - r[j]));
        scale = Math.max(scale, Math.abs(r[j]));
      }
      expect(diff / scale).toBeLessThan(1e-4);
    });
  });
});

// `npm run bench:gpu`: the GPU check. On a machine with a GPU, in under 8 minutes and with no
// network: the adapter, MoCo v1 training images/second of the whole step (batched augmentation
// of both views, momentum update, shuffled keys, InfoNCE against the queue, backward, SGD,
// enqueue) for ResNet-18 at 64 px, batch 256, K 16384 and ResNet-50 at 224 px, batch 64,
// K 65536, the peak GPU memory TF.js held, and the PyTorch CUDA reference of the same step
// beside it where torch with CUDA is importable. Not a test: it prints numbers.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src-main/core/engine/backend';
import { BACKEND_NAMES } from '../src-main/core/engine/engine-info';
import { backendFlag, intFlag, median } from './flags';
import { deviceMemory, startWebGpu } from '../src-main/core/engine/webgpu';
import { Augmenter } from '../src-main/core/moco/data/augment';
import { cacheSideFor } from '../src-main/core/moco/data/decode';
import { scaledLr } from '../src-main/api/training-config';
import { MocoModel, mocoOptimizer } from '../src-main/core/moco/moco';
import type { ResNetArch } from '../src-main/core/moco/resnet';
import { Rng } from '../src-main/core/moco/rng';
import { checkFitsDevice } from '../src-main/core/moco/train/memory-plan';
import { defaultConfig } from '../src-main/api/training-config';

const PYTHON = process.env.MOCO_BENCH_PYTHON ?? 'python3';
const REFERENCE = fileURLToPath(new URL('./torch_moco_gpu.py', import.meta.url));
const GOAL_RATIO = 0.5;

interface Check {
  name: string;
  arch: ResNetArch;
  /** width multiplier (1 = torchvision) */
  width: number;
  px: number;
  batch: number;
  K: number;
}
const CHECKS: Check[] = [
  { name: 'resnet18-64', arch: 'resnet18', width: 1, px: 64, batch: 256, K: 16384 },
  { name: 'resnet50-224', arch: 'resnet50', width: 1, px: 224, batch: 64, K: 65536 },
];
/** The same steps, narrow and small, so that a software adapter (SwiftShader) finishes: proves the check runs. */
const QUICK: Check[] = [
  { name: 'resnet18-64', arch: 'resnet18', width: 1 / 8, px: 32, batch: 8, K: 64 },
  { name: 'resnet50-224', arch: 'resnet50', width: 1 / 8, px: 32, batch: 4, K: 64 },
];

const HELP = `Usage: npm run bench:gpu -- [options]

Options:
  --steps <n>        timed steps per check, median reported (default 10)
  --warmup <n>       untimed steps first, shader compilation included (default 3)
  --backend <name>   ${BACKEND_NAMES.join(' | ')} (default webgpu)
  --quick            tiny sizes, to prove the check runs on a software adapter
  --no-torch         skip the PyTorch CUDA reference
  --help             show this help

Checks: ResNet-18 64 px batch 256 K 16384; ResNet-50 224 px batch 64 K 65536 (MoCo v1, imagenet stem).
The reference is bench/torch_moco_gpu.py (the official MoCo step, GPU augmentation) with ${PYTHON}
(MOCO_BENCH_PYTHON overrides); it needs torch and torchvision with CUDA.
`;

interface Measured {
  imagesPerSec: number;
  medianSeconds: number;
  peakGpuBytes: number | null;
}
type TorchResult = (Measured & { torch: string; device: string }) | { error: string };

/** Bytes TF.js holds on the GPU now (webgpu's buffer pool), or null where the backend does not say. */
function gpuBytes(): number | null {
  const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number; numBytesInGPUAllocated?: number };
  return m.numBytesAllocatedInGPU ?? m.numBytesInGPUAllocated ?? null;
}

async function measure(c: Check, warmup: number, steps: number): Promise<Measured> {
  const side = cacheSideFor(c.px);
  const rng = new Rng(1);
  // Uint8 images as the training cache hands them over; two batches alternate.
  const batches = [0, 1].map(() => ({
    n: c.batch,
    size: side,
    data: Uint8Array.from({ length: c.batch * side * side * 3 }, () => rng.int(256)),
  }));
  const model = new MocoModel({ arch: c.arch, stem: 'imagenet', widthMultiplier: c.width, K: c.K, seed: 0 });
  const optimizer = mocoOptimizer(scaledLr(c.batch));
  const augmenter = new Augmenter({ recipe: 'v1', resolution: c.px, seed: 2 });
  let peak = gpuBytes();
  const step = async (i: number) => {
    const { q, k } = augmenter.twoViews(batches[i % 2]);
    try {
      const r = await model.trainStep(q, k, optimizer);
      if (!Number.isFinite(r.loss)) throw new Error(`bench:gpu: expected a finite loss, got ${r.loss}`);
    } finally {
      tf.dispose([q, k]);
    }
    const now = gpuBytes();
    if (now !== null) peak = Math.max(peak ?? 0, now);
  };
  try {
    for (let i = 0; i < warmup; i++) await step(i);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step(i);
      times.push((performance.now() - t0) / 1000);
    }
    const med = median(times);
    return { imagesPerSec: c.batch / med, medianSeconds: med, peakGpuBytes: peak };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

function runTorch(c: Check, warmup: number, steps: number): TorchResult {
  if (c.width !== 1) return { error: 'no PyTorch reference for a narrowed model (--quick)' };
  const args = [
    REFERENCE,
    '--arch',
    c.arch,
    '--px',
    String(c.px),
    '--batch',
    String(c.batch),
    '--K',
    String(c.K),
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
  ];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 4 * 60_000, maxBuffer: 16 << 20 });
  if (r.error) return { error: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0)
    return { error: `torch_moco_gpu.py exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchResult;
  } catch {
    return { error: `torch_moco_gpu.py printed no JSON: ${r.stdout.slice(-200)}` };
  }
}

const mib = (b: number | null) => (b === null ? '-' : `${(b / 2 ** 20).toFixed(0)} MiB`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      warmup: { type: 'string' },
      backend: { type: 'string' },
      quick: { type: 'boolean' },
      'no-torch': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const steps = intFlag('bench:gpu', 'steps', values.steps, 10);
  const warmup = intFlag('bench:gpu', 'warmup', values.warmup, 3);
  const engine = await initEngine({ backend: backendFlag('bench:gpu', values.backend ?? 'webgpu') });
  console.log(`engine: ${engine.backend} · ${engine.device}`);
  if (engine.adapter)
    console.log(
      `adapter: vendor ${engine.adapter.vendor}, architecture ${engine.adapter.architecture || '-'}, ${engine.adapter.description || '-'}${engine.adapter.software ? ' (software: numbers are not GPU speed)' : ''}`,
    );
  const rows = [];
  for (const c of values.quick ? QUICK : CHECKS) {
    const what = `${c.arch}${c.width === 1 ? '' : ` width ${c.width}`} ${c.px} px, batch ${c.batch}, K ${c.K}`;
    if (engine.backend === 'webgpu') {
      try {
        await checkFitsDevice(
          defaultConfig({ arch: c.arch, widthMultiplier: c.width, inputSize: c.px, batchSize: c.batch, K: c.K }),
          deviceMemory(await startWebGpu()),
        );
      } catch (err) {
        console.log(`${what}: skipped: ${(err as Error).message}`);
        rows.push({ check: c.name, what, ours: null, torch: null, ratio: null, skipped: (err as Error).message });
        continue;
      }
    }
    const t0 = Date.now();
    const ours = await measure(c, warmup, steps);
    const torch = values['no-torch'] ? null : runTorch(c, warmup, steps);
    const ratio = torch && !('error' in torch) ? ours.imagesPerSec / torch.imagesPerSec : null;
    console.log(
      `${what}: ours ${ours.imagesPerSec.toFixed(1)} img/s (median ${(1000 * ours.medianSeconds).toFixed(0)} ms/step, peak GPU ${mib(ours.peakGpuBytes)})` +
        (torch === null
          ? ''
          : 'error' in torch
            ? `; PyTorch: ${torch.error}`
            : `; PyTorch ${torch.device} ${torch.imagesPerSec.toFixed(1)} img/s (peak ${mib(torch.peakGpuBytes)}); ratio ${ratio!.toFixed(2)} (goal >= ${GOAL_RATIO})`) +
        ` [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
    );
    rows.push({ check: c.name, what, ours, torch, ratio });
  }
  console.log(
    JSON.stringify({
      bench: 'gpu',
      engine: { backend: engine.backend, device: engine.device, adapter: engine.adapter ?? null },
      steps,
      warmup,
      rows,
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);

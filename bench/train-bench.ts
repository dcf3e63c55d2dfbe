// `npm run bench:train`: MoCo v1 training throughput (images/second) of ResNet-18 on the active
// backend, and eval-mode embedding throughput, each next to a PyTorch reference of the same
// model and settings (bench/torch_moco_ref.py, run in this same run, one after the other so
// they never share the cores). Not a test: it prints numbers.
//
// Both sides time full steps on pre-made random views (no augmentation): warm-up steps, then
// the median of the timed steps. A MoCo step here is MocoModel.trainStep (momentum update,
// shuffled keys through the key encoder, InfoNCE against the queue, backward, SGD with weight
// decay, enqueue); the reference is the official MoCo v1 code with split BN in the same number
// of groups. Peak RSS is the kernel's high-water mark (VmHWM) of each process, reset per setting.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src-main/core/engine/backend';
import type { EngineInfo } from '../src-main/core/engine/engine-info';
import { baseLearningRate, MocoModel, mocoOptimizer } from '../src-main/core/moco/moco';
import { ResNet, type ResNetStem } from '../src-main/core/moco/resnet';
import { Rng } from '../src-main/core/moco/rng';
import { measurePeakRss } from './memory';

const PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('./torch_moco_ref.py', import.meta.url));
/** Reference numbers on this machine from the issue (PyTorch 1.13, 2 threads), for context. */
const ISSUE_TORCH: Record<SettingName, number> = { a: 187, b: 62, infer: 790 };
const GOAL_RATIO = 0.25;
const K = 4096;

type SettingName = 'a' | 'b' | 'infer';
interface Setting {
  name: SettingName;
  what: string;
  stem: ResNetStem;
  px: number;
  batch: number;
  train: boolean;
}
const SETTINGS: Setting[] = [
  { name: 'a', what: 'train ResNet-18 imagenet stem 64 px, batch 64, K 4096', stem: 'imagenet', px: 64, batch: 64, train: true },
  { name: 'b', what: 'train ResNet-18 small stem 32 px, batch 128, K 4096', stem: 'small', px: 32, batch: 128, train: true },
  { name: 'infer', what: 'embed (eval forward) ResNet-18 imagenet stem 64 px, batch 256', stem: 'imagenet', px: 64, batch: 256, train: false },
];

const HELP = `Usage: npm run bench:train -- [options]

Options:
  --steps <n>        timed steps per setting, median reported (default 3)
  --warmup <n>       untimed steps first (default 1)
  --only <a|b|infer> run one setting (repeat or comma-separate for several)
  --no-torch         skip the PyTorch reference
  --profile          also profile one training step and list the costliest kernels
  --help             show this help

Settings: a = ${SETTINGS[0].what}; b = ${SETTINGS[1].what}; infer = ${SETTINGS[2].what}.
The backend is the one initEngine picks (MOCO_BACKEND forces one). The reference runs with
${PYTHON} and torch.set_num_threads(2). Inputs are pre-made random views (no augmentation).
`;

interface Measured {
  imagesPerSec: number;
  medianSeconds: number;
  stepSeconds: number[];
  peakRssBytes: number;
  bnGroups?: number;
}
type TorchResult = (Measured & { threads: number; torch: string; model: string }) | { error: string };

interface Row {
  setting: SettingName;
  what: string;
  ours: Measured;
  torch: TorchResult | null;
  ratio: number | null;
}

function positiveInt(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`bench:train: expected an integer >= ${min} for --${flag}, got ${JSON.stringify(value)}`);
  return n;
}

function parseOnly(values: string[] | undefined): Setting[] {
  if (!values?.length) return SETTINGS;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const n of names) {
    if (!SETTINGS.some((s) => s.name === n)) throw new Error(`bench:train: expected --only a, b or infer, got ${JSON.stringify(n)}`);
  }
  return SETTINGS.filter((s) => names.includes(s.name));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Runs `step` warmup + steps times; returns the timed steps' wall seconds. */
async function timeSteps(step: () => unknown, warmup: number, steps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

async function measure(s: Setting, warmup: number, steps: number, profile: boolean): Promise<Measured & { profile?: string }> {
  const stopRss = measurePeakRss();
  if (!s.train) {
    const net = new ResNet({ arch: 'resnet18', stem: s.stem }, new Rng(0));
    const x = tf.randomNormal([s.batch, s.px, s.px, 3]) as tf.Tensor4D;
    try {
      const times = await timeSteps(async () => {
        const out = net.forward(x, { training: false });
        await out.embedding.data();
        tf.dispose(out);
      }, warmup, steps);
      return result(times, s.batch, stopRss().peak);
    } finally {
      net.dispose();
      x.dispose();
    }
  }
  const model = new MocoModel({ arch: 'resnet18', stem: s.stem, K, seed: 0 });
  const optimizer = mocoOptimizer(baseLearningRate(s.batch));
  // Two pairs of views, alternated, so consecutive steps never see the very same input.
  const views = Array.from({ length: 2 }, () => [0, 1].map(() => tf.randomNormal([s.batch, s.px, s.px, 3]) as tf.Tensor4D));
  let i = 0;
  const step = async () => {
    const [q, k] = views[i++ % views.length];
    const r = await model.trainStep(q, k, optimizer);
    if (!Number.isFinite(r.loss)) throw new Error(`bench:train: expected a finite loss, got ${r.loss}`);
  };
  try {
    const times = await timeSteps(step, warmup, steps);
    const out: Measured & { profile?: string } = { ...result(times, s.batch, stopRss().peak), bnGroups: model.bnGroupsFor(s.batch) };
    if (profile) out.profile = await profileStep(step);
    return out;
  } finally {
    tf.dispose(views);
    model.dispose();
    optimizer.dispose();
  }
}

function result(times: number[], batch: number, peakRssBytes: number): Measured {
  const med = median(times);
  return { imagesPerSec: batch / med, medianSeconds: med, stepSeconds: times, peakRssBytes };
}

/** One profiled step: wall ms per kernel name, costliest first. */
async function profileStep(step: () => Promise<void>): Promise<string> {
  const p = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of p.kernels) {
    const t = await k.kernelTimeMs;
    const ms = typeof t === 'number' ? t : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
    total += ms;
  }
  return [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)
    .map(([name, e]) => `${name} ${e.ms.toFixed(0)} ms (${((100 * e.ms) / total).toFixed(0)}%, ${e.calls}x)`).join('; ');
}

function runTorch(s: Setting, warmup: number, steps: number, bnGroups: number): TorchResult {
  const args = [REFERENCE, '--setting', s.name, '--steps', String(steps), '--warmup', String(warmup), '--threads', '2', '--bn-groups', String(bnGroups)];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 16 << 20 });
  if (r.error) return { error: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { error: `torch_moco_ref.py exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    return { error: `torch_moco_ref.py: expected a JSON line, got ${JSON.stringify(line.slice(0, 200))}` };
  }
}

const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const mb = (b: number) => Math.round(b / 2 ** 20);

function printTable(rows: Row[]): void {
  console.table(rows.map((r) => {
    const t = r.torch && 'imagesPerSec' in r.torch ? r.torch : null;
    return {
      setting: r.setting,
      'ours img/s': fmt(r.ours.imagesPerSec),
      'torch img/s': t ? fmt(t.imagesPerSec) : r.torch ? 'error' : 'skipped',
      'ours/torch': fmt(r.ratio, 3),
      'issue torch img/s': ISSUE_TORCH[r.setting],
      'ours step s': fmt(r.ours.medianSeconds, 2),
      'torch step s': t ? fmt(t.medianSeconds, 2) : '-',
      'ours peak MB': mb(r.ours.peakRssBytes),
      'torch peak MB': t ? mb(t.peakRssBytes) : '-',
    };
  }));
}

/** What the numbers say about the limit: the cost of a training step in forward passes. */
function limits(rows: Row[], engine: EngineInfo): string[] {
  const notes: string[] = [];
  const infer = rows.find((r) => r.setting === 'infer');
  const a = rows.find((r) => r.setting === 'a');
  // A MoCo step is a key forward + a query forward + its backward (~2 forwards): ~4 forwards.
  if (infer && a) {
    const perImageFwd = 1 / infer.ours.imagesPerSec;
    notes.push(`ours: a training image (setting a) costs ${((1 / a.ours.imagesPerSec) / perImageFwd).toFixed(1)} eval forwards (ideal ~4: key + query forward, backward ~2)`);
    const ta = a.torch && 'imagesPerSec' in a.torch ? a.torch : null;
    const ti = infer.torch && 'imagesPerSec' in infer.torch ? infer.torch : null;
    if (ta && ti) notes.push(`torch: ${(ti.imagesPerSec / ta.imagesPerSec).toFixed(1)} eval forwards per training image`);
  }
  notes.push(`ours runs on ${engine.device}; wasm SIMD is 128-bit without FMA, while torch's oneDNN uses this CPU's AVX-512 FMA`);
  return notes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string', multiple: true },
      'no-torch': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const steps = positiveInt('steps', values.steps, 3);
  const warmup = positiveInt('warmup', values.warmup, 1, 0);
  const settings = parseOnly(values.only);
  const engine = await initEngine();
  const loadStart = loadavg()[0];
  console.log(`backend ${engine.backend} (${engine.device}); ${warmup} warm-up + median of ${steps} steps; load average ${loadStart.toFixed(2)} on this machine at start`);

  const rows: Row[] = [];
  for (const s of settings) {
    console.log(`\n${s.name}: ${s.what}`);
    const ours = await measure(s, warmup, steps, values.profile && s.train);
    console.log(`  ours:  ${fmt(ours.imagesPerSec)} img/s (steps ${ours.stepSeconds.map((t) => t.toFixed(2)).join(', ')} s)`);
    if (ours.profile) console.log(`  ours, one profiled step: ${ours.profile}`);
    let torch: TorchResult | null = null;
    if (!values['no-torch']) {
      torch = runTorch(s, warmup, steps, ours.bnGroups ?? 1);
      console.log('error' in torch ? `  torch: ${torch.error}` : `  torch: ${fmt(torch.imagesPerSec)} img/s (steps ${torch.stepSeconds.map((t) => t.toFixed(2)).join(', ')} s; ${torch.model})`);
    }
    const ratio = torch && 'imagesPerSec' in torch ? ours.imagesPerSec / torch.imagesPerSec : null;
    delete ours.profile;
    rows.push({ setting: s.name, what: s.what, ours, torch, ratio });
  }
  const loadEnd = loadavg()[0];
  console.log();
  printTable(rows);
  for (const n of limits(rows, engine)) console.log(`- ${n}`);
  console.log(`- goal: ours/torch >= ${GOAL_RATIO} for training; load average ${loadStart.toFixed(2)} -> ${loadEnd.toFixed(2)} (2 cores; other work on the machine slows both sides)`);
  console.log(JSON.stringify({
    bench: 'train',
    backend: engine.backend,
    device: engine.device,
    threads: engine.threads,
    warmup,
    steps,
    inputs: 'pre-made random views, no augmentation',
    loadAverage: { start: loadStart, end: loadEnd },
    results: rows,
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

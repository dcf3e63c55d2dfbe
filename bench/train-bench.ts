// `npm run bench:train`: MoCo v1 training throughput (images/second) of ResNet-18 on the active
// backend, and eval-mode embedding throughput, each next to a PyTorch reference of the same
// model and settings (bench/torch_moco_ref.py, a child process in the same run). Not a test: it
// prints numbers.
//
// Both sides time full steps on pre-made random views (no augmentation): warm-up steps, then
// timed steps interleaved in chunks (ours, reference, ours, ...) so that a change of load on the
// shared machine hits both alike; the median wall and CPU time (all threads) of each side's
// steps are reported. The reference runs fairly (bench/reference-env.ts: OpenBLAS for that
// process only, OMP_WAIT_POLICY=passive, 2 threads; inference on a frozen TorchScript model). A MoCo step here is MocoModel.trainStep (momentum update,
// shuffled keys through the key encoder, InfoNCE against the queue, backward, SGD with weight
// decay, enqueue); the reference is the official MoCo v1 code with split BN in the same number
// of groups. Peak RSS is the kernel's high-water mark (VmHWM) of each process, reset per setting.
import * as tf from '@tensorflow/tfjs';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src-main/core/engine/backend';
import { backendFlag, intFlag, median } from './flags';
import type { EngineInfo } from '../src-main/core/engine/engine-info';
import { scaledLr } from '../src-main/api/training-config';
import { MocoModel, mocoOptimizer } from '../src-main/core/moco/moco';
import { ResNet, type ResNetStem } from '../src-main/core/moco/resnet';
import { Rng } from '../src-main/core/moco/rng';
import { measurePeakRss } from './memory';
import { referenceEnv } from './reference-env';
import { closeAll } from '../src-main/core/cleanup';

const PYTHON = '/usr/bin/python3';
const REFERENCE = fileURLToPath(new URL('./torch_moco_ref.py', import.meta.url));
const GOAL_RATIO = 0.3;
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
  {
    name: 'infer',
    what: 'embed (eval forward) ResNet-18 imagenet stem 64 px, batch 256',
    stem: 'imagenet',
    px: 64,
    batch: 256,
    train: false,
  },
  { name: 'b', what: 'train ResNet-18 small stem 32 px, batch 128, K 4096', stem: 'small', px: 32, batch: 128, train: true },
];

const HELP = `Usage: npm run bench:train -- [options]

Options:
  --steps <n>        timed steps per setting and side, median reported (default 4)
  --chunk <n>        steps per turn when the two sides alternate (default 1)
  --warmup <n>       untimed steps first (default 1)
  --only <a|b|infer> run one setting (repeat or comma-separate for several)
  --no-torch         skip the PyTorch reference
  --profile          also profile one training step and list the costliest kernels
  --backend <name>   the engine to measure (webgpu, wasm, ...; default: the one initEngine picks)
  --help             show this help

Settings, in the order they run: ${SETTINGS.map((s) => `${s.name} = ${s.what}`).join('; ')}.
The backend is the one initEngine picks (MOCO_BACKEND forces one). The reference runs with
${PYTHON}, torch.set_num_threads(2), OMP_WAIT_POLICY=passive and OpenBLAS (Debian's
libopenblas0-pthread, unpacked into .bench/ and loaded by that process only). The two sides
alternate in chunks of steps. Inputs are pre-made random views (no augmentation).
`;

interface Measured {
  imagesPerSec: number;
  medianSeconds: number;
  /** median CPU seconds of a step, all threads of the process */
  medianCpuSeconds: number;
  stepSeconds: number[];
  cpuSeconds: number[];
  peakRssBytes: number;
  bnGroups?: number;
  /** ours: live tensors and RSS after each timed step */
  tensors?: number[];
  rssBytes?: number[];
}
type TorchResult = (Measured & { threads: number; torch: string; model: string; blas: string; env: string }) | { error: string };

interface Row {
  setting: SettingName;
  what: string;
  ours: Measured;
  torch: TorchResult | null;
  ratio: number | null;
}

function parseOnly(values: string[] | undefined): Setting[] {
  if (!values?.length) return SETTINGS;
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!SETTINGS.some((s) => s.name === n)) throw new Error(`bench:train: expected --only a, b or infer, got ${JSON.stringify(n)}`);
  }
  return SETTINGS.filter((s) => names.includes(s.name));
}

interface Times {
  wall: number[];
  cpu: number[];
  /** ours only, after each step: live tensors and RSS, to see whether anything grows */
  tensors?: number[];
  rssBytes?: number[];
}

/** One side of the comparison: runs n steps and says how long each took. */
interface Side {
  run(n: number): Promise<Times>;
  close(): void;
}

/** Our side of a setting, in this process. */
function oursSide(s: Setting): Side & { bnGroups?: number; profile(): Promise<string> } {
  let step: () => Promise<void>;
  let close: () => void;
  let bnGroups: number | undefined;
  if (!s.train) {
    const net = new ResNet({ arch: 'resnet18', stem: s.stem }, new Rng(0));
    const x = tf.randomNormal([s.batch, s.px, s.px, 3]) as tf.Tensor4D;
    step = async () => {
      const out = net.forward(x, { training: false });
      try {
        await out.embedding.data();
      } finally {
        tf.dispose(out);
      }
    };
    close = () =>
      closeAll(
        false,
        () => net.dispose(),
        () => x.dispose(),
      );
  } else {
    const model = new MocoModel({ arch: 'resnet18', stem: s.stem, K, seed: 0 });
    const optimizer = mocoOptimizer(scaledLr(s.batch));
    bnGroups = model.bnGroupsFor(s.batch);
    // Two pairs of views, alternated, so consecutive steps never see the very same input.
    const views = Array.from({ length: 2 }, () => [0, 1].map(() => tf.randomNormal([s.batch, s.px, s.px, 3]) as tf.Tensor4D));
    let i = 0;
    step = async () => {
      const [q, k] = views[i++ % views.length];
      const r = await model.trainStep(q, k, optimizer);
      if (!Number.isFinite(r.loss)) throw new Error(`bench:train: expected a finite loss, got ${r.loss}`);
    };
    close = () =>
      closeAll(
        false,
        () => tf.dispose(views),
        () => model.dispose(),
        () => optimizer.dispose(),
      );
  }
  return {
    bnGroups,
    async run(n) {
      const t: Required<Times> = { wall: [], cpu: [], tensors: [], rssBytes: [] };
      for (let i = 0; i < n; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await step();
        const c = process.cpuUsage(c0);
        t.wall.push((performance.now() - t0) / 1000);
        t.cpu.push((c.user + c.system) / 1e6);
        t.tensors.push(tf.memory().numTensors);
        t.rssBytes.push(process.memoryUsage().rss);
      }
      return t;
    },
    profile: () => profileStep(step),
    close,
  };
}

/** The PyTorch reference of a setting: a child that runs the steps asked for on its stdin. */
async function torchSide(s: Setting, warmup: number, bnGroups: number): Promise<Side & { info: Record<string, unknown>; peak(): number }> {
  const ref = referenceEnv(2);
  const args = [REFERENCE, '--setting', s.name, '--warmup', String(warmup), '--threads', '2', '--bn-groups', String(bnGroups), '--serve'];
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, args, { env: ref.env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const started = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`bench:train: expected ${PYTHON} to start, got ${err.message}`))),
  );
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await Promise.race([lines.next(), started]);
    if (line.done)
      throw new Error(
        `torch_moco_ref.py: expected a line, got its exit (${stderr.trim().split('\n').slice(-3).join(' | ') || 'no stderr'})`,
      );
    try {
      return JSON.parse(line.value) as Record<string, unknown>;
    } catch {
      throw new Error(`torch_moco_ref.py: expected a JSON line, got ${JSON.stringify(String(line.value).slice(0, 200))}`);
    }
  };
  let peak = 0;
  const info = { ...(await next()), env: ref.described };
  return {
    info,
    peak: () => peak,
    async run(n) {
      child.stdin.write(`${n}\n`);
      const r = await next();
      peak = Math.max(peak, Number(r.peakRssBytes));
      return { wall: r.wall as number[], cpu: r.cpu as number[] };
    },
    close() {
      child.stdin.end('\n');
    },
  };
}

function summary(t: Times, batch: number, peakRssBytes: number): Measured {
  const med = median(t.wall);
  return {
    imagesPerSec: batch / med,
    medianSeconds: med,
    medianCpuSeconds: median(t.cpu),
    stepSeconds: t.wall,
    cpuSeconds: t.cpu,
    peakRssBytes,
  };
}

/**
 * Warm-up, then `steps` timed steps of each side, alternating `chunk` at a time. The peak RSS
 * of ours covers the whole setting (the reference's is its own process's high-water mark).
 */
async function compare(s: Setting, o: { warmup: number; steps: number; chunk: number; torch: boolean; profile: boolean }): Promise<Row> {
  const stopRss = measurePeakRss();
  const ours = oursSide(s);
  let torch: Awaited<ReturnType<typeof torchSide>> | null = null;
  let torchError: string | null = null;
  let failed = true;
  try {
    await ours.run(o.warmup);
    if (o.torch) {
      try {
        torch = await torchSide(s, o.warmup, ours.bnGroups ?? 1);
      } catch (err) {
        torchError = (err as Error).message;
      }
    }
    const mine: Required<Times> = { wall: [], cpu: [], tensors: [], rssBytes: [] };
    const theirs: Times = { wall: [], cpu: [] };
    for (let done = 0; done < o.steps; done += o.chunk) {
      const n = Math.min(o.chunk, o.steps - done);
      const a = await ours.run(n);
      mine.wall.push(...a.wall);
      mine.cpu.push(...a.cpu);
      mine.tensors.push(...(a.tensors ?? []));
      mine.rssBytes.push(...(a.rssBytes ?? []));
      if (torch && !torchError) {
        try {
          const b = await torch.run(n);
          theirs.wall.push(...b.wall);
          theirs.cpu.push(...b.cpu);
        } catch (err) {
          torchError = (err as Error).message;
        }
      }
    }
    const profile = o.profile && s.train ? await ours.profile() : null;
    const oursM: Measured = {
      ...summary(mine, s.batch, stopRss().peak),
      bnGroups: ours.bnGroups,
      tensors: mine.tensors,
      rssBytes: mine.rssBytes,
    };
    let torchR: TorchResult | null = null;
    if (torchError) torchR = { error: torchError };
    else if (torch) {
      const i = torch.info;
      torchR = {
        ...summary(theirs, s.batch, torch.peak()),
        threads: Number(i.threads),
        torch: String(i.torch),
        model: String(i.model),
        blas: String(i.blas),
        env: String(i.env),
      };
    }
    if (profile) console.log(`  ours, one profiled step: ${profile}`);
    failed = false;
    return {
      setting: s.name,
      what: s.what,
      ours: oursM,
      torch: torchR,
      ratio: torchR && 'imagesPerSec' in torchR ? oursM.imagesPerSec / torchR.imagesPerSec : null,
    };
  } finally {
    closeAll(
      failed,
      () => ours.close(),
      () => torch?.close(),
    );
  }
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
  return [...byKernel]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 12)
    .map(([name, e]) => `${name} ${e.ms.toFixed(0)} ms (${((100 * e.ms) / total).toFixed(0)}%, ${e.calls}x)`)
    .join('; ');
}

const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const mb = (b: number) => Math.round(b / 2 ** 20);

function printTable(rows: Row[]): void {
  console.table(
    rows.map((r) => {
      const t = r.torch && 'imagesPerSec' in r.torch ? r.torch : null;
      return {
        setting: r.setting,
        'ours img/s': fmt(r.ours.imagesPerSec),
        'torch img/s': t ? fmt(t.imagesPerSec) : r.torch ? 'error' : 'skipped',
        'ours/torch': fmt(r.ratio, 3),
        'ours step s wall/cpu': `${fmt(r.ours.medianSeconds, 2)}/${fmt(r.ours.medianCpuSeconds, 2)}`,
        'torch step s wall/cpu': t ? `${fmt(t.medianSeconds, 2)}/${fmt(t.medianCpuSeconds, 2)}` : '-',
        'ours peak MB': mb(r.ours.peakRssBytes),
        'torch peak MB': t ? mb(t.peakRssBytes) : '-',
      };
    }),
  );
}

/** What the numbers say about the limit: the cost of a training step in forward passes. */
function limits(rows: Row[], engine: EngineInfo): string[] {
  const notes: string[] = [];
  const infer = rows.find((r) => r.setting === 'infer');
  const a = rows.find((r) => r.setting === 'a');
  // A MoCo step is a key forward + a query forward + its backward (~2 forwards): ~4 forwards.
  if (infer && a) {
    const perImageFwd = 1 / infer.ours.imagesPerSec;
    notes.push(
      `ours: a training image (setting a) costs ${(1 / a.ours.imagesPerSec / perImageFwd).toFixed(1)} eval forwards (ideal ~4: key + query forward, backward ~2)`,
    );
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
      chunk: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      backend: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const steps = intFlag('bench:train', 'steps', values.steps, 4);
  const chunk = intFlag('bench:train', 'chunk', values.chunk, 1);
  const warmup = intFlag('bench:train', 'warmup', values.warmup, 1, 0);
  const settings = parseOnly(values.only);
  const engine = await initEngine({ backend: backendFlag('bench:train', values.backend) });
  const loadStart = loadavg()[0];
  console.log(
    `backend ${engine.backend} (${engine.device}); ${warmup} warm-up, then ${steps} steps a side alternating ${chunk} at a time; load average ${loadStart.toFixed(2)} on this machine at start`,
  );

  const rows: Row[] = [];
  for (const s of settings) {
    console.log(`\n${s.name}: ${s.what}`);
    // Each setting in a process of its own when there are several: wasm memory never shrinks,
    // so a setting run after another would report the other's peak as its own.
    const row =
      settings.length > 1
        ? await settingInChild(s)
        : await compare(s, { warmup, steps, chunk, torch: !values['no-torch'], profile: values.profile });
    const list = (xs: number[]) => xs.map((t) => t.toFixed(2)).join(', ');
    console.log(`  ours:  ${fmt(row.ours.imagesPerSec)} img/s (wall ${list(row.ours.stepSeconds)} s; cpu ${list(row.ours.cpuSeconds)} s)`);
    console.log(
      `  ours after each step: tensors ${row.ours.tensors?.join(', ')}; RSS MB ${row.ours.rssBytes?.map(mb).join(', ')}; peak RSS ${mb(row.ours.peakRssBytes)} MB`,
    );
    const t = row.torch;
    if (t)
      console.log(
        'error' in t
          ? `  torch: ${t.error}`
          : `  torch: ${fmt(t.imagesPerSec)} img/s (wall ${list(t.stepSeconds)} s; cpu ${list(t.cpuSeconds)} s; ${t.model}; ${t.env}; BLAS mapped: ${t.blas})`,
      );
    rows.push(row);
  }
  const loadEnd = loadavg()[0];
  console.log();
  printTable(rows);
  for (const n of limits(rows, engine)) console.log(`- ${n}`);
  console.log(
    `- goal: ours/torch >= ${GOAL_RATIO} for training; load average ${loadStart.toFixed(2)} -> ${loadEnd.toFixed(2)} (2 cores; other work on the machine slows both sides)`,
  );
  console.log(
    JSON.stringify({
      bench: 'train',
      backend: engine.backend,
      device: engine.device,
      threads: engine.threads,
      warmup,
      steps,
      inputs: 'pre-made random views, no augmentation',
      loadAverage: { start: loadStart, end: loadEnd },
      results: rows,
    }),
  );
}

/** Runs this script for one setting in a child process and takes its row from the child's JSON line. */
function settingInChild(s: Setting): Promise<Row> {
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--only' && all[i - 1] !== '--only' && !a.startsWith('--only='));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args, '--only', s.name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let row: Row | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{"bench":"train"')) row = (JSON.parse(line) as { results: Row[] }).results[0];
    else if (line.startsWith('  ours, one profiled step')) console.log(line);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      row ? resolve(row) : reject(new Error(`bench:train: setting ${s.name} exited with ${code} and no result`)),
    );
  });
}

// The threaded wasm backend's workers keep the event loop alive: exit once the report is out.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

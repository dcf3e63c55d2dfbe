// `npm run bench:embed`: images per second of embedding (pure inference) with ResNet-18
// (ImageNet stem, 128-d head) at 64 px in batches of 256, on each engine that loads here
// (onnxruntime, TF.js on its active backend), side by side with PyTorch CPU inference of the same
// network with 2 threads (bench/torch_embed_ref.py). Not a test: it prints numbers.
//
// Every contender warms up, then the timed batches run round-robin (one batch of each in turn),
// so that the load of a shared machine falls on all of them alike; each reports its median wall
// time and the median CPU time its threads used (on a loaded machine, wall time / CPU time shows
// how much of the cores it actually got).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src-main/core/engine/backend';
import { backendFlag } from './flags';
import { ResNet } from '../src-main/core/moco/resnet';
import { Rng } from '../src-main/core/moco/rng';
import type { Embedder } from '../src-main/core/search/embedder';
import { OnnxEmbedder, type OnnxEmbedderOptions } from '../src-main/core/search/onnx-embedder';
import { TfjsEmbedder } from '../src-main/core/search/tfjs-embedder';

const SIZE = 64;
const BATCH = 256;
const TORCH_THREADS = 2;
const GOAL_RATIO = 0.8;
import { referenceEnv } from './reference-env';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('torch_embed_ref.py', import.meta.url));

const HELP = `Usage: npm run bench:embed -- [options]

Embeds batches of ${BATCH} random ${SIZE} px images with ResNet-18 (ImageNet stem) on each engine
and compares with PyTorch CPU inference (${TORCH_THREADS} threads, ${PYTHON} with torch).

Options:
  --batches <n>  timed batches per contender after the warm-up (default 5)
  --no-torch     skip the PyTorch reference
  --no-tfjs      skip TF.js (its wasm backend takes seconds per batch)
  --backend <b>  the TF.js engine to measure (webgpu, wasm, ...; default: the one initEngine picks)
  --sweep        also time onnxruntime variants (1 thread, no arena, no spinning, Conv on 2x2 maps, Transpose in the graph)
  --help         show this help
`;

/** Milliseconds of one batch: wall time, and CPU time of all the contender's threads. */
interface Timing {
  ms: number;
  cpuMs: number;
}

interface Contender {
  name: string;
  device: string;
  run(): Promise<Timing>;
  close(): Promise<void> | void;
}

function embedderContender(name: string, e: Embedder, x: Float32Array): Contender {
  return {
    name,
    device: e.device,
    async run() {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await e.embed(x, BATCH);
      const c = process.cpuUsage(c0);
      return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
    },
    close: () => e.dispose(),
  };
}

/** The PyTorch reference as a child that times one batch per request. */
async function torchContender(): Promise<Contender> {
  const ref = referenceEnv(TORCH_THREADS);
  const child: ChildProcessWithoutNullStreams = spawn(
    PYTHON,
    [TORCH_SCRIPT, '--serve', '--threads', String(TORCH_THREADS), '--batch', String(BATCH), '--size', String(SIZE)],
    { env: ref.env },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`bench:embed: expected a line from ${TORCH_SCRIPT}, got its exit (${stderr.trim() || 'no stderr'})`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`bench:embed: expected ${PYTHON} to start, got ${err.message}`)));
    next().then(resolve, reject);
  });
  return {
    name: `PyTorch ${String(ready.torch)}, frozen TorchScript`,
    device: `${String(ready.device)}; ${ref.described}; BLAS mapped: ${String(ready.blas)}`,
    async run() {
      child.stdin.write('\n');
      const t = await next();
      return { ms: Number(t.ms), cpuMs: Number(t.cpu_ms) };
    },
    close() {
      child.stdin.end();
    },
  };
}

const SWEEP: { name: string; opts: OnnxEmbedderOptions }[] = [
  { name: 'onnxruntime, 1 thread', opts: { threads: 1 } },
  { name: 'onnxruntime, Transpose in graph', opts: { transpose: 'graph' } },
  { name: 'onnxruntime, no memory arena', opts: { memArena: false } },
  { name: 'onnxruntime, Conv on 2x2 maps', opts: { denseSmallMaps: false } },
  { name: 'onnxruntime, no spinning', opts: { config: { 'session.intra_op.allow_spinning': '0' } } },
];

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batches: { type: 'string' },
      'no-torch': { type: 'boolean' },
      'no-tfjs': { type: 'boolean' },
      sweep: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const batches = Number(values.batches ?? 5);
  if (!Number.isInteger(batches) || batches < 1)
    throw new Error(`bench:embed: expected a positive integer for --batches, got ${values.batches}`);

  const engine = await initEngine({ backend: backendFlag('bench:embed', values.backend) });
  const model = new ResNet({ arch: 'resnet18', stem: 'imagenet' }, new Rng(1));
  const x = new Rng(2).normal(BATCH * SIZE * SIZE * 3); // NHWC, N(0,1) like normalised images
  const contenders: Contender[] = [];
  try {
    contenders.push(embedderContender('onnxruntime', await OnnxEmbedder.create(model, SIZE), x));
    if (values.sweep)
      for (const v of SWEEP)
        contenders.push(embedderContender(v.name, await OnnxEmbedder.create(model, SIZE, { device: 'cpu', ...v.opts }), x));
    if (!values['no-tfjs']) contenders.push(embedderContender('TF.js', new TfjsEmbedder(model, SIZE), x));
    if (!values['no-torch']) contenders.push(await torchContender());

    const load0 = os.loadavg()[0];
    for (const c of contenders) await c.run(); // warm-up (the torch child warmed up already; once more is harmless)
    const times = contenders.map(() => [] as Timing[]);
    for (let b = 0; b < batches; b++) {
      for (const [i, c] of contenders.entries()) times[i].push(await c.run());
    }
    const load1 = os.loadavg()[0];

    const torchIndex = values['no-torch'] ? -1 : contenders.length - 1;
    const rows = contenders.map((c, i) => {
      const ms = median(times[i].map((t) => t.ms));
      const cpuMs = median(times[i].map((t) => t.cpuMs));
      return {
        engine: c.name,
        device: c.device,
        median_ms: ms,
        median_cpu_ms: cpuMs,
        img_per_s: (BATCH / ms) * 1000,
        ratio: null as number | null,
      };
    });
    if (torchIndex >= 0) for (const r of rows) r.ratio = r.img_per_s / rows[torchIndex].img_per_s;

    console.log(`ResNet-18 (ImageNet stem) at ${SIZE} px, batch ${BATCH}: median of ${batches} batches, round-robin after a warm-up`);
    console.log(
      `TF.js backend: ${engine.backend} (${engine.device}); ${os.availableParallelism()} cores; load average ${load0.toFixed(2)} -> ${load1.toFixed(2)}`,
    );
    console.table(
      rows.map((r) => ({
        engine: r.engine,
        device: r.device,
        'ms/batch': r.median_ms.toFixed(0),
        'CPU ms/batch': r.median_cpu_ms.toFixed(0),
        'img/s': r.img_per_s.toFixed(1),
        'vs PyTorch': r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
      })),
    );
    const ort = rows[0];
    if (ort.ratio !== null)
      console.log(
        `onnxruntime / PyTorch: ${ort.ratio.toFixed(2)}x (goal >= ${GOAL_RATIO}x): ${ort.ratio >= GOAL_RATIO ? 'met' : 'not met'}`,
      );
    console.log(
      JSON.stringify({
        bench: 'embed',
        model: 'resnet18-imagenet',
        size: SIZE,
        batch: BATCH,
        batches,
        cores: os.availableParallelism(),
        load: [load0, load1],
        results: rows,
      }),
    );
  } finally {
    for (const c of contenders) await c.close();
    model.dispose();
  }
}

// Exits explicitly: the threaded wasm backend's pthread workers would keep the process alive.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);

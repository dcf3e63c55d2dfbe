// `npm run bench:quality`: is the encoder a CPU run gives worth having? On labelled dev sets
// made from Debian packages at bench time (bench/quality-sets.ts), a run of the default CPU
// preset for a time budget, then the linear probe (the official protocol: frozen features, SGD
// lr 30, steps at 60% and 80%), the weighted kNN classifier (k 200, T 0.1) and search
// precision@10 (the share of an image's 10 nearest neighbours, by cosine, with its label), for
// the trained encoder against the same network at a random initialisation and raw pixels
// (16x16 RGB). Not a test: it prints numbers, and the load of the machine with them.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrainConfig } from '../src-main/api/contract';
import { initEngine } from '../src-main/core/engine/backend';
import type { TrainImage } from '../src-main/core/moco/data/training-images';
import { Rng } from '../src-main/core/moco/rng';
import { runTraining } from '../src-main/core/moco/train/trainer';
import type { WorkerMessage } from '../src-main/core/moco/train/train-types';
import { randomInitEncoder, rawPixelFeatures } from '../src-main/core/probe/baselines';
import type { ProbeData } from '../src-main/core/probe/dataset';
import { KNN_DEFAULTS, knnClassify } from '../src-main/core/probe/knn-classifier';
import { LINEAR_PROBE_DEFAULTS, trainLinearProbe } from '../src-main/core/probe/linear-probe';
import { createEmbedder } from '../src-main/core/search/embedder';
import { loadRunEncoder } from '../src-main/core/moco/train/encoder-loader';
import { decodeForEncoder } from '../src-main/core/search/preprocess';
import { CONFIG_OPTIONS, configFromFlags } from '../src-main/hosts/cli/train-flags';
import { devSet, QUALITY_DIR, SET_NAMES, type SetName } from './quality-sets';

const HELP = `Usage: npm run bench:quality -- [options]

Options:
  --minutes <x>      training budget per dev set (default 30)
  --sets <a,b,...>   dev sets: ${SET_NAMES.join(', ')} (default all)
  --preset <id>      the preset to train (default cpu-quick, the CLI's default)
  --aug <v1|v2> --mlp-head --stem <small|imagenet> --lr <x> --weight-decay <x> ...
                     every flag of the train command (moco-studio train --help) changes the
                     preset as it does there (for tuning trials)
  --test-fraction <x> held-out share per class for the probes (default 0.3)
  --seed <n>         seed of the run and of the split (default 0)
  --keep             keep each set's run folder (checkpoints, training cache, the features of
                     the three models with labels and split: features.json, features-<model>.f32)
  --help             show this help

Dev sets are made once under .bench/ from Debian packages (apt-get installs them if missing).
`;

const P_AT = 10;
const EMBED_BATCH = 64;

interface Image {
  image: TrainImage;
  label: number;
}

function listSet(dir: string): { images: Image[]; classes: string[] } {
  const classes = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const images: Image[] = [];
  classes.forEach((c, label) => {
    for (const f of readdirSync(join(dir, c)).sort()) {
      if (!/\.(png|jpe?g|webp)$/i.test(f)) continue;
      const path = join(dir, c, f);
      const st = statSync(path);
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
      images.push({ image: { id: images.length + 1, path, hash, size: st.size, mtimeMs: st.mtimeMs }, label });
    }
  });
  return { images, classes };
}

/** A stratified split: `fraction` of each class held out, drawn with the seed. */
function split(images: Image[], fraction: number, seed: number): { train: number[]; test: number[] } {
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  images.forEach((im, i) => byClass.set(im.label, [...(byClass.get(im.label) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of byClass.values()) {
    const perm = rng.permutation(rows.length);
    const nTest = Math.max(1, Math.round(fraction * rows.length));
    perm.forEach((p, j) => (j < nTest ? test : train).push(rows[p]));
  }
  return { train, test };
}

interface FeatureSet {
  model: 'moco' | 'random-init' | 'raw-pixels';
  d: number;
  x: Float32Array;
}

async function features(images: Image[], config: TrainConfig, runDir: string, seed: number): Promise<FeatureSet[]> {
  const R = config.inputSize;
  const nets = [
    { model: 'moco' as const, net: loadRunEncoder('bench:quality', runDir, config).model },
    {
      model: 'random-init' as const,
      net: randomInitEncoder(config, seed),
    },
  ];
  const n = images.length;
  const out: FeatureSet[] = [];
  try {
    const embedders = [];
    for (const e of nets) embedders.push(await createEmbedder(e.net, R, 'auto'));
    embedders.forEach((e, i) => out.push({ model: nets[i].model, d: e.featureDim, x: new Float32Array(n * e.featureDim) }));
    let raw: FeatureSet | null = null;
    for (let start = 0; start < n; start += EMBED_BATCH) {
      const m = Math.min(EMBED_BATCH, n - start);
      const x = new Float32Array(m * R * R * 3);
      await Promise.all(images.slice(start, start + m).map((im, i) => decodeForEncoder(im.image.path, R, x, i * R * R * 3)));
      for (let i = 0; i < embedders.length; i++) out[i].x.set((await embedders[i].embed(x, m)).features, start * out[i].d);
      const px = rawPixelFeatures(x, m, R);
      raw ??= { model: 'raw-pixels', d: px.length / m, x: new Float32Array((n * px.length) / m) };
      raw.x.set(px, start * raw.d);
    }
    for (const e of embedders) await e.dispose();
    return [...out, raw!];
  } finally {
    for (const e of nets) e.net.dispose();
  }
}

/** The features with labels and split, for studying other read-outs without training again. */
function saveFeatures(work: string, sets: FeatureSet[], images: Image[], parts: { train: number[]; test: number[] }): void {
  for (const f of sets) writeFileSync(join(work, `features-${f.model}.f32`), Buffer.from(f.x.buffer, f.x.byteOffset, f.x.byteLength));
  const meta = { models: sets.map((f) => ({ model: f.model, d: f.d })), labels: images.map((im) => im.label), ...parts };
  writeFileSync(join(work, 'features.json'), JSON.stringify(meta));
}

/** Mean share of each image's P_AT nearest others (cosine) that carry its label. */
export function precisionAt(f: FeatureSet, labels: Int32Array, k = P_AT): number {
  const { d, x } = f;
  const n = labels.length;
  const unit = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) unit[i * d + j] = x[i * d + j] * inv;
  }
  const u = tf.tensor2d(unit, [n, d]); // NxD, unit rows
  let hits = 0;
  const CH = 256;
  try {
    for (let i0 = 0; i0 < n; i0 += CH) {
      const m = Math.min(CH, n - i0);
      const indices = tf.tidy(() => {
        const s = tf.matMul(tf.slice(u, [i0, 0], [m, d]), u, false, true); // mxN
        const self = tf.oneHot(tf.range(i0, i0 + m, 1, 'int32'), n).mul(-10); // an image is not its own neighbour
        return tf.topk(s.add(self), k).indices;
      });
      const idx = indices.dataSync();
      indices.dispose();
      for (let r = 0; r < m; r++) for (let j = 0; j < k; j++) if (labels[idx[r * k + j]] === labels[i0 + r]) hits++;
    }
  } finally {
    u.dispose();
  }
  return hits / (n * k);
}

function gather(x: Float32Array, d: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

interface Scores {
  model: string;
  linear: number;
  knn: number;
  pAt10: number;
}

async function evaluate(
  f: FeatureSet,
  images: Image[],
  numClasses: number,
  parts: { train: number[]; test: number[] },
  seed: number,
): Promise<Scores> {
  const data: ProbeData = {
    d: f.d,
    numClasses,
    trainX: gather(f.x, f.d, parts.train),
    trainY: Int32Array.from(parts.train, (i) => images[i].label),
    testX: gather(f.x, f.d, parts.test),
    testY: Int32Array.from(parts.test, (i) => images[i].label),
  };
  const D = LINEAR_PROBE_DEFAULTS;
  const linear = await trainLinearProbe(data, {
    epochs: D.epochs,
    batchSize: D.batchSize,
    lr: D.lr,
    momentum: D.momentum,
    weightDecay: D.weightDecay,
    schedule: D.scheduleFractions.map((s) => Math.round(s * D.epochs)),
    standardize: true,
    seed,
  });
  const knn = await knnClassify(data, { k: KNN_DEFAULTS.k, T: KNN_DEFAULTS.T });
  return {
    model: f.model,
    linear: linear.metrics.top1,
    knn: knn.metrics.top1,
    pAt10: precisionAt(
      f,
      Int32Array.from(images, (im) => im.label),
    ),
  };
}

async function benchSet(name: SetName, config: TrainConfig, o: { testFraction: number; seed: number; keep: boolean }) {
  const set = await devSet(name, (l) => console.log(`  ${l}`));
  const { images, classes } = listSet(set.dir);
  // One folder per process, so that trials can run side by side; removed at the end.
  const work = join(QUALITY_DIR, 'runs', `${name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  console.log(
    `\n${name}: ${images.length} images in ${classes.length} classes (${set.source}); training ${config.minutes} min, load ${loadavg()[0].toFixed(2)}`,
  );
  const t0 = Date.now();
  let last = 0;
  let started: Extract<WorkerMessage, { type: 'started' }> | null = null;
  let error: string | undefined;
  const post = (m: WorkerMessage) => {
    if (m.type === 'started') started = m;
    if (m.type === 'end') error = m.error;
    if (m.type !== 'progress' || Date.now() - last < 60_000) return;
    last = Date.now();
    const p = m.progress;
    if (p.phase === 'training')
      console.log(
        `  step ${p.step}/${p.totalSteps} loss ${p.loss?.toFixed(3)} pretext accuracy ${p.accuracy === null ? '?' : (100 * p.accuracy).toFixed(0)}% lr ${p.lr?.toPrecision(3)} ${p.imagesPerSec?.toFixed(1)} img/s, load ${loadavg()[0].toFixed(2)}`,
      );
  };
  const labels: [number, string][] = images.map((im) => [im.image.id, classes[im.label]]);
  const status = await runTraining(
    {
      runId: 1,
      config,
      images: images.map((im) => im.image),
      labels,
      cacheDir: join(work, 'cache'),
      runDir: join(work, 'run'),
      resume: false,
    },
    post,
    { requested: () => null },
  );
  if (status !== 'done') throw new Error(`bench:quality: expected the ${name} run to finish, got ${status}${error ? `: ${error}` : ''}`);
  const s = started as Extract<WorkerMessage, { type: 'started' }> | null;
  const trainMin = (Date.now() - t0) / 60_000;
  console.log(
    `  trained ${s?.totalSteps ?? '?'} steps (${(((s?.totalSteps ?? 0) * config.batchSize) / images.length).toFixed(1)} epochs) in ${trainMin.toFixed(1)} min, cache included; load ${loadavg()[0].toFixed(2)}`,
  );
  const parts = split(images, o.testFraction, o.seed);
  const sets = await features(images, config, join(work, 'run'), o.seed);
  if (o.keep) saveFeatures(work, sets, images, parts);
  const rows: Scores[] = [];
  for (const f of sets) rows.push(await evaluate(f, images, classes.length, parts, o.seed));
  const pct = (v: number) => (100 * v).toFixed(1);
  console.table(rows.map((r) => ({ model: r.model, 'linear top-1 %': pct(r.linear), 'kNN top-1 %': pct(r.knn), 'P@10 %': pct(r.pAt10) })));
  const [moco, random, raw] = rows;
  const goal = [
    `linear ${moco.linear - raw.linear >= 0.05 && moco.linear - random.linear >= 0.1 ? 'met' : 'not met'} (vs raw ${pct(moco.linear - raw.linear)}, vs random ${pct(moco.linear - random.linear)} points)`,
    `kNN ${moco.knn - raw.knn >= 0.05 && moco.knn - random.knn >= 0.1 ? 'met' : 'not met'} (vs raw ${pct(moco.knn - raw.knn)}, vs random ${pct(moco.knn - random.knn)} points)`,
    `P@10 ${moco.pAt10 >= 2 * raw.pAt10 ? 'met' : 'not met'} (${(moco.pAt10 / raw.pAt10).toFixed(2)}x raw pixels)`,
  ];
  console.log(`  goal (>= raw + 5 and random + 10 points; P@10 >= 2x raw): ${goal.join('; ')}`);
  if (o.keep) console.log(`  kept the run in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  return { set: name, images: images.length, classes: classes.length, steps: s?.totalSteps ?? null, trainMinutes: trainMin, scores: rows };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      sets: { type: 'string' },
      preset: { type: 'string' },
      // Every flag of the train command (--aug, --stem, --lr, --weight-decay, ...), for trials.
      ...Object.fromEntries(Object.entries(CONFIG_OPTIONS).map(([flag, o]) => [flag, { type: o.type }])),
      'test-fraction': { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const minutes = Number(values.minutes ?? 30);
  if (!(minutes >= 0.05)) throw new Error(`bench:quality: expected --minutes >= 0.05, got ${JSON.stringify(values.minutes)}`);
  const names = (values.sets ?? SET_NAMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!(SET_NAMES as readonly string[]).includes(n))
      throw new Error(`bench:quality: expected --sets from ${SET_NAMES.join(', ')}, got ${JSON.stringify(n)}`);
  const testFraction = Number(values['test-fraction'] ?? 0.3);
  if (!(testFraction > 0 && testFraction < 1))
    throw new Error(`bench:quality: expected --test-fraction in (0, 1), got ${values['test-fraction']}`);
  const seed = Number(values.seed ?? 0);
  const { minutes: _m, sets: _s, 'test-fraction': _t, help: _h, keep, ...trainFlags } = values;
  const config: TrainConfig = { ...configFromFlags({ ...trainFlags, seed: String(seed) }), minutes, knnEvery: 1 };
  const engine = await initEngine();
  console.log(
    `bench:quality on ${engine.backend} (${engine.device}), ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`config: ${JSON.stringify({ ...config, folderIds: undefined })}`);
  const results = [];
  for (const n of names) results.push(await benchSet(n as SetName, config, { testFraction, seed, keep }));
  console.log(JSON.stringify({ bench: 'quality', backend: engine.backend, device: engine.device, load: loadavg(), config, results }));
}

// The threaded wasm backend's workers keep the event loop alive: exit once the report is out.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

// One probe, start to end: frozen features of every labelled image (the run's encoder in eval
// mode, and the baselines: the same architecture at a random initialisation, and raw pixels),
// computed in one pass over the images, then the linear classification protocol and the
// weighted kNN classifier on each, reported result by result.
import type { ClassMetrics as ApiClassMetrics, ProbeMethod, ProbeModel, ProbeProgress, ProbeResult } from '../../api/contract';
import { initEngine } from '../engine/backend';
import type { ResNet } from '../moco/resnet';
import { createEmbedder, type Embedder } from '../search/embedder';
import { loadRunEncoder } from '../moco/train/encoder-loader';
import { decodeForEncoder } from '../search/preprocess';
import { randomInitEncoder, rawPixelFeatures } from './baselines';
import type { ProbeData } from './dataset';
import { knnClassify } from './knn-classifier';
import { trainLinearProbe } from './linear-probe';
import type { ClassifierResult } from './metrics';
import type { ProbeEndStatus, ProbeRequest, ProbeWorkerMessage } from './probe-types';

const BATCH = 64;
const PROGRESS_MS = 250;

interface Features {
  model: ProbeModel;
  d: number;
  /** n x d, the train images then the test images */
  x: Float32Array;
}

export async function runProbe(req: ProbeRequest, post: (m: ProbeWorkerMessage) => void, signal: AbortSignal): Promise<ProbeEndStatus> {
  let progress: ProbeProgress = {
    probeId: req.probeId,
    phase: 'preparing',
    model: null,
    done: 0,
    total: 0,
    loss: null,
    message: 'Loading the encoders',
  };
  const report = (p: Partial<ProbeProgress>) => {
    progress = { ...progress, ...p };
    post({ type: 'progress', progress });
  };
  const end = (status: ProbeEndStatus, error?: string): ProbeEndStatus => {
    progress = { ...progress, phase: status, message: null, ...(error ? { error } : {}) };
    post({ type: 'end', status, progress, ...(error ? { error } : {}) });
    return status;
  };
  post({ type: 'progress', progress });
  try {
    const { features, ok } = await extractFeatures(req, report, signal);
    const skipped = ok.reduce((n, v) => n + (v ? 0 : 1), 0);
    const nTrain = req.train.ids.length;
    const keepTrain = range(nTrain).filter((i) => ok[i]);
    const keepTest = range(req.test.ids.length).filter((i) => ok[nTrain + i]);
    const message = skipped ? `${skipped} image${skipped === 1 ? '' : 's'} could not be read and were left out` : null;
    for (const f of features) {
      const data: ProbeData = {
        d: f.d,
        numClasses: req.classes.length,
        trainX: gather(f.x, f.d, keepTrain),
        trainY: Int32Array.from(keepTrain, (i) => req.train.labels[i]),
        testX: gather(
          f.x,
          f.d,
          keepTest.map((i) => nTrain + i),
        ),
        testY: Int32Array.from(keepTest, (i) => req.test.labels[i]),
      };
      const { linear, knn } = req.config;
      report({ phase: 'linear', model: f.model, done: 0, total: linear.epochs, loss: null, message });
      let last = 0;
      const probe = await trainLinearProbe(data, {
        epochs: linear.epochs,
        batchSize: linear.batchSize,
        lr: linear.lr,
        momentum: linear.momentum,
        weightDecay: linear.weightDecay,
        schedule: linear.lrSteps.map((s) => Math.round(s * linear.epochs)),
        standardize: linear.standardize,
        seed: req.config.seed,
        signal,
        onEpoch: (e) => {
          if (Date.now() - last < PROGRESS_MS && e.epoch < e.epochs) return;
          last = Date.now();
          report({ done: e.epoch, loss: e.loss });
        },
      });
      publish(post, req, f.model, 'linear', probe, keepTest, probe.diverged);
      signal.throwIfAborted();
      report({ phase: 'knn', done: 0, total: 1, loss: null });
      publish(post, req, f.model, 'knn', await knnClassify(data, { k: knn.k, T: knn.T, signal }), keepTest);
    }
    return end('done');
  } catch (err) {
    if (signal.aborted) return end('cancelled');
    return end('failed', err instanceof Error ? err.message : String(err));
  }
}

function publish(
  post: (m: ProbeWorkerMessage) => void,
  req: ProbeRequest,
  model: ProbeModel,
  method: ProbeMethod,
  r: ClassifierResult,
  keepTest: number[],
  diverged?: boolean,
): void {
  const C = r.metrics.numClasses;
  const confusion = Array.from({ length: C }, (_, t) => Array.from(r.metrics.confusion.subarray(t * C, (t + 1) * C)));
  const perClass: ApiClassMetrics[] = r.metrics.perClass.map((m, c) => ({ name: req.classes[c], ...m }));
  const result: ProbeResult = {
    model,
    method,
    metrics: { top1: r.metrics.top1, top5: r.metrics.top5, perClass, confusion },
    ...(diverged ? { diverged } : {}),
  };
  post({
    type: 'result',
    result,
    model,
    method,
    imageIds: keepTest.map((i) => req.test.ids[i]),
    trueClass: keepTest.map((i) => req.test.labels[i]),
    predicted: Array.from(r.predicted),
  });
}

/** One pass over the images: decode each batch once, then every encoder and the raw pixels. */
async function extractFeatures(
  req: ProbeRequest,
  report: (p: Partial<ProbeProgress>) => void,
  signal: AbortSignal,
): Promise<{ features: Features[]; ok: Uint8Array }> {
  const R = req.config.inputSize ?? req.runConfig.inputSize;
  const paths = [...req.train.paths, ...req.test.paths];
  const n = paths.length;
  await initEngine();
  const c = req.runConfig;
  const encoders: { model: ProbeModel; net: ResNet; embedder: Embedder | null }[] = [];
  try {
    encoders.push({ model: 'pretrained', net: loadRunEncoder('startProbe', req.runDir, c).model, embedder: null });
    if (req.config.baselines.randomInit) {
      encoders.push({ model: 'random-init', net: randomInitEncoder(c, req.config.seed), embedder: null });
    }
    for (const e of encoders) e.embedder = await createEmbedder(e.net, R, 'auto');
    const out: Features[] = encoders.map((e) => ({
      model: e.model,
      d: e.embedder!.featureDim,
      x: new Float32Array(n * e.embedder!.featureDim),
    }));
    let raw: Features | null = null;
    const ok = new Uint8Array(n);
    report({ phase: 'features', model: null, done: 0, total: n, message: `Features of ${n} images (${encoders[0].embedder!.engine})` });
    let last = 0;
    for (let start = 0; start < n; start += BATCH) {
      signal.throwIfAborted();
      const m = Math.min(BATCH, n - start);
      const x = new Float32Array(m * R * R * 3);
      const decoded = await Promise.allSettled(paths.slice(start, start + m).map((p, i) => decodeForEncoder(p, R, x, i * R * R * 3)));
      decoded.forEach((d, i) => (ok[start + i] = d.status === 'fulfilled' ? 1 : 0));
      for (let i = 0; i < encoders.length; i++) {
        const { features } = await encoders[i].embedder!.embed(x, m);
        out[i].x.set(features, start * out[i].d);
      }
      if (req.config.baselines.rawPixels) {
        const px = rawPixelFeatures(x, m, R);
        raw ??= { model: 'raw-pixels', d: px.length / m, x: new Float32Array(n * (px.length / m)) };
        raw.x.set(px, start * raw.d);
      }
      if (Date.now() - last >= PROGRESS_MS || start + m === n) {
        last = Date.now();
        report({ done: start + m });
      }
    }
    return { features: raw ? [...out, raw] : out, ok };
  } finally {
    for (const e of encoders) {
      await e.embedder?.dispose();
      e.net.dispose();
    }
  }
}

function gather(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

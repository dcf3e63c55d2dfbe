// Forward vs gradient convolution times on the wasm backend for the layer shapes of ResNet-18 at
// 64 px (batch 64, torch's padding as resnet.ts uses it), plus the alternative formulations the
// engine was chosen against. The backend starts through initEngine, so it uses as many threads
// as the engine does (MOCO_WASM_THREADS=1: the single-threaded build).
// Run: npx tsx bench/conv-bench.ts [reps]. Prints medians of wall and process CPU time (all
// threads); the machine is shared, and CPU time is the steadier of the two under load.
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { initEngine } from '../src-main/core/engine/backend';
import { axisPads, type ConvPadding } from '../src-main/core/engine/conv-geometry';
import { convFilterGrad, convInputGrad } from '../src-main/core/engine/conv-grads';

interface Layer {
  name: string;
  hw: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: number;
  count: number;
  needsDx: boolean;
}
const N = 64;
// ResNet-18 at 64 px: stem to 32x32, max-pool to 16x16, then layer1..4; count = uses per network.
// The stem's input gradient is never computed in training (the images need none).
const layers: Layer[] = [
  { name: 'stem 7x7/2', hw: 64, ci: 3, co: 64, k: 7, s: 2, pad: 3, count: 1, needsDx: false },
  { name: 'layer1 3x3', hw: 16, ci: 64, co: 64, k: 3, s: 1, pad: 1, count: 4, needsDx: true },
  { name: 'layer2 3x3/2', hw: 16, ci: 64, co: 128, k: 3, s: 2, pad: 1, count: 1, needsDx: true },
  { name: 'layer2 3x3', hw: 8, ci: 128, co: 128, k: 3, s: 1, pad: 1, count: 3, needsDx: true },
  { name: 'layer2 down 1x1/2', hw: 16, ci: 64, co: 128, k: 1, s: 2, pad: 0, count: 1, needsDx: true },
  { name: 'layer3 3x3/2', hw: 8, ci: 128, co: 256, k: 3, s: 2, pad: 1, count: 1, needsDx: true },
  { name: 'layer3 3x3', hw: 4, ci: 256, co: 256, k: 3, s: 1, pad: 1, count: 3, needsDx: true },
  { name: 'layer3 down 1x1/2', hw: 8, ci: 128, co: 256, k: 1, s: 2, pad: 0, count: 1, needsDx: true },
  { name: 'layer4 3x3/2', hw: 4, ci: 256, co: 512, k: 3, s: 2, pad: 1, count: 1, needsDx: true },
  { name: 'layer4 3x3', hw: 2, ci: 512, co: 512, k: 3, s: 1, pad: 1, count: 3, needsDx: true },
  { name: 'layer4 down 1x1/2', hw: 4, ci: 256, co: 512, k: 1, s: 2, pad: 0, count: 1, needsDx: true },
];
const reps = Number(process.argv[2] ?? 5);

interface Time {
  wall: number;
  cpu: number;
}

/** Median wall and CPU ms of fn, after one warm-up; every tensor it makes is disposed. */
function median(fn: () => tf.Tensor): Time {
  const once = (): Time => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    tf.tidy(() => {
      fn().dataSync();
    });
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
  once();
  const runs = Array.from({ length: reps }, once);
  const mid = (key: keyof Time) => runs.map((r) => r[key]).sort((a, b) => a - b)[runs.length >> 1];
  return { wall: mid('wall'), cpu: mid('cpu') };
}

/** The first formulation: dy zero-inserted for the stride, then a full correlation with the flipped kernel. */
function inputGradZeroInsert(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: number[], s: number, padding: ConvPadding): tf.Tensor {
  const [n, h, wd] = xShape;
  const [kh, kw] = w.shape;
  const [, oh, ow, co] = dy.shape;
  const d =
    s === 1
      ? dy
      : dy
          .reshape([n, oh, 1, ow, 1, co])
          .pad([
            [0, 0],
            [0, 0],
            [0, s - 1],
            [0, 0],
            [0, s - 1],
            [0, 0],
          ])
          .reshape([n, oh * s, ow * s, co])
          .slice([0, 0, 0, 0], [n, (oh - 1) * s + 1, (ow - 1) * s + 1, co]);
  const top = kh - 1 - axisPads(h, kh, s, padding).before;
  const left = kw - 1 - axisPads(wd, kw, s, padding).before;
  const [, dh, dw] = d.shape as number[];
  const dp = d.pad([
    [0, 0],
    [top, Math.max(h + kh - 1 - dh - top, 0)],
    [left, Math.max(wd + kw - 1 - dw - left, 0)],
    [0, 0],
  ]) as tf.Tensor4D;
  return tf.conv2d(dp, tf.reverse(w, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid').slice([0, 0, 0, 0], xShape);
}

/** dw as one matrix product of im2col patches: (N*OH*OW x KH*KW*Ci)^T (N*OH*OW x Co). */
function filterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number, pad: number): tf.Tensor {
  const [n, , , ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const xp = x.pad([
    [0, 0],
    [pad, pad + s],
    [pad, pad + s],
    [0, 0],
  ]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      taps.push(xp.stridedSlice([0, i, j, 0], [n, i + (oh - 1) * s + 1, j + (ow - 1) * s + 1, ci], [1, s, s, 1]));
    }
  return tf.matMul(tf.concat(taps, 3).reshape([-1, k * k * ci]), dy.reshape([-1, co]), true, false).reshape([k, k, ci, co]);
}

async function main() {
  const engine = await initEngine({ backend: 'wasm' });
  console.log(
    `${engine.device}, batch ${N}, median of ${reps}, load average ${loadavg()[0].toFixed(2)}; ms as wall/cpu (cpu: all threads)`,
  );
  const rows: Record<string, string | number>[] = [];
  const total = { fwd: { wall: 0, cpu: 0 }, dx: { wall: 0, cpu: 0 }, dw: { wall: 0, cpu: 0 } };
  const add = (t: Time, v: Time, count: number) => {
    t.wall += count * v.wall;
    t.cpu += count * v.cpu;
  };
  const f = (t: Time | null) => (t ? `${t.wall.toFixed(1)}/${t.cpu.toFixed(1)}` : '-');
  for (const l of layers) {
    const x = tf.randomNormal([N, l.hw, l.hw, l.ci]) as tf.Tensor4D;
    const w = tf.randomNormal([l.k, l.k, l.ci, l.co]) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, l.s, l.pad).shape) as tf.Tensor4D;
    const xShape = x.shape;
    const fwd = median(() => tf.conv2d(x, w, l.s, l.pad));
    const dx = median(() => convInputGrad(dy, w, xShape, l.s, l.pad));
    const dxZero = median(() => inputGradZeroInsert(dy, w, xShape, l.s, l.pad));
    // TF.js's own wasm kernel (Conv2DBackpropInput), the one the engine avoids
    const dxNative = median(() => tf.conv2dTranspose(dy, w, xShape, l.s, l.pad));
    const dw = median(() => convFilterGrad(x, dy, w.shape, l.s, l.pad));
    const dwIm2col = l.k <= 3 ? median(() => filterGradIm2col(x, dy, l.k, l.s, l.pad)) : null;
    add(total.fwd, fwd, l.count);
    if (l.needsDx) add(total.dx, dx, l.count);
    add(total.dw, dw, l.count);
    rows.push({
      layer: l.name,
      'x shape': `${N}x${l.hw}x${l.hw}x${l.ci}`,
      Co: l.co,
      fwd: f(fwd),
      dx: f(dx),
      'dx zero-insert': f(dxZero),
      'dx tfjs kernel': f(dxNative),
      dw: f(dw),
      'dw im2col/matMul': f(dwIm2col),
    });
    tf.dispose([x, w, dy]);
  }
  console.table(rows);
  const r = (t: Time) => `${t.wall.toFixed(0)}/${t.cpu.toFixed(0)} ms`;
  console.log(
    `per ResNet-18 pass (layer counts weighted, no stem dx): forward ${r(total.fwd)}, dx ${r(total.dx)}, dw ${r(total.dw)} ` +
      `(backward/forward wall ${((total.dx.wall + total.dw.wall) / total.fwd.wall).toFixed(2)}); load average now ${loadavg()[0].toFixed(2)}`,
  );
}

// The threaded wasm backend's workers keep the event loop alive: exit once the table is out.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

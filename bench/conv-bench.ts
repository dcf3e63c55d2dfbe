// Forward vs gradient convolution times on the wasm backend for ResNet-18-at-64px layer shapes
// (batch 64), plus the alternative formulations the engine was chosen against.
// Run: npx tsx bench/conv-bench.ts [reps]. Prints medians; the machine is shared.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { axisPads, type ConvPadding } from '../src-main/core/engine/conv-geometry';
import { convFilterGrad, inputGradPolyphase, sparseOneByOneInputGrad } from '../src-main/core/engine/conv-grads';

interface Layer { name: string; hw: number; ci: number; co: number; k: number; s: number; count: number }
const N = 64;
// ResNet-18 at 64 px: stem to 32x32, max-pool to 16x16, then layer1..4; count = uses per network
const layers: Layer[] = [
  { name: 'stem 7x7/2', hw: 64, ci: 3, co: 64, k: 7, s: 2, count: 1 },
  { name: 'layer1 3x3', hw: 16, ci: 64, co: 64, k: 3, s: 1, count: 4 },
  { name: 'layer2 3x3/2', hw: 16, ci: 64, co: 128, k: 3, s: 2, count: 1 },
  { name: 'layer2 3x3', hw: 8, ci: 128, co: 128, k: 3, s: 1, count: 3 },
  { name: 'layer2 down 1x1/2', hw: 16, ci: 64, co: 128, k: 1, s: 2, count: 1 },
  { name: 'layer3 3x3/2', hw: 8, ci: 128, co: 256, k: 3, s: 2, count: 1 },
  { name: 'layer3 3x3', hw: 4, ci: 256, co: 256, k: 3, s: 1, count: 3 },
  { name: 'layer3 down 1x1/2', hw: 8, ci: 128, co: 256, k: 1, s: 2, count: 1 },
  { name: 'layer4 3x3/2', hw: 4, ci: 256, co: 512, k: 3, s: 2, count: 1 },
  { name: 'layer4 3x3', hw: 2, ci: 512, co: 512, k: 3, s: 1, count: 3 },
  { name: 'layer4 down 1x1/2', hw: 4, ci: 256, co: 512, k: 1, s: 2, count: 1 },
];
const reps = Number(process.argv[2] ?? 5);

/** Median wall time of fn in ms, after one warm-up; every tensor it makes is disposed. */
function median(fn: () => tf.Tensor): number {
  const once = () => {
    const t0 = performance.now();
    tf.tidy(() => {
      fn().dataSync();
    });
    return performance.now() - t0;
  };
  once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** The prototype's dx: dy zero-inserted for the stride, then a full correlation. */
function inputGradZeroInsert(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: number[], s: number, padding: ConvPadding): tf.Tensor {
  const [n, h, wd] = xShape;
  const [kh, kw] = w.shape;
  const [, oh, ow, co] = dy.shape;
  const d = s === 1 ? dy : dy.reshape([n, oh, 1, ow, 1, co]).pad([[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]])
    .reshape([n, oh * s, ow * s, co]).slice([0, 0, 0, 0], [n, (oh - 1) * s + 1, (ow - 1) * s + 1, co]);
  const top = kh - 1 - axisPads(h, kh, s, padding).before;
  const left = kw - 1 - axisPads(wd, kw, s, padding).before;
  const [, dh, dw] = d.shape as number[];
  const dp = d.pad([[0, 0], [top, h + kh - 1 - dh - top], [left, wd + kw - 1 - dw - left], [0, 0]]) as tf.Tensor4D;
  return tf.conv2d(dp, tf.reverse(w, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
}

/** dw as one matrix product of im2col patches: (N*OH*OW x KH*KW*Ci)^T (N*OH*OW x Co). */
function filterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number, padding: ConvPadding): tf.Tensor {
  const [n, h, , ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const p = axisPads(h, k, s, padding);
  const xp = x.pad([[0, 0], [p.before, p.after + s], [p.before, p.after + s], [0, 0]]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    taps.push(xp.stridedSlice([0, i, j, 0], [n, i + (oh - 1) * s + 1, j + (ow - 1) * s + 1, ci], [1, s, s, 1]));
  }
  return tf.matMul(tf.concat(taps, 3).reshape([-1, k * k * ci]), dy.reshape([-1, co]), true, false).reshape([k, k, ci, co]);
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`wasm SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, batch ${N}, median of ${reps} (ms)`);
  const rows: Record<string, string | number>[] = [];
  const total = { fwd: 0, dx: 0, dw: 0 };
  for (const l of layers) {
    const x = tf.randomNormal([N, l.hw, l.hw, l.ci]) as tf.Tensor4D;
    const w = tf.randomNormal([l.k, l.k, l.ci, l.co]) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, l.s, 'same').shape) as tf.Tensor4D;
    const xShape = x.shape;
    const fwd = median(() => tf.conv2d(x, w, l.s, 'same'));
    const dxPoly = median(() => inputGradPolyphase(dy, w, xShape, l.s, 'same'));
    const dxZero = median(() => inputGradZeroInsert(dy, w, xShape, l.s, 'same'));
    const dxSparse = l.k === 1 ? median(() => sparseOneByOneInputGrad(dy, w, xShape, l.s)) : NaN;
    const dw = median(() => convFilterGrad(x, dy, w.shape, l.s, 'same'));
    const dwIm2col = median(() => filterGradIm2col(x, dy, l.k, l.s, 'same'));
    const dx = l.k === 1 ? dxSparse : dxPoly; // what convInputGrad runs
    total.fwd += l.count * fwd;
    total.dx += l.count * dx;
    total.dw += l.count * dw;
    const f = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));
    rows.push({
      layer: l.name, 'x shape': `${N}x${l.hw}x${l.hw}x${l.ci}`, Co: l.co, fwd: f(fwd),
      'dx polyphase': f(dxPoly), 'dx zero-insert': f(dxZero), 'dx 1x1 sparse': f(dxSparse),
      'dw conv': f(dw), 'dw im2col/matMul': f(dwIm2col),
    });
    tf.dispose([x, w, dy]);
  }
  console.table(rows);
  console.log(`per ResNet-18 pass (layer counts weighted): forward ${total.fwd.toFixed(0)} ms, dx ${total.dx.toFixed(0)} ms, dw ${total.dw.toFixed(0)} ms ` +
    `(backward/forward ${((total.dx + total.dw) / total.fwd).toFixed(2)})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Two visually distinct classes drawn in memory: stripes across (class 0) or down (class 1),
// each image with its own colour, frequency and phase; two views are random shifts, flips
// and brightness changes of one image, as MoCo's augmentations would give.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src-main/core/moco/rng';

interface Stripes {
  cls: 0 | 1;
  freq: number;
  phase: number;
  colour: [number, number, number];
}

function randomStripes(rng: Rng, cls: 0 | 1): Stripes {
  return {
    cls,
    freq: 0.5 + rng.next(),
    phase: rng.next() * 2 * Math.PI,
    colour: [rng.next(), rng.next(), rng.next()],
  };
}

function drawView(s: Stripes, size: number, rng: Rng, out: Float32Array, offset: number): void {
  const dx = rng.int(5) - 2;
  const dy = rng.int(5) - 2;
  const flip = rng.next() < 0.5;
  const gain = 0.8 + 0.4 * rng.next();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (flip ? size - 1 - x : x) + dx;
      const v = y + dy;
      const t = Math.sin((s.cls === 0 ? v : u) * s.freq + s.phase);
      for (let c = 0; c < 3; c++) {
        out[offset + (y * size + x) * 3 + c] = gain * t * s.colour[c] + 0.05 * (rng.next() - 0.5);
      }
    }
  }
}

/** N images (half of each class), two views each: imQ and imK, NxSxSx3. */
export function twoViewBatch(rng: Rng, n: number, size: number): { imQ: tf.Tensor4D; imK: tf.Tensor4D; labels: number[] } {
  const q = new Float32Array(n * size * size * 3);
  const k = new Float32Array(n * size * size * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = randomStripes(rng, (i % 2) as 0 | 1);
    labels.push(s.cls);
    drawView(s, size, rng, q, i * size * size * 3);
    drawView(s, size, rng, k, i * size * size * 3);
  }
  return { imQ: tf.tensor4d(q, [n, size, size, 3]), imK: tf.tensor4d(k, [n, size, size, 3]), labels };
}

// Two visually distinct classes drawn in memory: stripes across (class 0) or down (class 1),
// each image with its own colour, frequency and phase; two views are random shifts, flips
// and brightness changes of one image, as MoCo's augmentations would give. A fixed dataset of
// such images serves the mechanisms that keep one entry per sample (the memory bank).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src-main/core/moco/rng';

export interface Stripes {
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
  const views = new Views(n, size);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = randomStripes(rng, (i % 2) as 0 | 1);
    labels.push(s.cls);
    views.draw(i, s, rng);
  }
  return { ...views.tensors(), labels };
}

/** A fixed set of `count` images (alternating classes), for mechanisms that track samples. */
export function stripesDataset(rng: Rng, count: number): Stripes[] {
  return Array.from({ length: count }, (_, i) => randomStripes(rng, (i % 2) as 0 | 1));
}

/** Fresh views of the images `idx` of a dataset: imQ and imK, NxSxSx3. */
export function twoViewsOf(
  dataset: readonly Stripes[],
  idx: ArrayLike<number>,
  size: number,
  rng: Rng,
): { imQ: tf.Tensor4D; imK: tf.Tensor4D } {
  const views = new Views(idx.length, size);
  for (let i = 0; i < idx.length; i++) views.draw(i, dataset[idx[i]], rng);
  return views.tensors();
}

class Views {
  private readonly q: Float32Array;
  private readonly k: Float32Array;
  constructor(
    private readonly n: number,
    private readonly size: number,
  ) {
    this.q = new Float32Array(n * size * size * 3);
    this.k = new Float32Array(n * size * size * 3);
  }

  draw(i: number, s: Stripes, rng: Rng): void {
    const at = i * this.size * this.size * 3;
    drawView(s, this.size, rng, this.q, at);
    drawView(s, this.size, rng, this.k, at);
  }

  tensors(): { imQ: tf.Tensor4D; imK: tf.Tensor4D } {
    const shape: [number, number, number, number] = [this.n, this.size, this.size, 3];
    return { imQ: tf.tensor4d(this.q, shape), imK: tf.tensor4d(this.k, shape) };
  }
}

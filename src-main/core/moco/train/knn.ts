// The kNN monitor of the official CIFAR demo: weighted k-nearest-neighbour classification
// (k 200, weights exp(sim / 0.1)) on L2-normalised features of un-augmented centre crops,
// here leave-one-out over the labelled images of the training cache (no held-out split is
// needed to see whether the features group the folders).
import * as tf from '@tensorflow/tfjs';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/augment';
import { cacheSideFor } from '../data/decode';
import type { TrainCache } from '../data/train-cache';
import { l2Normalize } from '../l2norm';
import type { ResNet } from '../resnet';

export const KNN_K = 200;
export const KNN_T = 0.1;
/** Images embedded per forward pass. */
const CHUNK = 64;
/** At most this many labelled images take part, spread evenly over the cache (bounded time). */
export const KNN_MAX_IMAGES = 5000;

/** Class index per cache row (-1: no label), and the rows that take part. */
export interface KnnLabels {
  rows: Int32Array;
  classes: Int32Array;
  numClasses: number;
}

/** Rows of `cache` with a label, when at least two classes exist; null otherwise. */
export function knnLabels(cache: TrainCache, labelOf: (imageId: number) => string | null): KnnLabels | null {
  const names = new Map<string, number>();
  const rows: number[] = [];
  const classes: number[] = [];
  for (const r of cache.rows) {
    const label = labelOf(cache.ids[r]);
    if (label === null) continue;
    if (!names.has(label)) names.set(label, names.size);
    rows.push(r);
    classes.push(names.get(label)!);
  }
  if (names.size < 2 || rows.length < 2) return null;
  const stride = Math.max(1, rows.length / KNN_MAX_IMAGES);
  const pick = Array.from({ length: Math.min(rows.length, KNN_MAX_IMAGES) }, (_, i) => Math.floor(i * stride));
  return { rows: Int32Array.from(pick, (i) => rows[i]), classes: Int32Array.from(pick, (i) => classes[i]), numClasses: names.size };
}

/**
 * NxD L2-normalised pooled features of the centre crops of `rows` at side `resolution`: the
 * view of inference (search/preprocess.ts): short side at 1.15R, the centre R x R, here cut
 * from the cached frame (short side S) as its centre square of side S/1.15, resized to R.
 */
export function embedCentreCrops(encoder: ResNet, cache: TrainCache, rows: Int32Array, resolution: number): tf.Tensor2D {
  const R = resolution;
  const side = Math.min(cache.size, Math.round((cache.size * R) / cacheSideFor(R)));
  const parts: tf.Tensor2D[] = [];
  try {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.subarray(i, i + CHUNK);
      const data = cache.readBatch(chunk);
      const layout = cache.framesOf(data, chunk.length);
      // One image at a time: frames differ in shape (and a frame's tensor is small).
      parts.push(
        tf.tidy(() => {
          const crops = Array.from(chunk, (_, j) => {
            const [h, w] = [layout.dims[2 * j], layout.dims[2 * j + 1]];
            const start = j * layout.slotBytes + layout.header;
            const img = tf.tensor3d(data.subarray(start, start + h * w * 3), [h, w, 3], 'float32').div(255); // hxwx3
            const [top, left] = [Math.floor((h - side) / 2), Math.floor((w - side) / 2)];
            const square = tf.slice(img, [top, left, 0], [side, side, 3]);
            return side === R ? square : tf.image.resizeBilinear(square as tf.Tensor3D, [R, R], true);
          });
          const crop = tf.stack(crops) as tf.Tensor4D; // nxRxRx3
          const norm = crop.sub(tf.tensor1d([...IMAGENET_MEAN])).div(tf.tensor1d([...IMAGENET_STD])) as tf.Tensor4D;
          return l2Normalize(encoder.forward(norm, { training: false }).features); // nxD
        }),
      );
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/** Leave-one-out weighted kNN accuracy of features (NxD, unit rows) with their classes. */
export async function knnAccuracy(features: tf.Tensor2D, classes: Int32Array, numClasses: number, k = KNN_K, T = KNN_T): Promise<number> {
  const n = features.shape[0];
  // k is capped at half the smallest class: with k near a class's size a leave-one-out vote
  // is biased against the query's own class (it has one image fewer than the others).
  const sizes = new Array<number>(numClasses).fill(0);
  for (const c of classes) sizes[c]++;
  const smallest = Math.min(...sizes.filter((s) => s > 0));
  const kk = Math.max(1, Math.min(k, n - 1, Math.floor(smallest / 2)));
  let correct = 0;
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    const { values, indices } = tf.tidy(() => {
      const sims = tf.matMul(tf.slice(features, [i, 0], [m, -1]), features, false, true); // mxN
      // The image itself must not vote: push its own similarity below any other.
      const self = tf.oneHot(tf.range(i, i + m, 1, 'int32'), n).mul(-10) as tf.Tensor2D;
      return tf.topk(sims.add(self), kk);
    });
    let sim: Float32Array;
    let idx: Int32Array;
    try {
      [sim, idx] = (await Promise.all([values.data(), indices.data()])) as [Float32Array, Int32Array];
    } finally {
      tf.dispose([values, indices]);
    }
    for (let r = 0; r < m; r++) {
      const votes = new Float64Array(numClasses);
      for (let j = 0; j < kk; j++) votes[classes[idx[r * kk + j]]] += Math.exp(sim[r * kk + j] / T);
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (votes[c] > votes[best]) best = c;
      if (best === classes[i + r]) correct++;
    }
  }
  return correct / n;
}

/** The monitor in one call: embed the labelled rows, then leave-one-out kNN accuracy. */
export async function knnMonitor(encoder: ResNet, cache: TrainCache, labels: KnnLabels, resolution: number): Promise<number> {
  const features = embedCentreCrops(encoder, cache, labels.rows, resolution);
  try {
    return await knnAccuracy(features, labels.classes, labels.numClasses);
  } finally {
    features.dispose();
  }
}

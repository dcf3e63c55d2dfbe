// Baselines that say what pretraining added.
//
// Raw pixels: the encoder's input view (the centre crop at the probe's input size, as
// search/preprocess.ts decodeForEncoder makes it) averaged down to 16 x 16 x 3 = 768 values,
// then centred and scaled to unit length per image. Per image, so batches are independent and
// the features do not depend on the split; unit length puts them on the scale the linear
// protocol's lr 30 expects (E||x||² = 1, see linear-probe.ts) and changes nothing for the
// cosine kNN. A probe with standardize on z-scores them per column as well.
//
// Random initialisation: the same architecture and options as the pretrained encoder, only the
// Rng seed differs, and the same feature extraction (eval mode, pooled backbone output):
//
//   const random = randomInitEncoder(runConfig, seed); // new ResNet(same options, new Rng(seed + SALT))
//   const { features } = random.forward(x, { training: false }); // NxD, as for the trained encoder
//
// Nothing is trained; what the probe reaches on it is what the architecture gives for free.
import type { TrainConfig } from '../../api/contract';
import { InvalidInputError } from '../../api/errors';
import { ResNet } from '../moco/resnet';
import { Rng } from '../moco/rng';

/** Seed offset of the random-init baseline, so it is not the run's own initialisation. */
const RANDOM_INIT_SALT = 0x5a17;

/** The random-init baseline of an encoder trained with `config`: same architecture, fresh weights. */
export function randomInitEncoder(
  config: Pick<TrainConfig, 'arch' | 'stem' | 'widthMultiplier' | 'dim' | 'mlpHead'>,
  seed: number,
): ResNet {
  const { arch, stem, widthMultiplier, dim, mlpHead } = config;
  return new ResNet({ arch, stem, widthMultiplier, outDim: dim, mlpHead }, new Rng((seed + RANDOM_INIT_SALT) >>> 0));
}

/** Side of the raw-pixel baseline's thumbnail: 16 x 16 x 3 = 768 features. */
export const RAW_PIXELS_SIDE = 16;

/**
 * n x (side·side·3) raw-pixel features of n images given as an n x R x R x 3 float batch (NHWC,
 * row-major). Each output pixel is the area-weighted mean of the input pixels it covers (exact
 * for any R, also when R is not a multiple of side); each image's vector is then centred and
 * scaled to unit L2 length (a constant image gives zeros).
 */
export function rawPixelFeatures(batch: Float32Array, n: number, R: number, side = RAW_PIXELS_SIDE): Float32Array {
  const where = 'rawPixelFeatures';
  for (const [name, v] of [
    ['n', n],
    ['R', R],
    ['side', side],
  ] as const) {
    if (!Number.isInteger(v) || v < (name === 'n' ? 0 : 1))
      throw new InvalidInputError(`${where}: expected ${name} to be a positive integer, got ${v}`);
  }
  if (batch.length !== n * R * R * 3)
    throw new InvalidInputError(`${where}: expected ${n} x ${R} x ${R} x 3 = ${n * R * R * 3} values, got ${batch.length}`);
  const taps = areaTaps(R, side);
  const D = side * side * 3;
  const out = new Float32Array(n * D);
  const rows = new Float64Array(side * R * 3); // side x R x 3: vertically reduced
  for (let im = 0; im < n; im++) {
    const src = im * R * R * 3;
    rows.fill(0);
    for (let oy = 0; oy < side; oy++) {
      for (const [y, wy] of taps[oy]) {
        const p = src + y * R * 3;
        const q = oy * R * 3;
        for (let t = 0; t < R * 3; t++) rows[q + t] += wy * batch[p + t];
      }
    }
    const o = im * D;
    let mean = 0;
    for (let oy = 0; oy < side; oy++) {
      for (let ox = 0; ox < side; ox++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (const [x, wx] of taps[ox]) s += wx * rows[(oy * R + x) * 3 + c];
          out[o + (oy * side + ox) * 3 + c] = s;
          mean += s;
        }
      }
    }
    mean /= D;
    let sq = 0;
    for (let j = o; j < o + D; j++) {
      out[j] -= mean;
      sq += out[j] * out[j];
    }
    const inv = sq > 1e-20 ? 1 / Math.sqrt(sq) : 0;
    for (let j = o; j < o + D; j++) out[j] *= inv;
  }
  return out;
}

/** For each of `side` output cells, the input indices it overlaps and their weights (summing to 1). */
function areaTaps(R: number, side: number): [number, number][][] {
  const scale = R / side;
  return Array.from({ length: side }, (_, o) => {
    const a = o * scale;
    const b = (o + 1) * scale;
    const taps: [number, number][] = [];
    for (let i = Math.floor(a); i < Math.min(R, Math.ceil(b)); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i);
      if (w > 1e-12) taps.push([i, w / scale]);
    }
    return taps;
  });
}

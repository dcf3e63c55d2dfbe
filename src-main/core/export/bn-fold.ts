// Eval-mode BatchNorm folded into the convolution before it: BN(conv(x, W)) = conv(x, W·s) + b
// with s = γ / sqrt(running_var + eps) and b = β − running_mean·s, per output channel. Computed
// in float64 and rounded once, so the folded float32 weights are as close to the exact ones as
// float32 allows.
import { BN_EPS } from '../moco/batchnorm';

export interface BatchNormStats {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  runningMean: ArrayLike<number>;
  runningVar: ArrayLike<number>;
}

export interface FoldedConv {
  /** [Co, Ci, KH, KW] (OIHW, the ONNX/torch layout). */
  weight: Float32Array;
  /** [Co] */
  bias: Float32Array;
}

/** hwio: the conv weight as the model stores it, [KH, KW, Ci, Co]. */
export function foldBatchNorm(hwio: ArrayLike<number>, [kh, kw, ci, co]: readonly number[], bn: BatchNormStats, eps = BN_EPS): FoldedConv {
  if (hwio.length !== kh * kw * ci * co) {
    throw new Error(`foldBatchNorm: expected ${kh * kw * ci * co} weights for [${kh}, ${kw}, ${ci}, ${co}], got ${hwio.length}`);
  }
  for (const [name, v] of Object.entries(bn)) {
    if ((v as ArrayLike<number>).length !== co)
      throw new Error(`foldBatchNorm: expected ${co} values of ${name}, got ${(v as ArrayLike<number>).length}`);
  }
  const scale = new Float64Array(co);
  const bias = new Float32Array(co);
  for (let o = 0; o < co; o++) {
    scale[o] = bn.gamma[o] / Math.sqrt(bn.runningVar[o] + eps);
    bias[o] = bn.beta[o] - bn.runningMean[o] * scale[o];
  }
  const weight = new Float32Array(co * ci * kh * kw);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        const src = ((y * kw + x) * ci + i) * co;
        for (let o = 0; o < co; o++) weight[((o * ci + i) * kh + y) * kw + x] = hwio[src + o] * scale[o];
      }
    }
  }
  return { weight, bias };
}

// A convolution over a map of known, tiny size is one linear map from the whole input map to the
// whole output map. Written as a dense matrix it multiplies only the taps that land inside the
// input (no work on padding) and runs as one GEMM: for ResNet-18's layer4 at 64 px (2x2 maps,
// 3x3 kernels) onnxruntime's GEMM is ~4x faster than its convolution kernels' tiny-tile path.

/** Output size of a conv or pool along one axis (torch and ONNX: floor). */
export function convOutputSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** The dense matrix does no more multiply-adds than the convolution when the map fits in the kernel. */
export function denseConvPays(h: number, w: number, k: number): boolean {
  return h * w <= k * k;
}

/**
 * oihw: [Co, Ci, K, K] -> B: [Ci*H*W, Co*OH*OW], so that for x: NxCixHxW flattened to Nx(Ci*H*W)
 * (NCHW order), x·B flattened back is the conv's NxCoxOHxOW output (without bias).
 */
export function denseConvMatrix(
  oihw: Float32Array,
  [co, ci, k]: readonly number[],
  stride: number,
  pad: number,
  h: number,
  w: number,
): { matrix: Float32Array; oh: number; ow: number } {
  if (oihw.length !== co * ci * k * k) throw new Error(`denseConvMatrix: expected ${co * ci * k * k} weights, got ${oihw.length}`);
  const oh = convOutputSize(h, k, stride, pad);
  const ow = convOutputSize(w, k, stride, pad);
  const cols = co * oh * ow;
  const matrix = new Float32Array(ci * h * w * cols);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * stride - pad + ky;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * stride - pad + kx;
          if (ix < 0 || ix >= w) continue;
          for (let i = 0; i < ci; i++) {
            const row = (i * h + iy) * w + ix;
            for (let o = 0; o < co; o++) matrix[row * cols + (o * oh + oy) * ow + ox] = oihw[((o * ci + i) * k + ky) * k + kx];
          }
        }
      }
    }
  }
  return { matrix, oh, ow };
}

// The ONNX graphs behind the native convolutions (native-conv.ts), one per shape. Two forms,
// picked by the output's size: onnxruntime's Conv multiplies one image at a time, which suits
// large feature maps but starves its matrix kernels on small ones (ResNet-18's last stage at
// 64 px is 2x2); there, gathering the patches (im2col) and doing one matrix product over the
// whole batch is up to 7x faster, while on large maps the patch copy costs more than it saves.
import { OnnxGraphBuilder } from '../onnx/onnx-graph';

/** [top, bottom, left, right] zero padding of a convolution's input. */
export type Pads = [number, number, number, number];
type Shape4 = [number, number, number, number];

/** A forward convolution: x NxHxWxCi, w KHxKWxCixCo (TF layout), stride and zero pads. */
export interface ConvShape {
  x: Shape4;
  w: Shape4;
  stride: number;
  pads: Pads;
}

/**
 * The filter gradient of a forward convolution: x as in the forward pass, dy NxOHxOWxCo, the
 * kernel's KH and KW, and the window the forward pass read (conv-grads.ts's forwardWindow):
 * the pads that make x cover it, and the rows and columns of x inside it.
 */
export interface FilterGradShape {
  x: Shape4;
  dy: Shape4;
  kernel: [number, number];
  stride: number;
  pads: Pads;
  used: [number, number];
}

/** Output positions per image up to which the patch form is used. */
const MAX_PATCH_POSITIONS = 16;

const MODEL_META = { graphName: 'conv', opset: 17, irVersion: 8, docString: '', props: {} };

export function convOutShape(s: ConvShape): Shape4 {
  const [n, h, w] = s.x;
  const [kh, kw, , co] = s.w;
  const [top, bottom, left, right] = s.pads;
  return [n, Math.floor((h + top + bottom - kh) / s.stride) + 1, Math.floor((w + left + right - kw) / s.stride) + 1, co];
}

/** y = conv2d(x, w), inputs 'x' and 'w', output 'y' (NxOHxOWxCo). */
export function forwardGraph(s: ConvShape): Uint8Array {
  const out = convOutShape(s);
  const g = new OnnxGraphBuilder();
  const x = g.input('x', s.x);
  const w = g.input('w', s.w);
  const [kh, kw, , co] = s.w;
  let y: string;
  if (out[1] * out[2] <= MAX_PATCH_POSITIONS) {
    const p = patches(g, x, s.x, [kh, kw], s.stride, s.pads, [out[1], out[2]]);
    const wf = g.node('Reshape', 'wf', [w, g.int64Initializer('wf_shape', [kh * kw * s.x[3], co])]);
    y = g.node('Reshape', 'y', [g.node('MatMul', 'mm', [p, wf]), g.int64Initializer('y_shape', out)]);
  } else {
    const [top, bottom, left, right] = s.pads;
    const xt = g.node('Transpose', 'xt', [x], { perm: [0, 3, 1, 2] }); // NxCixHxW
    const wt = g.node('Transpose', 'wt', [w], { perm: [3, 2, 0, 1] }); // CoxCixKHxKW
    const conv = g.node('Conv', 'conv', [xt, wt], {
      kernel_shape: [kh, kw],
      strides: [s.stride, s.stride],
      pads: [top, left, bottom, right],
    });
    y = g.node('Transpose', 'y', [conv], { perm: [0, 2, 3, 1] });
  }
  g.output(y, out);
  return g.encode(MODEL_META);
}

/** dL/dw, inputs 'x' and 'dy', output 'y' (KHxKWxCixCo). */
export function filterGradGraph(s: FilterGradShape): Uint8Array {
  const [, h, w, ci] = s.x;
  const [n, oh, ow, co] = s.dy;
  const [kh, kw] = s.kernel;
  const [top, bottom, left, right] = s.pads;
  const g = new OnnxGraphBuilder();
  const x = g.input('x', s.x);
  const dy = g.input('dy', s.dy);
  let y: string;
  if (oh * ow <= MAX_PATCH_POSITIONS) {
    // Σ over the batch and positions of patchᵀ·dy: one product with a long inner dimension.
    const p = patches(g, x, s.x, [kh, kw], s.stride, s.pads, [oh, ow]);
    const d = g.node('Reshape', 'dy2', [dy, g.int64Initializer('dy_shape', [n * oh * ow, co])]);
    const dw = g.node('Gemm', 'gemm', [p, d], { transA: 1 });
    y = g.node('Reshape', 'y', [dw, g.int64Initializer('y_shape', [kh, kw, ci, co])]);
  } else {
    // A forward convolution with the roles swapped: Ci is the batch, N the channels, dy the
    // kernel, dilated by the stride; rows and columns past the window are cropped.
    let xt = g.node('Transpose', 'xt', [x], { perm: [3, 0, 1, 2] }); // CixNxHxW
    const [usedH, usedW] = s.used;
    if (usedH < h || usedW < w) {
      const ints = (name: string, v: number[]) => g.int64Initializer(name, v);
      xt = g.node('Slice', 'crop', [xt, ints('starts', [0, 0]), ints('ends', [usedH, usedW]), ints('axes', [2, 3])]);
    }
    const dyt = g.node('Transpose', 'dyt', [dy], { perm: [3, 0, 1, 2] }); // CoxNxOHxOW
    const conv = g.node('Conv', 'conv', [xt, dyt], {
      kernel_shape: [oh, ow],
      dilations: [s.stride, s.stride],
      pads: [top, left, bottom, right],
    }); // CixCoxKHxKW
    y = g.node('Transpose', 'y', [conv], { perm: [2, 3, 0, 1] });
  }
  g.output(y, [kh, kw, ci, co]);
  return g.encode(MODEL_META);
}

/** The input patch of every output position: (N·OH·OW)x(KH·KW·Ci), taps in HWIO order. */
function patches(
  g: OnnxGraphBuilder,
  x: string,
  [n, , , ci]: Shape4,
  [kh, kw]: [number, number],
  stride: number,
  [top, bottom, left, right]: Pads,
  [oh, ow]: [number, number],
): string {
  const ints = (name: string, v: number[]) => g.int64Initializer(name, v);
  const padded = top || bottom || left || right ? g.node('Pad', 'pad', [x, ints('pads', [0, top, left, 0, 0, bottom, right, 0])]) : x;
  const taps: string[] = [];
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      const t = `${r}_${c}`;
      const ends = [r + (oh - 1) * stride + 1, c + (ow - 1) * stride + 1];
      taps.push(
        g.node('Slice', `tap${t}`, [
          padded,
          ints(`s${t}`, [r, c]),
          ints(`e${t}`, ends),
          ints(`a${t}`, [1, 2]),
          ints(`st${t}`, [stride, stride]),
        ]),
      );
    }
  }
  const all = taps.length > 1 ? g.node('Concat', 'taps', taps, { axis: 3 }) : taps[0];
  return g.node('Reshape', 'patches', [all, ints('patch_shape', [n * oh * ow, kh * kw * ci])]);
}

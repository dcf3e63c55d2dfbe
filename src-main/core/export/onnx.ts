// The encoder as an ONNX model, in eval mode: every BatchNorm folded into the conv before it
// (Conv with bias), Relu, Add, MaxPool, GlobalAveragePool, Flatten, Gemm for the head and
// ReduceL2 + Max(eps) + Div for torch's F.normalize. Two outputs: `features` (the pooled
// backbone output, NxD) and `embedding` (NxoutDim, unit rows). The input `input` is float32
// N x 3 x H x W (NCHW, the ONNX and torch convention) with a dynamic batch. The embedder's own
// variants may take NHWC (a Transpose in front) and write convs over tiny maps as Gemms.
import type { ResNet, ResNetConvSpec } from '../moco/resnet';
import { IMAGENET_MEAN, IMAGENET_STD } from '../moco/data/augment';
import { foldBatchNorm } from './bn-fold';
import { convOutputSize, denseConvMatrix, denseConvPays } from './dense-conv';
import { type Dim, OnnxGraphBuilder } from '../onnx/onnx-graph';

/** Opset 17: ReduceL2 still takes `axes` as an attribute; onnxruntime 1.30 runs opsets up to 23. */
export const ONNX_OPSET = 17;
/** The IR version that goes with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;
/** F.normalize's eps: x / max(||x||, eps). */
const L2_EPS = 1e-12;

export type OnnxInputLayout = 'NCHW' | 'NHWC';

export interface OnnxExportOptions {
  /** Fixed input height and width; omitted: symbolic H and W (any size the network takes). */
  inputSize?: number;
  /** NCHW (default): the file for other tools. NHWC: a Transpose first, for the app's NHWC batches. */
  inputLayout?: OnnxInputLayout;
  /**
   * With a fixed inputSize: convs whose input map fits in their kernel (ResNet-18's layer4 at 64 px)
   * as Flatten-Gemm-Reshape over the whole map (dense-conv.ts). Same outputs, faster in onnxruntime;
   * off by default, so that the file shows plain Convs to other tools.
   */
  denseSmallMaps?: boolean;
}

/** A value of the graph with the side of its (square) feature map, null where it is symbolic. */
interface FeatureMap {
  name: string;
  size: number | null;
}

interface ConvContext {
  g: OnnxGraphBuilder;
  read: (name: string) => Promise<Float32Array>;
  denseSmallMaps: boolean;
}

/** A conv with its BatchNorm folded in: a Conv node, or a dense Gemm on a small map when that pays. */
async function addConvBn(ctx: ConvContext, c: ResNetConvSpec, x: FeatureMap): Promise<FeatureMap> {
  const folded = foldBatchNorm(await ctx.read(`${c.name}.weight`), [c.k, c.k, c.ci, c.co], {
    gamma: await ctx.read(`${c.bnName}.weight`),
    beta: await ctx.read(`${c.bnName}.bias`),
    runningMean: await ctx.read(`${c.bnName}.running_mean`),
    runningVar: await ctx.read(`${c.bnName}.running_var`),
  });
  const size = x.size === null ? null : convOutputSize(x.size, c.k, c.stride, c.pad);
  // Named after the conv with the BN folded in; these are not the state_dict's values.
  if (ctx.denseSmallMaps && x.size !== null && size !== null && denseConvPays(x.size, x.size, c.k)) {
    const { matrix } = denseConvMatrix(folded.weight, [c.co, c.ci, c.k], c.stride, c.pad, x.size, x.size);
    const cols = c.co * size * size;
    const flat = ctx.g.node('Flatten', `${c.name}.flatten`, [x.name], { axis: 1 }); // Nx(Ci*H*W)
    const w = ctx.g.initializer(`${c.name}.folded.dense_weight`, [c.ci * x.size * x.size, cols], matrix);
    const b = ctx.g.initializer(`${c.name}.folded.dense_bias`, [cols], repeatEach(folded.bias, size * size));
    const y = ctx.g.node('Gemm', c.name, [flat, w, b]); // Nx(Co*OH*OW)
    const shape = ctx.g.int64Initializer(`${c.name}.shape`, [0, c.co, size, size]); // 0: keep N
    return { name: ctx.g.node('Reshape', `${c.name}.reshape`, [y, shape]), size };
  }
  const w = ctx.g.initializer(`${c.name}.folded.weight`, [c.co, c.ci, c.k, c.k], folded.weight);
  const b = ctx.g.initializer(`${c.name}.folded.bias`, [c.co], folded.bias);
  const p = c.pad;
  return {
    name: ctx.g.node('Conv', c.name, [x.name, w, b], { kernel_shape: [c.k, c.k], strides: [c.stride, c.stride], pads: [p, p, p, p] }),
    size,
  };
}

/** The serialized ModelProto of `model` with its current weights and running statistics. */
export async function exportResNetOnnx(model: ResNet, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  const layout = opts.inputLayout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new Error(`exportResNetOnnx: expected inputLayout NCHW | NHWC, got ${String(layout)}`);
  if (opts.inputSize !== undefined && !(Number.isInteger(opts.inputSize) && opts.inputSize >= 1)) {
    throw new Error(`exportResNetOnnx: expected a positive integer inputSize, got ${opts.inputSize}`);
  }
  if (opts.denseSmallMaps && opts.inputSize === undefined)
    throw new Error('exportResNetOnnx: expected an inputSize with denseSmallMaps, got none');
  const d = model.describe();
  const read = async (name: string) => (await readTensor(model, name)).data;
  const g = new OnnxGraphBuilder();
  const hw: Dim[] = opts.inputSize ? [opts.inputSize, opts.inputSize] : ['H', 'W'];

  const convBn = (c: ResNetConvSpec, x: FeatureMap) => addConvBn({ g, read, denseSmallMaps: opts.denseSmallMaps ?? false }, c, x);
  const relu = (name: string, x: FeatureMap): FeatureMap => ({ name: g.node('Relu', name, [x.name]), size: x.size });

  const input =
    layout === 'NCHW'
      ? g.input('input', ['N', 3, ...hw])
      : g.node('Transpose', 'input.to_nchw', [g.input('input', ['N', ...hw, 3])], { perm: [0, 3, 1, 2] });
  let x = relu('relu', await convBn(d.stem.conv, { name: input, size: opts.inputSize ?? null }));
  // torch's MaxPool2d(3, 2, padding 1): ONNX pads MaxPool with -inf, as torch does.
  if (d.stem.maxPool) {
    x = {
      name: g.node('MaxPool', 'maxpool', [x.name], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      size: x.size === null ? null : convOutputSize(x.size, 3, 2, 1),
    };
  }

  for (const block of d.blocks) {
    let h = x;
    for (const [i, c] of block.convs.entries()) {
      h = await convBn(c, h);
      if (i < block.convs.length - 1) h = relu(`${block.prefix}.relu${i + 1}`, h);
    }
    const identity = block.downsample ? await convBn(block.downsample, x) : x;
    x = relu(`${block.prefix}.relu`, { name: g.node('Add', `${block.prefix}.add`, [h.name, identity.name]), size: h.size });
  }

  const pooled = g.node('GlobalAveragePool', 'avgpool', [x.name]); // NxDx1x1
  const features = g.node('Flatten', 'flatten', [pooled], { axis: 1 }, 'features'); // NxD
  let y = features;
  for (const [i, name] of d.head.linears.entries()) {
    if (i > 0) y = g.node('Relu', `${d.head.linears[i - 1]}.relu`, [y]);
    // torch's Linear: y = x W^T + b with W [out, in], as torch.onnx writes it (transB).
    const {
      data,
      shape: [inDim, outDim],
    } = await readTensor(model, `${name}.weight`); // [in, out]
    const w = g.initializer(`${name}.weight`, [outDim, inDim], transpose2d(data, inDim, outDim));
    const b = g.initializer(`${name}.bias`, [outDim], await read(`${name}.bias`));
    y = g.node('Gemm', name, [y, w, b], { transB: 1 });
  }
  const norm = g.node('ReduceL2', 'l2norm.norm', [y], { axes: [1], keepdims: 1 }); // Nx1
  const eps = g.initializer('l2norm.eps', [], Float32Array.of(L2_EPS));
  g.node('Div', 'l2norm', [y, g.node('Max', 'l2norm.clamp', [norm, eps])], {}, 'embedding'); // NxoutDim

  g.output('features', ['N', d.featureDim]);
  g.output('embedding', ['N', d.outDim]);

  const o = model.options;
  return g.encode({
    graphName: `${o.arch}-${o.stem}`,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    docString:
      `MoCo encoder ${o.arch} (${o.stem} stem, width x${o.widthMultiplier}, ${o.mlpHead ? 'MLP' : 'linear'} head) in eval mode, ` +
      `BatchNorm folded into the convolutions. input: float32 ${layout}, RGB in [0,1] normalised with the ImageNet mean and std. ` +
      `outputs: features (pooled backbone, Nx${d.featureDim}), embedding (L2-normalised head output, Nx${d.outDim}).`,
    props: {
      arch: o.arch,
      stem: o.stem,
      width_multiplier: String(o.widthMultiplier),
      mlp_head: String(o.mlpHead),
      input_layout: layout,
      input_mean: IMAGENET_MEAN.join(','),
      input_std: IMAGENET_STD.join(','),
    },
  });
}

/** A parameter or buffer by torch name, in the model's layout, from whatever backend holds it. */
async function readTensor(model: ResNet, name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const v = model.params.get(name) ?? model.buffers.get(name);
  if (!v) throw new Error(`exportResNetOnnx: expected a parameter or buffer named ${name}, got none`);
  const data = await v.data();
  if (!(data instanceof Float32Array)) throw new Error(`exportResNetOnnx: expected float32 ${name}, got ${v.dtype}`);
  return { data, shape: v.shape };
}

/** [rows, cols] row-major -> [cols, rows]. */
function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** Each value of a repeated `times` times in a row: a per-channel bias over a flattened map. */
function repeatEach(a: Float32Array, times: number): Float32Array {
  const out = new Float32Array(a.length * times);
  for (let i = 0; i < a.length; i++) out.fill(a[i], i * times, (i + 1) * times);
  return out;
}

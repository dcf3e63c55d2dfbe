// ResNet-18/34/50 with torchvision's topology and state_dict names (v1.5: the Bottleneck's
// stride sits on its 3x3 conv), a small-image stem, a width multiplier and MoCo's output head.
// Every convolution goes through the engine's conv2d; padding is explicit where torch pads
// asymmetrically from TF's 'same' (stride 2), so outputs match torch pixel for pixel.
import * as tf from '@tensorflow/tfjs';
import { InvariantError } from '../../api/errors';
import type { Arch, Stem } from '../../api/train-contract';
import { ARCHS, STEMS } from '../../api/training-config';
import { conv2d } from '../engine/conv';
import { maxPool } from '../engine/maxpool-kernel';
import { addBatchNorm, batchNorm, type BatchNormMode, type BatchNormTail } from './batchnorm';
import { l2Normalize } from './l2norm';
import { convWeight, linearParams, ParamStore } from './params';
import type { Rng } from './rng';

/** The architectures, as training-config lists them. */
export const RESNET_ARCHS = ARCHS;
export type ResNetArch = Arch;
/** 'imagenet': 7x7 stride 2 conv + 3x3 stride 2 max-pool; 'small': 3x3 stride 1 conv, no pool (inputs up to 64 px). */
export type ResNetStem = Stem;

export interface ResNetOptions {
  arch: ResNetArch;
  stem: ResNetStem;
  /** Base width 64·m (stage widths 64m, 128m, 256m, 512m). */
  widthMultiplier: number;
  /** Size of the output embedding (MoCo: 128). */
  outDim: number;
  /** MoCo v2 head: fc.0 Linear(d,d), ReLU, fc.2 Linear(d,outDim). */
  mlpHead: boolean;
}

export const DEFAULT_RESNET_OPTIONS: Omit<ResNetOptions, 'arch'> = {
  stem: 'imagenet',
  widthMultiplier: 1,
  outDim: 128,
  mlpHead: false,
};

export interface ForwardOptions {
  training: boolean;
  /** Split BN groups in training (1 = ordinary BN). */
  bnGroups?: number;
}

// A type alias (not an interface) so that tf.dispose and tf.tidy accept it as a TensorContainer.
export type ForwardResult = {
  /** Globally average-pooled backbone output, NxD. */
  features: tf.Tensor2D;
  /** Head output, L2-normalised, NxoutDim. */
  embedding: tf.Tensor2D;
};

type BlockKind = 'basic' | 'bottleneck';

const ARCH_SPECS: Record<ResNetArch, { kind: BlockKind; blocks: [number, number, number, number] }> = {
  resnet18: { kind: 'basic', blocks: [2, 2, 2, 2] },
  resnet34: { kind: 'basic', blocks: [3, 4, 6, 3] },
  resnet50: { kind: 'bottleneck', blocks: [3, 4, 6, 3] },
};

/** One residual block as built: its name prefix and the convs in forward order. */
interface BlockSpec {
  prefix: string; // e.g. layer2.0
  convs: ConvSpec[]; // conv1, conv2 (, conv3); each followed by bnN
  downsample: ConvSpec | null; // downsample.0 + downsample.1
}

interface ConvSpec {
  name: string; // parameter prefix of the conv; its BN is `bnName`
  bnName: string;
  k: number;
  stride: number;
  pad: number;
  ci: number;
  co: number;
}

/** A conv as built: `name` is its parameter prefix, `bnName` the BatchNorm after it; torch's symmetric `pad`. */
export type ResNetConvSpec = Readonly<ConvSpec>;

/**
 * ResNet.describe(): stem conv (+ReLU, + 3x3/2 max-pool when `maxPool`), then each block's convs in
 * forward order (ReLU between, none after the last), its downsample (or identity), Add, ReLU;
 * global average pool -> features; the head's linears with ReLU between -> L2-normalised embedding.
 */
export interface ResNetDescription {
  readonly stem: { readonly conv: ResNetConvSpec; readonly maxPool: boolean };
  readonly blocks: readonly {
    readonly prefix: string;
    readonly convs: readonly ResNetConvSpec[];
    readonly downsample: ResNetConvSpec | null;
  }[];
  readonly head: { readonly linears: readonly string[] };
  readonly featureDim: number;
  readonly outDim: number;
}

export class ResNet {
  readonly options: ResNetOptions;
  /** Channels of the pooled backbone output (512m for 18/34, 2048m for 50). */
  readonly featureDim: number;
  private readonly store = new ParamStore();
  private readonly stemConv: ConvSpec;
  private readonly blocks: BlockSpec[];

  /** rng null: all weights start at zero, for a model whose weights are copied or imported next. */
  constructor(options: Partial<ResNetOptions> & { arch: ResNetArch }, rng: Rng | null) {
    this.options = { ...DEFAULT_RESNET_OPTIONS, ...options };
    validateOptions(this.options);
    const { arch, stem, widthMultiplier, outDim, mlpHead } = this.options;
    const spec = ARCH_SPECS[arch];
    const expansion = spec.kind === 'bottleneck' ? 4 : 1;
    const width = (base: number) => Math.max(1, Math.round(base * widthMultiplier));

    // Build the topology first, then create parameters in torch's registration order.
    const inplanes0 = width(64);
    this.stemConv =
      stem === 'imagenet'
        ? { name: 'conv1', bnName: 'bn1', k: 7, stride: 2, pad: 3, ci: 3, co: inplanes0 }
        : { name: 'conv1', bnName: 'bn1', k: 3, stride: 1, pad: 1, ci: 3, co: inplanes0 };
    this.blocks = [];
    let inplanes = inplanes0;
    spec.blocks.forEach((count, stage) => {
      const planes = width(64 * 2 ** stage);
      for (let b = 0; b < count; b++) {
        const stride = stage > 0 && b === 0 ? 2 : 1;
        const prefix = `layer${stage + 1}.${b}`;
        const out = planes * expansion;
        const conv = (i: number, k: number, s: number, ci: number, co: number): ConvSpec => ({
          name: `${prefix}.conv${i}`,
          bnName: `${prefix}.bn${i}`,
          k,
          stride: s,
          pad: (k - 1) / 2,
          ci,
          co,
        });
        const convs =
          spec.kind === 'basic'
            ? [conv(1, 3, stride, inplanes, planes), conv(2, 3, 1, planes, planes)]
            : [conv(1, 1, 1, inplanes, planes), conv(2, 3, stride, planes, planes), conv(3, 1, 1, planes, out)];
        const downsample =
          stride !== 1 || inplanes !== out
            ? { name: `${prefix}.downsample.0`, bnName: `${prefix}.downsample.1`, k: 1, stride, pad: 0, ci: inplanes, co: out }
            : null;
        this.blocks.push({ prefix, convs, downsample });
        inplanes = out;
      }
    });
    this.featureDim = inplanes;

    this.addConvBn(rng, this.stemConv);
    for (const block of this.blocks) {
      for (const c of block.convs) this.addConvBn(rng, c);
      if (block.downsample) this.addConvBn(rng, block.downsample);
    }
    const d = this.featureDim;
    if (mlpHead) {
      this.addLinear(rng, 'fc.0', d, d);
      this.addLinear(rng, 'fc.2', d, outDim);
    } else {
      this.addLinear(rng, 'fc', d, outDim);
    }
  }

  /** Trainable parameters by torch name (conv weights [KH,KW,Ci,Co], linear [in,out]; see params.ts). */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.store.params;
  }

  /** BN running statistics by torch name; never trained, updated by training-mode forwards. */
  get buffers(): ReadonlyMap<string, tf.Variable> {
    return this.store.buffers;
  }

  /** The topology as built, read-only, for writers of other formats (the ONNX export). */
  describe(): ResNetDescription {
    const copy = (c: ConvSpec): ResNetConvSpec => ({ ...c });
    return {
      stem: { conv: copy(this.stemConv), maxPool: this.options.stem === 'imagenet' },
      blocks: this.blocks.map((b) => ({ prefix: b.prefix, convs: b.convs.map(copy), downsample: b.downsample && copy(b.downsample) })),
      head: { linears: this.options.mlpHead ? ['fc.0', 'fc.2'] : ['fc'] },
      featureDim: this.featureDim,
      outDim: this.options.outDim,
    };
  }

  trainableVariables(): tf.Variable[] {
    return [...this.store.params.values()];
  }

  /** x: NxHxWx3 (float, normalised) -> features NxD and embedding NxoutDim. */
  forward(x: tf.Tensor4D, opts: ForwardOptions): ForwardResult {
    if (x.rank !== 4 || x.shape[3] !== 3) {
      throw new InvariantError(`ResNet.forward: expected an NxHxWx3 batch, got shape [${x.shape.join(', ')}]`);
    }
    const mode: BatchNormMode = { training: opts.training, bnGroups: opts.bnGroups ?? 1 };
    return tf.tidy(() => {
      let h = this.convBn(x, this.stemConv, mode, { relu: true });
      if (this.options.stem === 'imagenet') h = maxPool3x3s2p1(h);
      // A tidy per block frees what the block made and no gradient needs before the next one runs.
      for (const block of this.blocks) {
        const input = h;
        h = tf.tidy(() => this.block(input, block, mode));
      }
      const features = tf.mean(h, [1, 2]) as tf.Tensor2D; // NxD
      const embedding = l2Normalize(this.head(features)); // NxoutDim
      return { features, embedding };
    });
  }

  dispose(): void {
    this.store.dispose();
  }

  private block(x: tf.Tensor4D, block: BlockSpec, mode: BatchNormMode): tf.Tensor4D {
    // The identity path first: the last BN adds it and applies the block's ReLU in one kernel.
    const identity = block.downsample ? this.convBn(x, block.downsample, mode) : x;
    let h = x;
    block.convs.forEach((c, i) => {
      const last = i === block.convs.length - 1;
      h = this.convBn(h, c, mode, last ? { residual: identity, relu: true } : { relu: true });
    });
    return h;
  }

  private convBn(x: tf.Tensor4D, c: ConvSpec, mode: BatchNormMode, tail: BatchNormTail = {}): tf.Tensor4D {
    const w = this.store.param(`${c.name}.weight`) as tf.Variable<tf.Rank.R4>;
    return batchNorm(this.store, c.bnName, torchConv(x, w, c.stride, c.pad), mode, tail);
  }

  private head(features: tf.Tensor2D): tf.Tensor2D {
    if (!this.options.mlpHead) return this.linear('fc', features);
    return this.linear('fc.2', tf.relu(this.linear('fc.0', features)));
  }

  private linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.store.param(`${name}.weight`)), this.store.param(`${name}.bias`));
  }

  private addConvBn(rng: Rng | null, c: ConvSpec): void {
    const w = rng ? convWeight(rng, c.k, c.k, c.ci, c.co) : tf.zeros([c.k, c.k, c.ci, c.co]);
    this.store.addParam(`${c.name}.weight`, w);
    addBatchNorm(this.store, c.bnName, c.co);
  }

  private addLinear(rng: Rng | null, name: string, inDim: number, outDim: number): void {
    const { weight, bias } = rng ? linearParams(rng, inDim, outDim) : { weight: tf.zeros([inDim, outDim]), bias: tf.zeros([outDim]) };
    this.store.addParam(`${name}.weight`, weight);
    this.store.addParam(`${name}.bias`, bias);
  }
}

/** A convolution with torch's symmetric zero padding. */
export function torchConv(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const k = w.shape[0];
  if (pad === 0) return conv2d(x, w, stride, 'valid');
  // With stride 1 and pad (k-1)/2, TF's 'same' pads exactly like torch.
  if (stride === 1 && 2 * pad === k - 1) return conv2d(x, w, 1, 'same');
  // A numeric padding pads both sides inside the conv, so its gradient skips the pad's border.
  return conv2d(x, w, stride, pad);
}

/** torch's MaxPool2d(3, stride 2, padding 1). Its input follows a ReLU (>= 0), so zero padding equals torch's -inf. */
function maxPool3x3s2p1(x: tf.Tensor4D): tf.Tensor4D {
  return maxPool(
    tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]),
    3,
    2,
  );
}

function validateOptions(o: ResNetOptions): void {
  if (!RESNET_ARCHS.includes(o.arch)) {
    throw new InvariantError(`ResNet: expected arch ${RESNET_ARCHS.join(' | ')}, got ${String(o.arch)}`);
  }
  if (!STEMS.includes(o.stem)) {
    throw new InvariantError(`ResNet: expected stem ${STEMS.join(' | ')}, got ${String(o.stem)}`);
  }
  if (!(Number.isFinite(o.widthMultiplier) && o.widthMultiplier > 0 && o.widthMultiplier <= 8)) {
    throw new InvariantError(`ResNet: expected widthMultiplier in (0, 8], got ${o.widthMultiplier}`);
  }
  if (!(Number.isInteger(o.outDim) && o.outDim >= 1)) {
    throw new InvariantError(`ResNet: expected a positive integer outDim, got ${o.outDim}`);
  }
}

// How much device memory a MoCo training step needs, from the ResNet's topology, so that a
// configuration a GPU cannot hold fails before training with numbers and a smaller setting,
// instead of mid-run (WebGPU reports an allocation it cannot make as an error event while the
// computation goes on with garbage).
import type { TrainConfig } from '../../../api/contract';
import { ResNet } from '../resnet';

export interface MemoryPlan {
  /** bytes of everything a step holds at its peak */
  totalBytes: number;
  /** the largest single tensor, bytes (a GPU buffer has a size limit of its own) */
  largestBytes: number;
  parts: { weights: number; activations: number; dictionary: number };
}

const F32 = 4;
/** Tensors a training-mode conv+BN+ReLU keeps for the backward pass, per output element: its input, the BN input and the ReLU output. */
const SAVED_PER_OUTPUT = 3;
/** Headroom for transient buffers of the backward pass and the augmentation. */
const TRANSIENT = 1.25;

/** Output elements of every conv of one image, and the largest conv output and input, from the topology. */
function convFootprint(net: ResNet, size: number): { elements: number; largest: number } {
  const d = net.describe();
  let side = size;
  let elements = 0;
  let largest = 0;
  const conv = (c: { k: number; stride: number; pad: number; ci: number; co: number }, inSide: number): number => {
    const out = Math.floor((inSide + 2 * c.pad - c.k) / c.stride) + 1;
    elements += out * out * c.co;
    // A conv's output, and one kernel tap's share of its input in the WebGPU filter gradient.
    largest = Math.max(largest, out * out * c.co, out * out * c.ci, inSide * inSide * c.ci);
    return out;
  };
  side = conv(d.stem.conv, side);
  if (d.stem.maxPool) side = Math.floor((side + 2 - 3) / 2) + 1;
  for (const b of d.blocks) {
    const inSide = side;
    for (const c of b.convs) side = conv(c, side);
    if (b.downsample) conv(b.downsample, inSide);
  }
  return { elements, largest };
}

export function planTrainingMemory(config: TrainConfig): MemoryPlan {
  const net = new ResNet(
    { arch: config.arch, stem: config.stem, widthMultiplier: config.widthMultiplier, outDim: config.dim, mlpHead: config.mlpHead },
    null,
  );
  try {
    const params = net.trainableVariables().reduce((n, v) => n + v.size, 0);
    const { elements, largest } = convFootprint(net, config.inputSize);
    const n = config.batchSize;
    // Query encoder, its gradients and SGD momentum; a key encoder too unless end-to-end.
    const weights = params * (config.dictionary === 'end-to-end' ? 3 : 4) * F32;
    // Forwards on the tape: the query view, both views when symmetric or end-to-end.
    const taped = config.symmetric || config.dictionary === 'end-to-end' ? 2 : 1;
    const activations = n * elements * (SAVED_PER_OUTPUT * taped + 1) * F32 * TRANSIENT;
    const K = config.dictionary === 'end-to-end' ? n : config.K;
    const logits = n * (K + 1) * F32 * 3; // logits, softmax and their gradient
    const dictionary = K * config.dim * F32 + logits;
    return {
      totalBytes: Math.ceil(weights + activations + dictionary),
      largestBytes: Math.max(n * largest * F32, K * config.dim * F32, n * (K + 1) * F32),
      parts: { weights, activations: Math.ceil(activations), dictionary },
    };
  } finally {
    net.dispose();
  }
}

/** What the device can hold: a per-buffer limit, and whether `bytes` can be allocated now. */
export interface DeviceMemory {
  name: string;
  maxBufferBytes: number;
  canAllocate(bytes: number): Promise<boolean>;
}

/** Refuses a configuration the device cannot hold, naming what it needs, what the device offers, and a smaller batch. */
export async function checkFitsDevice(config: TrainConfig, device: DeviceMemory): Promise<MemoryPlan> {
  const plan = planTrainingMemory(config);
  const tooLarge = plan.largestBytes > device.maxBufferBytes;
  if (!tooLarge && (await device.canAllocate(plan.totalBytes))) return plan;
  const fits = async (c: TrainConfig) => {
    const p = planTrainingMemory(c);
    return p.largestBytes <= device.maxBufferBytes && (await device.canAllocate(p.totalBytes));
  };
  let smaller: TrainConfig | null = null;
  for (let batch = config.batchSize >> 1; batch >= 8 && !smaller; batch >>= 1) {
    const c = { ...config, batchSize: batch, K: config.dictionary === 'queue' ? Math.max(batch, config.K - (config.K % batch)) : config.K };
    if (await fits(c)) smaller = c;
  }
  const need = tooLarge
    ? `one tensor of ${mib(plan.largestBytes)} where ${device.name} allows at most ${mib(device.maxBufferBytes)} per buffer`
    : `about ${mib(plan.totalBytes)} of GPU memory (weights ${mib(plan.parts.weights)}, activations ${mib(plan.parts.activations)}, dictionary ${mib(plan.parts.dictionary)}), which ${device.name} could not allocate`;
  const advice = smaller
    ? `try batch size ${smaller.batchSize} (about ${mib(planTrainingMemory(smaller).totalBytes)}) or a smaller input size`
    : 'try a smaller input size, a narrower network or a smaller K';
  throw new Error(`training: this configuration needs ${need}; ${advice}`);
}

function mib(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

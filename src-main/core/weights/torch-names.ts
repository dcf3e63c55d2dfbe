// The app's ResNet as a torchvision state_dict and back. The names are already torchvision's
// (resnet.ts registers them so); what changes is the layout (conv HWIO -> OIHW, linear
// [in, out] -> [out, in], see params.ts) and num_batches_tracked, which torch keeps as int64.
//
// What loads where:
// - width multiplier 1, ImageNet stem, linear head `fc` of outDim:
//     torchvision.models.resnetXX(num_classes=outDim).load_state_dict(sd, strict=True)
// - small stem: the same after model.conv1 = Conv2d(3, 64, 3, stride 1, padding 1, bias=False)
//   and model.maxpool = Identity()
// - MoCo v2 head (fc.0, fc.2): the same after model.fc = Sequential(Linear(d, d), ReLU(), Linear(d, outDim))
// - backbone only, into a stock 1000-class torchvision ResNet: drop the `fc.*` keys and
//   load_state_dict(..., strict=False); strict=False skips missing keys but still refuses a
//   shape mismatch, which is why the head keys must go rather than be left in.
// - width multiplier != 1: torchvision's ResNet has fixed stage widths 64/128/256/512 and cannot
//   hold the weights at all.
// torchvisionRecipe() writes these steps as Python for one model.
import * as tf from '@tensorflow/tfjs';
import { IMAGENET_MEAN, IMAGENET_STD } from '../moco/data/augment';
import { toTorchLayout } from '../moco/params';
import type { ResNet, ResNetOptions } from '../moco/resnet';
import { safeTensor, type SafeTensor } from './safetensors';

/** torchvision's stage widths at multiplier 1. */
export const TORCHVISION_WIDTHS = [64, 128, 256, 512] as const;

/** The state_dict names of `model` in torch's order (module registration order, buffers after parameters of each BN). */
export function torchNames(model: ResNet): string[] {
  const d = model.describe();
  const names: string[] = [];
  const convBn = (c: { name: string; bnName: string }) => {
    names.push(`${c.name}.weight`);
    for (const k of ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']) names.push(`${c.bnName}.${k}`);
  };
  convBn(d.stem.conv);
  for (const b of d.blocks) {
    b.convs.forEach(convBn);
    if (b.downsample) convBn(b.downsample);
  }
  for (const l of d.head.linears) names.push(`${l}.weight`, `${l}.bias`);
  return names;
}

/**
 * Every parameter and buffer of `model` in torch's layout and dtypes (float32; num_batches_tracked
 * int64), keyed by torchvision name, in torch's order.
 */
export async function toTorchStateDict(model: ResNet): Promise<Map<string, SafeTensor>> {
  const names = torchNames(model);
  const expectedCount = model.params.size + model.buffers.size;
  if (names.length !== expectedCount) {
    throw new Error(`toTorchStateDict: expected ${expectedCount} named tensors, got ${names.length} from the topology`);
  }
  const out = new Map<string, SafeTensor>();
  for (const name of names) {
    const v = model.params.get(name) ?? model.buffers.get(name);
    if (!v) throw new Error(`toTorchStateDict: expected a parameter or buffer named ${name}, got none`);
    if (name.endsWith('.num_batches_tracked')) {
      const [count] = await v.data();
      out.set(name, safeTensor('I64', [], BigInt64Array.of(BigInt(count))));
      continue;
    }
    const t = tf.tidy(() => toTorchLayout(v));
    try {
      const data = await t.data();
      if (!(data instanceof Float32Array)) throw new Error(`toTorchStateDict: expected float32 ${name}, got ${v.dtype}`);
      out.set(name, safeTensor('F32', t.shape, data));
    } finally {
      t.dispose();
    }
  }
  return out;
}

export interface TorchvisionRecipe {
  /** false when stock torchvision cannot hold the weights (width multiplier != 1). */
  loadable: boolean;
  /** Why not, when not loadable. */
  reason: string | null;
  /** The torchvision constructor the full encoder loads into, e.g. `torchvision.models.resnet18(num_classes=128)`. */
  constructor: string;
  /** Changes to the constructed model before loading (small stem, MLP head), in words. */
  changes: string[];
  /** Keys of the MoCo head: `fc.weight`, `fc.bias` or `fc.0.*`, `fc.2.*`. */
  headKeys: string[];
  /** The full encoder (strict=True), and the embedding function; null when not loadable. */
  python: string | null;
  /** The backbone alone into a stock 1000-class torchvision ResNet (strict=False without `fc.*`); null when not loadable. */
  backbonePython: string | null;
}

/** How to load an exported state_dict of a model with `options` in Python, for `fileName` (a .safetensors). */
export function torchvisionRecipe(options: ResNetOptions, featureDim: number, fileName: string): TorchvisionRecipe {
  const { arch, stem, widthMultiplier, outDim, mlpHead } = options;
  const headKeys = mlpHead ? ['fc.0.weight', 'fc.0.bias', 'fc.2.weight', 'fc.2.bias'] : ['fc.weight', 'fc.bias'];
  const constructor = `torchvision.models.${arch}(num_classes=${outDim})`;
  const changes: string[] = [];
  const patch: string[] = [];
  if (stem === 'small') {
    changes.push('small stem: conv1 = Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False); maxpool = Identity()');
    patch.push(
      '# small stem: a 3x3 stride-1 first conv and no max-pool',
      'MODEL.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)',
      'MODEL.maxpool = torch.nn.Identity()',
    );
  }
  const headPatch: string[] = [];
  if (mlpHead) {
    changes.push(`MoCo v2 head: fc = Sequential(Linear(${featureDim}, ${featureDim}), ReLU(), Linear(${featureDim}, ${outDim}))`);
    headPatch.push(
      `# MoCo v2 head: fc.0 Linear(${featureDim}, ${featureDim}), ReLU, fc.2 Linear(${featureDim}, ${outDim})`,
      `model.fc = torch.nn.Sequential(torch.nn.Linear(${featureDim}, ${featureDim}), torch.nn.ReLU(), torch.nn.Linear(${featureDim}, ${outDim}))`,
    );
  }
  if (widthMultiplier !== 1) {
    const widths = TORCHVISION_WIDTHS.map((w) => Math.max(1, Math.round(w * widthMultiplier)));
    return {
      loadable: false,
      reason:
        `width multiplier ${widthMultiplier}: stage widths [${widths.join(', ')}] differ from torchvision's fixed [${TORCHVISION_WIDTHS.join(', ')}], ` +
        `so stock torchvision.models.${arch} cannot hold these weights; use the ONNX or TF.js export, or a ResNet built with these widths`,
      constructor,
      changes,
      headKeys,
      python: null,
      backbonePython: null,
    };
  }
  const file = JSON.stringify(fileName);
  const fmt = (v: readonly number[]) => `(${v.join(', ')})`;
  const python = [
    'import torch, torchvision',
    'from safetensors.torch import load_file  # pip install safetensors',
    '',
    `state_dict = load_file(${file})`,
    `model = ${constructor}`,
    ...patch.map((l) => l.replace('MODEL', 'model')),
    ...headPatch,
    'model.load_state_dict(state_dict, strict=True)',
    'model.eval()',
    '',
    `# x: N x 3 x H x W float32, RGB in [0, 1] normalised with mean ${fmt(IMAGENET_MEAN)} and std ${fmt(IMAGENET_STD)}`,
    'def embed(x):',
    '    with torch.no_grad():',
    `        return torch.nn.functional.normalize(model(x), dim=1)  # N x ${outDim}, unit rows`,
    '',
  ].join('\n');
  const backbonePython = [
    'import torch, torchvision',
    'from safetensors.torch import load_file  # pip install safetensors',
    '',
    `state_dict = load_file(${file})`,
    `backbone = torchvision.models.${arch}()  # stock, with its 1000-class fc left as initialised`,
    ...patch.map((l) => l.replace('MODEL', 'backbone')),
    '# strict=False skips the missing fc but refuses shape mismatches: drop the MoCo head keys first',
    'result = backbone.load_state_dict({k: v for k, v in state_dict.items() if not k.startswith("fc.")}, strict=False)',
    'assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"] and not result.unexpected_keys, result',
    `backbone.fc = torch.nn.Identity()  # backbone(x): pooled features, N x ${featureDim}`,
    'backbone.eval()',
    '',
  ].join('\n');
  return { loadable: true, reason: null, constructor, changes, headKeys, python, backbonePython };
}

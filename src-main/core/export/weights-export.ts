// What leaves the app: the encoder as safetensors with torchvision names plus a JSON config that
// says how to use it, the encoder as a TF.js LayersModel, and embeddings as .npy with a CSV of
// which image each row is.
import type { TrainConfig } from '../../api/contract';
import { InvalidInputError } from '../../api/errors';
import { IMAGENET_MEAN, IMAGENET_STD } from '../moco/data/augment';
import type { ResNet, ResNetOptions } from '../moco/resnet';
import { toCsv } from './csv';
import { writeNpyFloat32 } from './npy';
import { writeSafetensors } from '../weights/safetensors';
import { buildLayersModel, type ExportedFile, saveLayersModel } from './tfjs-layers';
import { TORCHVISION_WIDTHS, toTorchStateDict, torchvisionRecipe, type TorchvisionRecipe } from '../weights/torch-names';

export type { ExportedFile } from './tfjs-layers';

export const ENCODER_CONFIG_FORMAT = 'moco-studio-encoder';
export const ENCODER_CONFIG_VERSION = 1;
/** The weights file the config's Python snippets name. */
export const SAFETENSORS_FILE = 'encoder.safetensors';

/** What the exported config says beyond the model: the input size it was trained at and, optionally, the run. */
export type EncoderExportConfig = Pick<TrainConfig, 'inputSize'> & Partial<TrainConfig>;
export interface EncoderSource {
  runId?: number;
  step?: number;
}

/** The JSON written next to the weights (config.json). */
export interface EncoderConfigJson {
  format: typeof ENCODER_CONFIG_FORMAT;
  formatVersion: number;
  weights: string;
  architecture: ResNetOptions['arch'];
  stem: ResNetOptions['stem'];
  widthMultiplier: number;
  /** planes of layer1..layer4: 64m, 128m, 256m, 512m (a bottleneck block outputs 4x planes). */
  stageWidths: number[];
  featureDim: number;
  outputDim: number;
  head: { kind: 'linear' | 'mlp'; keys: string[]; description: string };
  input: {
    size: number;
    layout: 'NCHW';
    channels: 'RGB';
    range: '[0, 1]';
    normalization: { mean: number[]; std: number[] };
  };
  embedding: string;
  torchvision: TorchvisionRecipe;
  training: Omit<Partial<TrainConfig>, 'folderIds'> | null;
  source: EncoderSource | null;
}

/** The encoder's weights with torchvision names and layout, and the config that goes with them. */
export async function exportSafetensors(
  model: ResNet,
  config: EncoderExportConfig,
  source: EncoderSource = {},
): Promise<{ safetensors: Buffer; configJson: EncoderConfigJson }> {
  const o = model.options;
  checkConfigMatches(o, config);
  if (!(Number.isInteger(config.inputSize) && config.inputSize >= 1)) {
    throw new InvalidInputError(`exportSafetensors: expected a positive integer inputSize, got ${config.inputSize}`);
  }
  const recipe = torchvisionRecipe(o, model.featureDim, SAFETENSORS_FILE);
  const { folderIds: _f, ...training } = config;
  const configJson: EncoderConfigJson = {
    format: ENCODER_CONFIG_FORMAT,
    formatVersion: ENCODER_CONFIG_VERSION,
    weights: SAFETENSORS_FILE,
    architecture: o.arch,
    stem: o.stem,
    widthMultiplier: o.widthMultiplier,
    stageWidths: TORCHVISION_WIDTHS.map((w) => Math.max(1, Math.round(w * o.widthMultiplier))),
    featureDim: model.featureDim,
    outputDim: o.outDim,
    head: {
      kind: o.mlpHead ? 'mlp' : 'linear',
      keys: recipe.headKeys,
      description: o.mlpHead
        ? `MoCo v2 MLP: fc.0 Linear(${model.featureDim}, ${model.featureDim}), ReLU, fc.2 Linear(${model.featureDim}, ${o.outDim})`
        : `MoCo v1: fc Linear(${model.featureDim}, ${o.outDim})`,
    },
    input: {
      size: config.inputSize,
      layout: 'NCHW',
      channels: 'RGB',
      range: '[0, 1]',
      normalization: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] },
    },
    embedding:
      'F.normalize(model(x), dim=1): the head output, L2-normalised; features are the pooled backbone output (model.fc = Identity)',
    torchvision: recipe,
    training: Object.keys(training).some((k) => k !== 'inputSize') ? training : null,
    source: source.runId !== undefined || source.step !== undefined ? source : null,
  };
  const metadata: Record<string, string> = {
    format: 'pt', // the convention of safetensors files holding torch state_dicts
    producer: 'moco-studio',
    architecture: o.arch,
    stem: o.stem,
    width_multiplier: String(o.widthMultiplier),
    head: configJson.head.kind,
    output_dim: String(o.outDim),
    input_size: String(config.inputSize),
    torchvision_loadable: String(recipe.loadable),
  };
  return { safetensors: writeSafetensors(await toTorchStateDict(model), metadata), configJson };
}

/** README.md for an export folder: what the files are and how to load them (the config's snippets). */
export function encoderReadme(c: EncoderConfigJson): string {
  const tv = c.torchvision;
  const n = c.input.normalization;
  const lines = [
    `# MoCo encoder: ${c.architecture}, ${c.stem} stem, width x${c.widthMultiplier}`,
    '',
    `- \`${c.weights}\`: the encoder's state_dict with torchvision's names and layouts (float32; \`*.num_batches_tracked\` int64).`,
    '- `config.json`: the architecture, input and head, and the Python below.',
    '',
    `Input: N x 3 x ${c.input.size} x ${c.input.size} float32, RGB in [0, 1], normalised with mean (${n.mean.join(', ')}) and std (${n.std.join(', ')}).`,
    `Output: ${c.embedding}. Features: ${c.featureDim}-d; embedding: ${c.outputDim}-d.`,
    `Head (${c.head.keys.join(', ')}): ${c.head.description}.`,
    '',
  ];
  if (!tv.loadable || !tv.python || !tv.backbonePython) {
    lines.push('## PyTorch', '', `These weights do not load into stock torchvision: ${tv.reason}.`, '');
    return lines.join('\n');
  }
  lines.push(
    '## PyTorch: the whole encoder',
    '',
    `\`${tv.constructor}\`${tv.changes.length ? `, changed: ${tv.changes.join('; ')}` : ''}, then \`load_state_dict(..., strict=True)\`:`,
    '',
    '```python',
    tv.python.trimEnd(),
    '```',
    '',
    '## PyTorch: the backbone alone, into a stock torchvision ResNet',
    '',
    "Stock torchvision has a 1000-class `fc`; `strict=False` skips missing keys but still refuses a shape mismatch, so the MoCo head's keys are dropped first:",
    '',
    '```python',
    tv.backbonePython.trimEnd(),
    '```',
    '',
  );
  return lines.join('\n');
}

/** The encoder as a TF.js LayersModel (model.json + weight shards) for inputs of inputSize x inputSize. */
export async function exportTfjs(model: ResNet, inputSize: number): Promise<ExportedFile[]> {
  const lm = buildLayersModel(model, inputSize);
  try {
    const o = model.options;
    return await saveLayersModel(lm, {
      producer: 'moco-studio',
      architecture: o.arch,
      stem: o.stem,
      widthMultiplier: o.widthMultiplier,
      head: o.mlpHead ? 'mlp' : 'linear',
      input: {
        shape: [null, inputSize, inputSize, 3],
        layout: 'NHWC',
        channels: 'RGB',
        range: '[0, 1]',
        normalization: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] },
      },
      outputs: { features: `N x ${model.featureDim}, pooled backbone`, embedding: `N x ${o.outDim}, L2-normalised head output` },
    });
  } finally {
    lm.dispose();
  }
}

/** Embeddings N x D (row-major float32) as a .npy file. */
export function exportEmbeddingsNpy(vectors: Float32Array, n: number, dim: number): Buffer {
  return writeNpyFloat32(vectors, [n, dim]);
}

export interface EmbeddingRowInfo {
  imageId: number;
  path: string;
}

/** One CSV record per .npy row, in row order: row, image_id, path. */
export function exportEmbeddingIdsCsv(rows: readonly EmbeddingRowInfo[]): string {
  return toCsv(
    ['row', 'image_id', 'path'],
    rows.map((r, i) => [i, r.imageId, r.path]),
  );
}

/** A run's config given with the model must describe that model. */
function checkConfigMatches(o: ResNetOptions, c: EncoderExportConfig): void {
  const pairs: [string, unknown, unknown][] = [
    ['arch', c.arch, o.arch],
    ['stem', c.stem, o.stem],
    ['widthMultiplier', c.widthMultiplier, o.widthMultiplier],
    ['dim', c.dim, o.outDim],
    ['mlpHead', c.mlpHead, o.mlpHead],
  ];
  for (const [k, given, actual] of pairs) {
    if (given !== undefined && given !== actual)
      throw new InvalidInputError(`exportSafetensors: expected config.${k} ${String(actual)} (the model's), got ${String(given)}`);
  }
}

// The mapping of a torch-named state_dict (torch-file.ts reads one) onto the app's ResNet: it
// detects the architecture, stem, width and head from the names and shapes and lists every
// unknown, missing and shape-mismatched key.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';
import { fromTorchLayout, torchShape } from '../moco/params';
import { DEFAULT_RESNET_OPTIONS, RESNET_ARCHS, ResNet, type ResNetArch, type ResNetOptions } from '../moco/resnet';
import type { TorchTensor } from './torch-file';

/** What the import found, against the ResNet it built. Names are the file's, after `prefix` is stripped. */
export interface TorchImportReport {
  /** Stripped from every name used, e.g. 'module.encoder_q.' ('' for a plain torchvision state_dict). */
  prefix: string;
  /** What the names and shapes say (architecture, stem, width, head); absent fields could not be told. */
  detected: Partial<ResNetOptions>;
  /** The options the model was built with: `expected` over `detected` over the defaults. */
  options: ResNetOptions;
  /** Tensors copied into the model. */
  loaded: number;
  /** Names outside the query encoder, not used (a MoCo checkpoint's encoder_k.*, queue, queue_ptr). */
  ignored: string[];
  /** Names under the prefix that the ResNet has no place for. */
  unknown: string[];
  /** ResNet tensors the file lacks (num_batches_tracked excepted: older files have none; it stays 0). */
  missing: string[];
  /** Same name, other shape; shapes in torch's layout. */
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

export interface TorchImportOptions {
  /** Options to build with, over what the names and shapes say (e.g. a run's config). */
  expected?: Partial<ResNetOptions>;
  /** As torch's load_state_dict: true (default) refuses unknown and missing keys; mismatched shapes are always refused. */
  strict?: boolean;
}

const QUERY_PREFIXES = ['encoder_q.'];

/**
 * The app's ResNet with the weights of a torch-named state_dict (torch layout); throws an
 * InvalidInputError that lists the problem keys when the state_dict does not fit.
 */
export function importResNet(
  stateDict: ReadonlyMap<string, TorchTensor>,
  opts: TorchImportOptions = {},
): { model: ResNet; report: TorchImportReport } {
  const where = 'importResNet';
  const strict = opts.strict ?? true;
  const { prefix, tensors, ignored } = selectEncoder(stateDict);
  const detected = detectResNetOptions(new Map([...tensors].map(([k, t]) => [k, t.shape])));
  const options = resolveOptions(where, detected, opts.expected ?? {}, [...tensors.keys()]);
  const model = new ResNet(options, null);
  try {
    const report: TorchImportReport = {
      prefix,
      detected,
      options: model.options,
      loaded: 0,
      ignored,
      unknown: [],
      missing: [],
      mismatched: [],
    };
    const expectedNames = new Set<string>();
    for (const map of [model.params, model.buffers]) {
      for (const [name, v] of map) {
        expectedNames.add(name);
        const t = tensors.get(name);
        if (!t) {
          if (!name.endsWith('.num_batches_tracked')) report.missing.push(name);
          continue;
        }
        const shape = torchShape(v.shape);
        if (t.shape.join('x') !== shape.join('x')) {
          report.mismatched.push({ name, expected: shape, got: [...t.shape] });
          continue;
        }
        tf.tidy(() => {
          if (v.dtype === 'int32') v.assign(tf.tensor(Int32Array.from(t.data, Math.round), v.shape, 'int32'));
          else v.assign(fromTorchLayout(tf.tensor(t.data, shape)));
        });
        report.loaded++;
      }
    }
    report.unknown = [...tensors.keys()].filter((k) => !expectedNames.has(k));
    const refused = report.mismatched.length > 0 || (strict && (report.missing.length > 0 || report.unknown.length > 0));
    if (refused) throw new InvalidInputError(`${where}: ${describeImportReport(report)}`);
    return { model, report };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The report in words: what was expected and every problem key (the first 20 of each list). */
export function describeImportReport(r: TorchImportReport): string {
  const what = modelWords(r.options);
  const lines = [
    `expected a state_dict of a ${what}${r.prefix ? ` under ${r.prefix}` : ''}, got ${r.missing.length} missing, ${r.unknown.length} unknown and ${r.mismatched.length} shape-mismatched keys (${r.loaded} loaded)`,
  ];
  if (r.missing.length) lines.push(`missing: ${listKeys(r.missing)}`);
  if (r.unknown.length) lines.push(`unknown: ${listKeys(r.unknown)}`);
  if (r.mismatched.length)
    lines.push(
      `mismatched: ${listKeys(r.mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}], got [${m.got.join(', ')}]`))}`,
    );
  return lines.join('\n');
}

/** The report of an import that succeeded, as a person reads it: what was read, then anything left over. */
export function summarizeImport(r: TorchImportReport): string {
  const what = modelWords(r.options);
  const lines = [`Read a ${what}${r.prefix ? ` from ${r.prefix}*` : ''}: ${r.loaded} tensors loaded.`];
  if (r.ignored.length) lines.push(`Not used: ${r.ignored.length} tensors outside the query encoder (the key encoder, the queue).`);
  if (r.missing.length) lines.push(`Missing from the file, left at their initial values: ${listKeys(r.missing)}`);
  if (r.unknown.length) lines.push(`In the file but not in the model, ignored: ${listKeys(r.unknown)}`);
  return lines.join('\n');
}

/** Strips DataParallel's `module.` and keeps the query encoder of a MoCo checkpoint (`encoder_q.`). */
export function selectEncoder(stateDict: ReadonlyMap<string, TorchTensor>): {
  prefix: string;
  tensors: Map<string, TorchTensor>;
  ignored: string[];
} {
  const names = [...stateDict.keys()];
  const dataParallel = names.length > 0 && names.every((n) => n.startsWith('module.'));
  const strip = (n: string) => (dataParallel ? n.slice('module.'.length) : n);
  const query = QUERY_PREFIXES.find((q) => names.some((n) => strip(n).startsWith(q))) ?? '';
  const tensors = new Map<string, TorchTensor>();
  const ignored: string[] = [];
  for (const [name, t] of stateDict) {
    const n = strip(name);
    if (n.startsWith(query)) tensors.set(n.slice(query.length), t);
    else ignored.push(name);
  }
  return { prefix: (dataParallel ? 'module.' : '') + query, tensors, ignored };
}

/** e.g. 'resnet18 (small stem, width x1, linear head of 128)' */
function modelWords(o: ResNetOptions): string {
  return `${o.arch} (${o.stem} stem, width x${o.widthMultiplier}, ${o.mlpHead ? 'MLP' : 'linear'} head of ${o.outDim})`;
}

/** The first 20 keys, and how many more. */
function listKeys(xs: string[]): string {
  return xs.slice(0, 20).join(', ') + (xs.length > 20 ? `, ... (${xs.length - 20} more)` : '');
}

const ARCH_BLOCKS: Record<ResNetArch, { bottleneck: boolean; blocks: number[] }> = {
  resnet18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  resnet34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  resnet50: { bottleneck: true, blocks: [3, 4, 6, 3] },
};

/** Architecture, stem, width and head from torch names and shapes; fields it cannot tell are left out. */
export function detectResNetOptions(
  shapes: ReadonlyMap<string, readonly number[]>,
): Partial<ResNetOptions> & { blocks?: number[]; bottleneck?: boolean } {
  const out: Partial<ResNetOptions> & { blocks?: number[]; bottleneck?: boolean } = {};
  const conv1 = shapes.get('conv1.weight');
  if (conv1?.length === 4) {
    if (conv1[2] === 7) out.stem = 'imagenet';
    else if (conv1[2] === 3) out.stem = 'small';
    out.widthMultiplier = conv1[0] / 64;
  }
  const blocks = [0, 0, 0, 0];
  let bottleneck = false;
  for (const name of shapes.keys()) {
    const m = /^layer([1-4])\.(\d+)\.([a-z]+\d*)\./.exec(name);
    if (!m) continue;
    const stage = Number(m[1]) - 1;
    blocks[stage] = Math.max(blocks[stage], Number(m[2]) + 1);
    if (m[3] === 'conv3' || m[3] === 'bn3') bottleneck = true; // only the Bottleneck has a third conv
  }
  if (blocks.some((b) => b > 0)) {
    out.blocks = blocks;
    out.bottleneck = bottleneck;
    const arch = RESNET_ARCHS.find((a) => ARCH_BLOCKS[a].bottleneck === bottleneck && ARCH_BLOCKS[a].blocks.join() === blocks.join());
    if (arch) out.arch = arch;
  }
  const fc = shapes.get('fc.weight');
  const fc2 = shapes.get('fc.2.weight');
  if (fc?.length === 2) {
    out.mlpHead = false;
    out.outDim = fc[0];
  } else if (fc2?.length === 2 && shapes.has('fc.0.weight')) {
    out.mlpHead = true;
    out.outDim = fc2[0];
  }
  return out;
}

function resolveOptions(
  where: string,
  detected: ReturnType<typeof detectResNetOptions>,
  expected: Partial<ResNetOptions>,
  names: string[],
): ResNetOptions {
  const { blocks, bottleneck, ...found } = detected;
  const arch = expected.arch ?? found.arch;
  if (!arch) {
    const seen = blocks
      ? `${bottleneck ? 'bottleneck' : 'basic'} blocks [${blocks.join(', ')}] in layer1..layer4 (ResNet-18: basic [2, 2, 2, 2], ResNet-34: basic [3, 4, 6, 3], ResNet-50: bottleneck [3, 4, 6, 3])`
      : `no layer1..layer4 keys among ${names.length} (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', ...' : ''})`;
    throw new InvalidInputError(
      `${where}: expected the keys of a ResNet-18, -34 or -50 to tell the architecture, got ${seen}; pass the architecture to load a partial file`,
    );
  }
  return { ...DEFAULT_RESNET_OPTIONS, ...found, ...expected, arch };
}

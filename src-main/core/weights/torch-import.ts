// Weights from PyTorch without Python: torch.save's zip format (an `<archive>/data.pkl` pickle
// whose tensors point at `<archive>/data/<key>` storages; official MoCo checkpoints keep the
// state_dict under 'state_dict' as `module.encoder_q.*`), plain state_dicts (torchvision's
// .pth) and safetensors with torchvision names; then the mapping onto the app's ResNet, which
// detects the architecture, stem, width and head from the names and shapes and lists every
// unknown, missing and shape-mismatched key. The pre-1.6 (non-zip) torch format is detected
// and refused.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';
import { fromTorchLayout, torchShape } from '../moco/params';
import { DEFAULT_RESNET_OPTIONS, RESNET_ARCHS, ResNet, type ResNetArch, type ResNetOptions } from '../moco/resnet';
import { halfToFloat, readSafetensors, safeTensorToFloat32, type SafetensorsDtype } from './safetensors';
import { unpickle, type PickleCallable } from './unpickle';
import { looksLikeZip, ZipReader } from './zip-read';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A tensor read from a file: its source dtype and shape, and its values as float32 in C order (integers exact up to 2^24). */
export class TorchTensor {
  constructor(
    readonly dtype: TorchDtype,
    readonly shape: number[],
    readonly data: Float32Array,
  ) {}
}

const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const DTYPE_BYTES: Record<TorchDtype, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};
const SAFETENSORS_TO_TORCH: Partial<Record<SafetensorsDtype, TorchDtype>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

class StorageType {
  constructor(readonly dtype: TorchDtype) {}
}

class Storage {
  constructor(
    readonly dtype: TorchDtype,
    readonly numel: number,
    readonly bytes: Uint8Array,
  ) {}
}

/**
 * The object a torch.save zip archive holds, with every tensor as a TorchTensor and dicts as Maps.
 * Refuses the legacy (pre-1.6) format, TorchScript archives and pickled Python objects other
 * than tensors and containers.
 */
export function readTorchFile(bytes: Uint8Array, where = 'readTorchFile'): unknown {
  if (!looksLikeZip(bytes)) {
    if (bytes[0] === 0x80 && bytes[1] <= 5) {
      throw new InvalidInputError(
        `${where}: expected torch's zip checkpoint format (torch >= 1.6), got the legacy format (a bare pickle, from torch < 1.6 or ` +
          `_use_new_zipfile_serialization=False), which is not supported; in Python: torch.save(torch.load(old_path), new_path)`,
      );
    }
    throw new InvalidInputError(
      `${where}: expected a torch checkpoint (a zip archive), got a file starting with bytes ${hexBytes(bytes.subarray(0, 8))}`,
    );
  }
  const zip = new ZipReader(bytes, where);
  const names = [...zip.entries.keys()];
  const pkl = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1)
    throw new InvalidInputError(
      `${where}: expected one <archive>/data.pkl in the archive, got ${pkl.length} among ${names.slice(0, 8).join(', ')}`,
    );
  const root = pkl[0].slice(0, -'data.pkl'.length);
  if (zip.entries.has(`${root}constants.pkl`) || names.some((n) => n.startsWith(`${root}code/`))) {
    throw new InvalidInputError(
      `${where}: expected a torch.save checkpoint, got a TorchScript archive (torch.jit.save); in Python: torch.save(torch.jit.load(path).state_dict(), new_path)`,
    );
  }
  const byteorder = zip.entries.has(`${root}byteorder`) ? new TextDecoder().decode(zip.read(`${root}byteorder`)).trim() : 'little';
  if (byteorder !== 'little') throw new InvalidInputError(`${where}: expected little-endian storages, got byteorder ${byteorder}`);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
      throw new InvalidInputError(`${where}: expected a persistent id ('storage', type, key, location, numel), got ${describeValue(pid)}`);
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType))
      throw new InvalidInputError(`${where}: expected a storage type in the persistent id, got ${describeValue(type)}`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel))
      throw new InvalidInputError(`${where}: expected a storage key and size, got ${describeValue(key)}, ${describeValue(numel)}`);
    const cached = storages.get(key);
    if (cached) return cached;
    const name = `${root}data/${key}`;
    if (!zip.entries.has(name))
      throw new InvalidInputError(`${where}: expected the storage ${name} a tensor refers to, got none in the archive`);
    const data = zip.read(name);
    const expected = (numel as number) * DTYPE_BYTES[type.dtype];
    if (data.length !== expected)
      throw new InvalidInputError(`${where}: expected ${expected} bytes in ${name} (${numel} x ${type.dtype}), got ${data.length}`);
    const s = new Storage(type.dtype, numel as number, data);
    storages.set(key, s);
    return s;
  };
  const rebuildTensor: PickleCallable = (storage, offset, size, stride) => {
    if (!(storage instanceof Storage))
      throw new InvalidInputError(`${where}: expected a storage to rebuild a tensor from, got ${describeValue(storage)}`);
    if (!Number.isSafeInteger(offset) || !isIntArray(size) || !isIntArray(stride) || size.length !== stride.length) {
      throw new InvalidInputError(
        `${where}: expected a tensor's offset, size and stride, got ${describeValue(offset)}, ${describeValue(size)}, ${describeValue(stride)}`,
      );
    }
    return new TorchTensor(storage.dtype, [...size], gather(storage, offset as number, size, stride, where));
  };
  const resolve = (module: string, name: string): unknown => {
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return rebuildTensor;
    if (module === 'torch._utils' && name === '_rebuild_parameter') return (t: unknown) => t; // a Parameter's tensor
    if (module === 'torch' && name in STORAGE_DTYPES) return new StorageType(STORAGE_DTYPES[name]);
    if (module === '_codecs' && name === 'encode') {
      // Protocol 2 writes bytes as _codecs.encode(str, 'latin1').
      return (s: unknown) => (typeof s === 'string' ? Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff) : s);
    }
    return undefined;
  };
  return unpickle(zip.read(pkl[0]), { resolve, persistentLoad }, `${where} ${pkl[0]}`);
}

/**
 * The state_dict of a torch checkpoint: a plain state_dict, or the one under 'state_dict'
 * (official MoCo; also 'model', 'module'), keyed by the names in the file (prefixes kept).
 */
export function importTorchCheckpoint(bytes: Uint8Array, where = 'importTorchCheckpoint'): Map<string, TorchTensor> {
  const root = readTorchFile(bytes, where);
  const sd =
    tensorDict(root) ?? (root instanceof Map ? ['state_dict', 'model', 'module'].map((k) => tensorDict(root.get(k))).find((d) => d) : null);
  if (!sd) {
    const keys = root instanceof Map ? [...root.keys()].map(String).slice(0, 12).join(', ') : describeValue(root);
    throw new InvalidInputError(
      `${where}: expected a state_dict of tensors (or a dict with one under 'state_dict' or 'model'), got ${root instanceof Map ? `a dict with keys ${keys}` : keys}`,
    );
  }
  return sd;
}

/** A torch checkpoint (.pth, .pth.tar, .pt) or a safetensors file, by content. */
export function readWeightsFile(bytes: Uint8Array, where = 'readWeightsFile'): Map<string, TorchTensor> {
  if (looksLikeZip(bytes)) return importTorchCheckpoint(bytes, where);
  // safetensors: the JSON header opens at byte 8 (a legacy torch pickle starts 0x80 0x02 0x8a).
  if (bytes.length >= 9 && bytes[8] === 0x7b) return fromSafetensors(bytes, where);
  if (bytes[0] === 0x80) return importTorchCheckpoint(bytes, where); // refused with the legacy-format message
  throw new InvalidInputError(
    `${where}: expected a torch checkpoint (zip) or a safetensors file, got a file starting with bytes ${hexBytes(bytes.subarray(0, 9))}`,
  );
}

function fromSafetensors(bytes: Uint8Array, where: string): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [name, t] of readSafetensors(bytes, where).tensors) {
    const dtype = SAFETENSORS_TO_TORCH[t.dtype];
    if (!dtype) throw new InvalidInputError(`${where}: expected float or signed integer tensors, got ${name} of ${t.dtype}`);
    out.set(name, new TorchTensor(dtype, t.shape, safeTensorToFloat32(t, where)));
  }
  return out;
}

// ---- mapping onto the app's ResNet ----

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
  const o = r.options;
  const what = `${o.arch} (${o.stem} stem, width x${o.widthMultiplier}, ${o.mlpHead ? 'MLP' : 'linear'} head of ${o.outDim})`;
  const list = (xs: string[]) => xs.slice(0, 20).join(', ') + (xs.length > 20 ? `, ... (${xs.length - 20} more)` : '');
  const lines = [
    `expected a state_dict of a ${what}${r.prefix ? ` under ${r.prefix}` : ''}, got ${r.missing.length} missing, ${r.unknown.length} unknown and ${r.mismatched.length} shape-mismatched keys (${r.loaded} loaded)`,
  ];
  if (r.missing.length) lines.push(`missing: ${list(r.missing)}`);
  if (r.unknown.length) lines.push(`unknown: ${list(r.unknown)}`);
  if (r.mismatched.length)
    lines.push(`mismatched: ${list(r.mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}], got [${m.got.join(', ')}]`))}`);
  return lines.join('\n');
}

/** The report of an import that succeeded, as a person reads it: what was read, then anything left over. */
export function summarizeImport(r: TorchImportReport): string {
  const o = r.options;
  const what = `${o.arch} (${o.stem} stem, width x${o.widthMultiplier}, ${o.mlpHead ? 'MLP' : 'linear'} head of ${o.outDim})`;
  const list = (xs: string[]) => xs.slice(0, 20).join(', ') + (xs.length > 20 ? `, ... (${xs.length - 20} more)` : '');
  const lines = [`Read a ${what}${r.prefix ? ` from ${r.prefix}*` : ''}: ${r.loaded} tensors loaded.`];
  if (r.ignored.length) lines.push(`Not used: ${r.ignored.length} tensors outside the query encoder (the key encoder, the queue).`);
  if (r.missing.length) lines.push(`Missing from the file, left at their initial values: ${list(r.missing)}`);
  if (r.unknown.length) lines.push(`In the file but not in the model, ignored: ${list(r.unknown)}`);
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

// ---- helpers ----

/** The tensor at (offset, size, stride) of a storage, in C order, as float32. */
function gather(s: Storage, offset: number, size: readonly number[], stride: readonly number[], where: string): Float32Array {
  const n = size.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (n === 0) return out;
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  if (offset < 0 || last >= s.numel) {
    throw new InvalidInputError(
      `${where}: expected a tensor within its storage of ${s.numel} elements, got offset ${offset}, size [${size.join(', ')}], stride [${stride.join(', ')}]`,
    );
  }
  const contiguous = size.every((d, i) => d === 1 || stride[i] === size.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous && s.dtype === 'float32') {
    // The common case, a copy of the bytes (aligned, little-endian as the archive says).
    return new Float32Array(new Uint8Array(s.bytes.subarray(4 * offset, 4 * (offset + n))).buffer);
  }
  const read = reader(s);
  const idx = new Array<number>(size.length).fill(0);
  let src = offset;
  for (let i = 0; i < n; i++) {
    out[i] = read(src);
    // Odometer over the indices, last dimension fastest.
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) {
        src += stride[d];
        break;
      }
      src -= (size[d] - 1) * stride[d];
      idx[d] = 0;
    }
  }
  return out;
}

function reader(s: Storage): (i: number) => number {
  const v = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  switch (s.dtype) {
    case 'float32':
      return (i) => v.getFloat32(4 * i, true);
    case 'float64':
      return (i) => v.getFloat64(8 * i, true);
    case 'float16':
      return (i) => halfToFloat(v.getUint16(2 * i, true));
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => (f.setUint32(0, v.getUint16(2 * i, true) << 16), f.getFloat32(0));
    }
    case 'int64':
      return (i) => Number(v.getBigInt64(8 * i, true));
    case 'int32':
      return (i) => v.getInt32(4 * i, true);
    case 'int16':
      return (i) => v.getInt16(2 * i, true);
    case 'int8':
      return (i) => v.getInt8(i);
    case 'uint8':
    case 'bool':
      return (i) => v.getUint8(i);
  }
}

function tensorDict(v: unknown): Map<string, TorchTensor> | null {
  if (!(v instanceof Map) || v.size === 0) return null;
  for (const [k, t] of v) if (typeof k !== 'string' || !(t instanceof TorchTensor)) return null;
  return v as Map<string, TorchTensor>;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

function describeValue(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `(${v.map(describeValue).join(', ')})`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof TorchTensor) return `a tensor [${v.shape.join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'unknown'})`;
  return String(v);
}

const hexBytes = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

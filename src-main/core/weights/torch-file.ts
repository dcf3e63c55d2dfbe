// Weights from PyTorch without Python: torch.save's zip format (an `<archive>/data.pkl` pickle
// whose tensors point at `<archive>/data/<key>` storages; official MoCo checkpoints keep the
// state_dict under 'state_dict' as `module.encoder_q.*`), plain state_dicts (torchvision's
// .pth) and safetensors with torchvision names, read into tensors by name (torch-import.ts
// maps them onto the app's ResNet). The pre-1.6 (non-zip) torch format is detected and refused.
import { InvalidInputError } from '../../api/errors';
import { readSafetensors, safeTensorToFloat32, type SafetensorsDtype } from './safetensors';
import { DTYPE_BYTES, gather, Storage, StorageType } from './torch-storage';
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

// ---- helpers ----

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

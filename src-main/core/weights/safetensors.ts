// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?:
// {string: string}}, then the tensors' bytes, little-endian, C order, with offsets relative to
// the end of the header. The writer pads the header with spaces (as the format allows) so the
// data starts on an 8-byte boundary, and orders tensors by element size, largest first, so that
// every tensor is aligned to its element size. The reader checks what the reference
// implementation checks: a bounded header, known dtypes, byte lengths that match the shapes, and
// offsets that tile the data exactly (no overlap, no gap, nothing out of range).
import { InvalidInputError } from '../../api/errors';

/** Bytes per element of each dtype this reader and writer handle. */
export const SAFETENSORS_DTYPES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** The reference implementation's limit; a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values' bytes, little-endian, C order (numel x element size bytes). */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** In file order (by offset). */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** A typed array as a SafeTensor (no copy): Float32Array -> F32, BigInt64Array -> I64, ... */
export function safeTensor(dtype: SafetensorsDtype, shape: readonly number[], values: ArrayBufferView): SafeTensor {
  const where = 'safeTensor';
  const numel = checkShape(where, shape);
  const expected = numel * SAFETENSORS_DTYPES[dtype];
  if (values.byteLength !== expected) {
    throw new InvalidInputError(`${where}: expected ${expected} bytes for ${dtype} [${shape.join(', ')}], got ${values.byteLength}`);
  }
  const kind = TYPED_KIND[dtype];
  if (kind && !(values instanceof kind)) {
    throw new InvalidInputError(`${where}: expected a ${kind.name} for ${dtype}, got a ${(values as object).constructor.name}`);
  }
  return { dtype, shape: [...shape], data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** The typed arrays that hold each dtype's values natively (others are passed as bytes). */
const TYPED_KIND: Partial<Record<SafetensorsDtype, { name: string; new (n: number): ArrayBufferView }>> = {
  F32: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
};

/** tensors in the caller's order within each element size; metadata values must be strings. */
export function writeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Record<string, string> = {}): Buffer {
  const where = 'writeSafetensors';
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new InvalidInputError(`${where}: expected a string value for metadata ${k}, got ${typeof v}`);
  }
  const entries = [...tensors].map(([name, t], i) => ({ name, t, i }));
  for (const { name, t } of entries) {
    if (name === METADATA_KEY || name.length === 0) throw new InvalidInputError(`${where}: expected a tensor name, got "${name}"`);
    if (!(t.dtype in SAFETENSORS_DTYPES))
      throw new InvalidInputError(`${where}: expected a known dtype for ${name}, got ${String(t.dtype)}`);
    const numel = checkShape(`${where} ${name}`, t.shape);
    const expected = numel * SAFETENSORS_DTYPES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new InvalidInputError(
        `${where}: expected ${expected} bytes for ${name} (${t.dtype} [${t.shape.join(', ')}]), got ${t.data.byteLength}`,
      );
    }
  }
  // Largest elements first: with the data starting 8-aligned, every tensor then sits on a multiple of its element size.
  entries.sort((a, b) => SAFETENSORS_DTYPES[b.t.dtype] - SAFETENSORS_DTYPES[a.t.dtype] || a.i - b.i);

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const { name, t } of entries) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + padded + offset, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  let at = 8 + padded;
  for (const { t } of entries) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** The offsets must tile the data: each tensor starts where the previous one ended, the last ends at the file's end. Sorts `infos` by offset. */
function checkTiling(where: string, infos: TensorInfo[], dataLength: number): void {
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const [i, t] of infos.entries()) {
    if (t.begin !== expected) {
      const what = t.begin < expected ? `overlaps ${infos[i - 1].name}` : `leaves a gap of ${t.begin - expected} bytes before it`;
      throw new InvalidInputError(`${where}: expected ${t.name} to start at data offset ${expected}, got ${t.begin} (it ${what})`);
    }
    expected = t.end;
  }
  if (expected !== dataLength) {
    throw new InvalidInputError(
      `${where}: expected the tensors to cover all ${dataLength} data bytes, got ${expected} (${dataLength - expected} bytes unaccounted for)`,
    );
  }
}

/** Parses and validates a whole file; the tensors' bytes are copied (aligned, independent of `bytes`). */
export function readSafetensors(bytes: Uint8Array, where = 'readSafetensors'): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw new InvalidInputError(`${where}: expected a safetensors file of at least 8 bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new InvalidInputError(
      `${where}: expected a header of at most ${MAX_HEADER_BYTES} bytes, got ${n64} (not a safetensors file, or a corrupt one)`,
    );
  }
  const n = Number(n64);
  if (8 + n > bytes.byteLength) {
    throw new InvalidInputError(`${where}: expected a ${n}-byte header after the length, got a file of ${bytes.byteLength} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new InvalidInputError(`${where}: expected a UTF-8 JSON header, got bytes that are not UTF-8`);
  }
  if (!text.startsWith('{'))
    throw new InvalidInputError(`${where}: expected the header to start with "{", got ${JSON.stringify(text.slice(0, 16))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${where}: expected a JSON header, got invalid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) throw new InvalidInputError(`${where}: expected a JSON object as header, got ${describe(header)}`);

  const metadata = parseMetadata(where, header[METADATA_KEY]);
  const dataLength = bytes.byteLength - 8 - n;
  const infos: TensorInfo[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    if (!isPlainObject(info)) throw new InvalidInputError(`${where}: expected an object for tensor ${name}, got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPES)) {
      throw new InvalidInputError(
        `${where}: expected a dtype of ${Object.keys(SAFETENSORS_DTYPES).join(' | ')} for ${name}, got ${JSON.stringify(dtype)}`,
      );
    }
    if (!Array.isArray(shape)) throw new InvalidInputError(`${where}: expected a shape array for ${name}, got ${describe(shape)}`);
    const numel = checkShape(`${where} ${name}`, shape);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new InvalidInputError(
        `${where}: expected data_offsets [begin, end] of non-negative integers for ${name}, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) {
      throw new InvalidInputError(`${where}: expected data_offsets of ${name} within the ${dataLength} data bytes, got [${begin}, ${end}]`);
    }
    const size = numel * SAFETENSORS_DTYPES[dtype as SafetensorsDtype];
    if (end - begin !== size) {
      throw new InvalidInputError(
        `${where}: expected ${size} bytes for ${name} (${dtype} [${shape.join(', ')}]), got data_offsets [${begin}, ${end}] (${end - begin} bytes)`,
      );
    }
    infos.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }

  checkTiling(where, infos, dataLength);

  const start = 8 + n;
  const tensors = new Map<string, SafeTensor>();
  for (const t of infos) {
    // new Uint8Array(view) copies (a Buffer's slice would not).
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: new Uint8Array(bytes.subarray(start + t.begin, start + t.end)) });
  }
  return { tensors, metadata };
}

/** The values of a floating-point or integer tensor as float32 (integers exact up to 2^24). */
export function safeTensorToFloat32(t: SafeTensor, where = 'safeTensorToFloat32'): Float32Array {
  const b = t.data;
  const aligned = b.byteOffset % 8 === 0 ? b : new Uint8Array(b); // an aligned copy
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  const n = b.byteLength / SAFETENSORS_DTYPES[t.dtype];
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(buf.slice(off, off + b.byteLength));
    case 'F64':
      return Float32Array.from(new Float64Array(buf, off, n));
    case 'F16':
      return Float32Array.from(new Uint16Array(buf, off, n), halfToFloat);
    case 'BF16': {
      const bits = new Uint32Array(n);
      const src = new Uint16Array(buf, off, n);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64':
      return Float32Array.from(new BigInt64Array(buf, off, n), Number);
    case 'U64':
      return Float32Array.from(new BigUint64Array(buf, off, n), Number);
    case 'I32':
      return Float32Array.from(new Int32Array(buf, off, n));
    case 'U32':
      return Float32Array.from(new Uint32Array(buf, off, n));
    case 'I16':
      return Float32Array.from(new Int16Array(buf, off, n));
    case 'U16':
      return Float32Array.from(new Uint16Array(buf, off, n));
    case 'I8':
      return Float32Array.from(new Int8Array(buf, off, n));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(b);
    default:
      throw new InvalidInputError(`${where}: expected a float or integer tensor, got ${t.dtype}`);
  }
}

/** IEEE 754 half precision bits -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function parseMetadata(where: string, m: unknown): Record<string, string> {
  if (m === undefined) return {};
  if (!isPlainObject(m)) throw new InvalidInputError(`${where}: expected __metadata__ to be an object of strings, got ${describe(m)}`);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw new InvalidInputError(`${where}: expected a string for __metadata__.${k}, got ${describe(v)}`);
  }
  return { ...(m as Record<string, string>) };
}

function checkShape(where: string, shape: readonly unknown[]): number {
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0)
      throw new InvalidInputError(`${where}: expected a shape of non-negative integers, got [${shape.join(', ')}]`);
    numel *= d as number;
    if (!Number.isSafeInteger(numel))
      throw new InvalidInputError(`${where}: expected a shape of fewer than 2^53 elements, got [${shape.join(', ')}]`);
  }
  return numel;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

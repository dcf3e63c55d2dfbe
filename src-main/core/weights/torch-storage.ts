// The storages of a torch.save archive (raw bytes of one dtype) and the strided view a tensor
// takes of one, read out as float32 in C order.
import { InvalidInputError } from '../../api/errors';
import { halfToFloat } from './safetensors';
import type { TorchDtype } from './torch-file';

export const DTYPE_BYTES: Record<TorchDtype, number> = {
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

export class StorageType {
  constructor(readonly dtype: TorchDtype) {}
}

export class Storage {
  constructor(
    readonly dtype: TorchDtype,
    readonly numel: number,
    readonly bytes: Uint8Array,
  ) {}
}

/** The tensor at (offset, size, stride) of a storage, in C order, as float32. */
export function gather(s: Storage, offset: number, size: readonly number[], stride: readonly number[], where: string): Float32Array {
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

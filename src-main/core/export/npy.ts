// NumPy's .npy format, version 1.0, for float32 arrays in C order: the magic "\x93NUMPY", the
// version bytes 1 0, a uint16 LE header length, then a Python dict literal padded with spaces
// and ended by "\n" so that the data starts on a multiple of 64 bytes. The header is laid out
// exactly as numpy.save writes it (including the spare room numpy leaves after the shape so it
// can grow the first axis in place), so np.save and this writer give identical bytes.
import { InvalidInputError } from '../../api/errors';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]); // \x93NUMPY v1.0
const ALIGN = 64;
/** numpy's GROWTH_AXIS_MAX_DIGITS: room for the first axis to reach 21 digits. */
const GROWTH_DIGITS = 21;

/** values: C-order float32 of `shape`. */
export function writeNpyFloat32(values: Float32Array, shape: readonly number[]): Buffer {
  const header = npyHeader(shape);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel !== values.length)
    throw new InvalidInputError(`writeNpyFloat32: expected ${numel} values for shape [${shape.join(', ')}], got ${values.length}`);
  const out = Buffer.alloc(header.length + values.byteLength);
  header.copy(out, 0);
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, header.length);
  return out;
}

/** Magic, version, length and the padded dict of a little-endian float32 C-order array of `shape`. */
export function npyHeader(shape: readonly number[]): Buffer {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidInputError(`npyHeader: expected a shape of non-negative integers, got [${shape.join(', ')}]`);
  }
  // Python's repr of a tuple: (), (5,), (2, 3).
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_DIGITS - String(shape[0]).length));
  // numpy pads to the next multiple of 64 strictly after magic + length + dict + "\n" (64 when already aligned).
  const used = MAGIC.length + 2 + dict.length + 1;
  dict += ' '.repeat(ALIGN - (used % ALIGN)) + '\n';
  if (dict.length > 0xffff) throw new InvalidInputError(`npyHeader: expected a header under 64 KiB (.npy 1.0), got ${dict.length} bytes`);
  const out = Buffer.alloc(MAGIC.length + 2 + dict.length);
  MAGIC.copy(out, 0);
  out.writeUInt16LE(dict.length, MAGIC.length);
  out.write(dict, MAGIC.length + 2, 'latin1');
  return out;
}

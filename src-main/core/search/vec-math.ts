// Checks and small helpers for the row-major float32 matrices (n x d) that search works on.
import { InvalidInputError } from '../../api/errors';

/** Throws unless `value` is an integer in [min, max]. */
export function checkInt(where: string, name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InvalidInputError(`${where}: expected ${name} to be an integer ${range}, got ${value}`);
  }
}

/** Throws unless `m` is a Float32Array of exactly n x d values. */
export function checkMatrix(where: string, name: string, m: Float32Array, n: number, d: number): void {
  if (!(m instanceof Float32Array)) throw new InvalidInputError(`${where}: expected ${name} to be a Float32Array, got ${describe(m)}`);
  checkInt(where, `the row count of ${name}`, n, 0);
  checkInt(where, `the dimension of ${name}`, d, 1);
  if (m.length !== n * d) throw new InvalidInputError(`${where}: expected ${name} to hold ${n} x ${d} = ${n * d} values, got ${m.length}`);
}

/** Throws at the first NaN or infinity (one bad query would silently reorder every result). */
export function checkFinite(where: string, name: string, m: Float32Array, d: number): void {
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i])) {
      throw new InvalidInputError(`${where}: expected finite values in ${name}, got ${m[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
    }
  }
}

/** Throws unless `mask` is a Uint8Array of n zeros and ones; returns the number of ones. */
export function countMask(where: string, name: string, mask: Uint8Array, n: number): number {
  if (!(mask instanceof Uint8Array)) throw new InvalidInputError(`${where}: expected ${name} to be a Uint8Array, got ${describe(mask)}`);
  if (mask.length !== n) throw new InvalidInputError(`${where}: expected ${name} to hold one byte per row (${n}), got ${mask.length}`);
  let ones = 0;
  for (let i = 0; i < n; i++) {
    const v = mask[i];
    if (v > 1) throw new InvalidInputError(`${where}: expected ${name} to hold 0 or 1, got ${v} at row ${i}`);
    ones += v;
  }
  return ones;
}

/** Scales each row of an n x d matrix to unit L2 length in place; a zero row stays zero. */
export function normalizeRows(m: Float32Array, n: number, d: number): Float32Array {
  checkMatrix('normalizeRows', 'the matrix', m, n, d);
  for (let i = 0, o = 0; i < n; i++, o += d) {
    let s = 0;
    for (let j = o; j < o + d; j++) s += m[j] * m[j];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let j = o; j < o + d; j++) m[j] *= inv;
  }
  return m;
}

/** Inner product of rows a[i] and b[j] (both d wide), accumulated in double precision. */
export function dotRows(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0, p = i * d, q = j * d; t < d; t++) s += a[p + t] * b[q + t];
  return s;
}

/** The smallest float32 strictly greater than the float32 `x` (x finite). */
export function nextFloat32Up(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (x === 0) bits[0] = 1;
  else if (x > 0) bits[0]++;
  else bits[0]--;
  return f[0];
}

/** The largest float32 that is <= x: a threshold a float32 engine may apply without losing pairs. */
export function float32AtMost(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  const a = new Float32Array([f]);
  const bits = new Int32Array(a.buffer);
  if (f > 0) bits[0]--;
  else if (f === 0)
    bits[0] = 0x80000001; // the negative float32 closest to zero
  else bits[0]++;
  return a[0];
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  return (v as object).constructor?.name ?? typeof v;
}

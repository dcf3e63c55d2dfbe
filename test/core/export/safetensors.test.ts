import { describe, expect, it } from 'vitest';
import {
  MAX_HEADER_BYTES,
  readSafetensors,
  safeTensor,
  safeTensorToFloat32,
  type SafeTensor,
  writeSafetensors,
} from '../../../src-main/core/weights/safetensors';

/** A file by hand: the given header (an object, raw text or raw bytes) and data bytes. */
function handMade(header: unknown, data = new Uint8Array(0)): Buffer {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function sample(): Map<string, SafeTensor> {
  return new Map([
    [
      'conv1.weight',
      safeTensor(
        'F32',
        [2, 3, 1, 1],
        Float32Array.from({ length: 6 }, (_, i) => i / 7 - 0.3),
      ),
    ],
    ['bn1.num_batches_tracked', safeTensor('I64', [], BigInt64Array.of(123456789012n))],
    ['half', safeTensor('F16', [3], Uint16Array.of(0x3c00, 0xc000, 0x3555))], // 1, -2, ~0.33325
    ['mask', safeTensor('U8', [5], Uint8Array.of(1, 0, 1, 1, 0))],
    ['empty', safeTensor('F32', [0, 4], new Float32Array(0))],
    ['fc.bias', safeTensor('F64', [2], Float64Array.of(Math.PI, -Math.E))],
  ]);
}

describe('safetensors writer and reader', () => {
  it('round-trips every tensor bit for bit, with its dtype, shape and the metadata', () => {
    const tensors = sample();
    const file = writeSafetensors(tensors, { format: 'pt', note: 'é, "quoted"' });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt', note: 'é, "quoted"' });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const b = back.tensors.get(name)!;
      expect(b.dtype, name).toBe(t.dtype);
      expect(b.shape, name).toEqual(t.shape);
      expect(Buffer.from(b.data).equals(Buffer.from(t.data)), name).toBe(true);
    }
    expect(Array.from(safeTensorToFloat32(back.tensors.get('conv1.weight')!))).toEqual(
      Array.from(Float32Array.from({ length: 6 }, (_, i) => i / 7 - 0.3)),
    );
    expect(Array.from(safeTensorToFloat32(back.tensors.get('half')!))).toEqual([1, -2, 0.333251953125]);
    expect(Array.from(safeTensorToFloat32(back.tensors.get('fc.bias')!))).toEqual([Math.fround(Math.PI), Math.fround(-Math.E)]);
    expect(new BigInt64Array(back.tensors.get('bn1.num_batches_tracked')!.data.buffer)[0]).toBe(123456789012n);
  });

  it('starts the data 8-aligned and aligns every tensor to its element size, as the format recommends', () => {
    const file = writeSafetensors(sample());
    const n = Number(file.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    expect(file.subarray(8, 8 + n).toString('utf8')).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(file.subarray(8, 8 + n).toString('utf8')) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    const sizes: Record<string, number> = { F64: 8, I64: 8, F32: 4, F16: 2, U8: 1 };
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      expect(info.data_offsets[0] % sizes[info.dtype], name).toBe(0);
    }
  });

  it('writes no __metadata__ when there is none, and reads a file with no tensors', () => {
    const file = writeSafetensors(new Map());
    expect(JSON.parse(file.subarray(8).toString('utf8'))).toEqual({});
    expect(readSafetensors(file).tensors.size).toBe(0);
  });

  it('reads BF16 and integer tensors as float32', () => {
    const bf16 = safeTensor('BF16', [2], Uint16Array.of(0x3fc0, 0xc120)); // 1.5, -10
    expect(Array.from(safeTensorToFloat32(bf16))).toEqual([1.5, -10]);
    expect(Array.from(safeTensorToFloat32(safeTensor('I32', [2], Int32Array.of(-3, 7))))).toEqual([-3, 7]);
  });

  it('refuses writer input whose bytes do not match the dtype and shape', () => {
    expect(() => safeTensor('F32', [2, 2], new Float32Array(3))).toThrow(/expected 16 bytes for F32 \[2, 2\], got 12/);
    expect(() => safeTensor('I64', [1], new Float64Array(1))).toThrow(/expected a BigInt64Array for I64, got a Float64Array/);
    const bad: SafeTensor = { dtype: 'F32', shape: [3], data: new Uint8Array(8) };
    expect(() => writeSafetensors(new Map([['w', bad]]))).toThrow(/expected 12 bytes for w \(F32 \[3\]\), got 8/);
    expect(() => writeSafetensors(new Map([['__metadata__', safeTensor('U8', [1], Uint8Array.of(1))]]))).toThrow(/expected a tensor name/);
  });
});

describe('safetensors reader refuses corrupt files clearly', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file under 8 bytes', () => Uint8Array.of(1, 2, 3), /at least 8 bytes, got 3/],
    [
      'a huge header length',
      () => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES) + 1n);
        return b;
      },
      /expected a header of at most 100000000 bytes, got 100000001/,
    ],
    [
      'a header longer than the file',
      () => {
        const b = Buffer.alloc(20);
        b.writeBigUInt64LE(64n);
        return b;
      },
      /expected a 64-byte header after the length, got a file of 20 bytes/,
    ],
    [
      'a header that is not UTF-8',
      () => handMade(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      /expected a UTF-8 JSON header, got bytes that are not UTF-8/,
    ],
    ['a header not starting with {', () => handMade(' {}'), /expected the header to start with "\{", got " \{\}"/],
    ['invalid JSON', () => handMade('{"a": '), /expected a JSON header, got invalid JSON/],
    [
      'an unknown dtype',
      () => handMade({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /expected a dtype of BOOL \| U8 .* for w, got "F128"/,
    ],
    [
      'a negative dimension',
      () => handMade({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
      /expected a shape of non-negative integers, got \[-1\]/,
    ],
    [
      'offsets past the data',
      () => handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)),
      /expected data_offsets of w within the 4 data bytes, got \[0, 8\]/,
    ],
    [
      'offsets that disagree with the shape',
      () => handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)),
      /expected 8 bytes for w \(F32 \[2\]\), got data_offsets \[0, 4\] \(4 bytes\)/,
    ],
    [
      'overlapping tensors',
      () =>
        handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /expected b to start at data offset 8, got 4 \(it overlaps a\)/,
    ],
    [
      'a gap between tensors',
      () =>
        handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)),
      /expected b to start at data offset 4, got 8 \(it leaves a gap of 4 bytes before it\)/,
    ],
    [
      'trailing bytes no tensor owns',
      () => handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /expected the tensors to cover all 8 data bytes, got 4/,
    ],
    [
      'metadata that is not strings',
      () => handMade({ __metadata__: { epoch: 3 } }),
      /expected a string for __metadata__.epoch, got number 3/,
    ],
    ['a header that is an array', () => handMade('[1, 2]'), /expected the header to start with "\{"/],
    ['a tensor entry that is not an object', () => handMade({ w: 3 }), /expected an object for tensor w, got number 3/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      expect(() => readSafetensors(make())).toThrow(message);
    });
  }
});

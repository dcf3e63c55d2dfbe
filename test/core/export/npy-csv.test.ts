import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../../src-main/core/export/csv';
import { npyHeader, writeNpyFloat32 } from '../../../src-main/core/export/npy';
import { exportEmbeddingIdsCsv, exportEmbeddingsNpy } from '../../../src-main/core/export/weights-export';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-fixtures.json', import.meta.url), 'utf8')) as {
  npy: { headers: { shape: number[]; header: string }[]; small: number[] };
};

/** The .npy format read by hand, as its spec describes it. */
function parseNpy(b: Buffer): { descr: string; fortran: boolean; shape: number[]; dataOffset: number; values: Float32Array } {
  expect(b.subarray(0, 6).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]))).toBe(true);
  expect([b[6], b[7]]).toEqual([1, 0]);
  const len = b.readUInt16LE(8);
  const dict = b.toString('latin1', 10, 10 + len);
  expect(dict.endsWith('\n')).toBe(true);
  const m = /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \(([\d, ]*)\), \} *\n$/.exec(dict);
  expect(m, dict).not.toBeNull();
  const shape = m![3]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const dataOffset = 10 + len;
  const data = b.subarray(dataOffset);
  return { descr: m![1], fortran: m![2] === 'True', shape, dataOffset, values: new Float32Array(new Uint8Array(data).buffer) };
}

describe('.npy writer', () => {
  it("writes numpy's own header bytes for every shape (np.lib.format.write_array_header_1_0)", () => {
    for (const { shape, header } of fixture.npy.headers) {
      expect(npyHeader(shape).toString('latin1'), `shape [${shape}]`).toBe(header);
    }
  });

  it('writes the same bytes as np.save for a 3x4 float32 array', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i / 8 - 0.5);
    expect([...writeNpyFloat32(values, [3, 4])]).toEqual(fixture.npy.small);
  });

  it('is a little-endian float32 C-order array with the data on a 64-byte boundary (parsed by hand)', () => {
    const n = 5;
    const dim = 3;
    const vectors = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i) * 10);
    const parsed = parseNpy(exportEmbeddingsNpy(vectors, n, dim));
    expect(parsed.descr).toBe('<f4');
    expect(parsed.fortran).toBe(false);
    expect(parsed.shape).toEqual([n, dim]);
    expect(parsed.dataOffset % 64).toBe(0);
    expect(Array.from(parsed.values)).toEqual(Array.from(vectors));
  });

  it('refuses values that do not fill the shape', () => {
    expect(() => exportEmbeddingsNpy(new Float32Array(5), 2, 3)).toThrow(/expected 6 values for shape \[2, 3\], got 5/);
    expect(() => writeNpyFloat32(new Float32Array(0), [-1])).toThrow(/expected a shape of non-negative integers, got \[-1\]/);
  });
});

describe('CSV (RFC 4180)', () => {
  it('quotes only fields with a comma, a quote, CR or LF, doubling the quotes', () => {
    expect(csvField('plain path/a b.jpg')).toBe('plain path/a b.jpg');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(42)).toBe('42');
    expect(csvField('')).toBe('');
  });

  it('ends every record with CRLF and refuses ragged rows', () => {
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
    expect(() => toCsv(['a', 'b'], [[1]])).toThrow(/expected 2 fields per row, got 1/);
  });

  it('writes one record per embedding row, which a strict RFC 4180 parse reads back', () => {
    const rows = [
      { imageId: 7, path: '/photos/summer, 2021/beach.jpg' },
      { imageId: 9, path: '/photos/"best"/cat.png' },
      { imageId: 12, path: '/odd/name\nwith newline.jpg' },
    ];
    const csv = exportEmbeddingIdsCsv(rows);
    expect(parseCsv(csv)).toEqual([['row', 'image_id', 'path'], ...rows.map((r, i) => [String(i), String(r.imageId), r.path])]);
  });
});

/** A strict RFC 4180 parser: CRLF record ends, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    }
    if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      field = '';
      record = [];
      i += 2;
    } else if (text[i] === '"' || text[i] === '\n' || text[i] === '\r') {
      throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
    } else {
      field += text[i++];
    }
  }
  expect(record).toEqual([]); // the last record ended with CRLF
  return records;
}

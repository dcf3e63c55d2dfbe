import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  blobToBase64,
  bytesToBase64,
  carriesFiles,
  firstFile,
  fitWithin,
  prepareQueryFile,
} from '../../src-renderer/src/lib/search-file';

function bytes(n: number, seed = 7): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed) % 256;
  return out;
}

describe('base64 of bytes', () => {
  it('matches Node for every padding length and round-trips', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
      const b = bytes(n);
      const b64 = bytesToBase64(b);
      expect(b64).toBe(Buffer.from(b).toString('base64'));
      expect([...base64ToBytes(b64)]).toEqual([...b]);
    }
  });
  it('handles a file larger than one chunk (no stack overflow, same result)', async () => {
    const b = bytes(300_001, 3);
    const blob = new Blob([b]);
    expect(await blobToBase64(blob)).toBe(Buffer.from(b).toString('base64'));
  });
});

describe('fitWithin', () => {
  it('scales the longer side down to the limit and keeps the aspect ratio', () => {
    expect(fitWithin(4000, 3000, 1024)).toEqual({ width: 1024, height: 768 });
    expect(fitWithin(3000, 4000, 1024)).toEqual({ width: 768, height: 1024 });
  });
  it('never enlarges and never reaches zero', () => {
    expect(fitWithin(300, 200, 1024)).toEqual({ width: 300, height: 200 });
    expect(fitWithin(10_000, 1, 100)).toEqual({ width: 100, height: 1 });
  });
  it('refuses a size that is not positive', () => {
    expect(() => fitWithin(0, 10, 100)).toThrow('fitWithin: expected a positive size, got 0×10');
  });
});

describe('drops', () => {
  const file = new File([bytes(10)], 'cat.jpg', { type: 'image/jpeg' });
  it('tells a file drag from a text or link drag', () => {
    expect(carriesFiles({ types: ['Files'] })).toBe(true);
    expect(carriesFiles({ types: ['text/plain', 'text/uri-list'] })).toBe(false);
    expect(carriesFiles(null)).toBe(false);
  });
  it('takes the first dropped file, or none', () => {
    expect(firstFile({ types: ['Files'], files: { length: 1, 0: file } })?.name).toBe('cat.jpg');
    expect(firstFile({ types: ['Files'], files: { length: 0 } })).toBeNull();
    expect(firstFile({ types: ['text/plain'] })).toBeNull();
  });
});

describe('prepareQueryFile', () => {
  const never = async (): Promise<Blob | null> => {
    throw new Error('shrink must not be called');
  };

  it('sends a small file as it is', async () => {
    const b = bytes(500);
    const q = await prepareQueryFile(new File([b], 'small.png'), { maxRawBytes: 1000, shrink: never });
    expect(q).toEqual({ fileName: 'small.png', dataBase64: Buffer.from(b).toString('base64'), shrunk: false });
  });

  it('sends a smaller copy of a large file, under the original name', async () => {
    const copy = bytes(40, 9);
    let seen = 0;
    const q = await prepareQueryFile(new File([bytes(5000)], 'big.jpg'), {
      maxRawBytes: 1000,
      shrink: async (f) => {
        seen = f.size;
        return new Blob([copy]);
      },
    });
    expect(seen).toBe(5000);
    expect(q).toEqual({ fileName: 'big.jpg', dataBase64: Buffer.from(copy).toString('base64'), shrunk: true });
  });

  it('says which file could not be read when a large one cannot be decoded here', async () => {
    const big = new File([bytes(3 * 1024 * 1024)], 'scan.heic');
    await expect(prepareQueryFile(big, { maxRawBytes: 1000, shrink: async () => null })).rejects.toThrow(
      /^scan\.heic: expected an image this window can decode .* got a 3\.0 MB file it cannot read$/,
    );
  });

  it('refuses an empty file with the reason, before any call', async () => {
    await expect(prepareQueryFile(new File([], 'empty.jpg'), { maxRawBytes: 1000, shrink: never })).rejects.toThrow(
      'empty.jpg: expected an image, got an empty file (0 bytes)',
    );
  });
});

// `search --image` reads one photo, capped like the web host's body: never a device, a pipe or
// an unbounded stream.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_QUERY_FILE_BASE64, MAX_QUERY_FILE_BYTES } from '../../src-main/api/search-contract';
import { validateArgs } from '../../src-main/api/validate';
import { readQueryFile } from '../../src-main/hosts/cli/read-query-file';
import { MAX_BODY_BYTES } from '../../src-main/hosts/web/server';
import { tempDir } from './helpers';

const tmp = tempDir('query-file');
afterAll(() => tmp.cleanup());

describe('readQueryFile', () => {
  it('shares one cap with the API and the web host', () => {
    expect(MAX_QUERY_FILE_BYTES).toBe(64 * 1024 * 1024);
    expect(MAX_QUERY_FILE_BASE64).toBe(Buffer.alloc(MAX_QUERY_FILE_BYTES).toString('base64').length);
    expect(MAX_BODY_BYTES).toBeGreaterThan(MAX_QUERY_FILE_BASE64);
  });

  it('refuses /dev/zero at once instead of reading it forever', async () => {
    const started = Date.now();
    await expect(readQueryFile('search: --image', '/dev/zero')).rejects.toThrow(
      'search: --image: expected an image file, got a character device (/dev/zero)',
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a folder and a named pipe without waiting for a writer', async () => {
    const dir = join(tmp.dir, 'folder');
    mkdirSync(dir);
    await expect(readQueryFile('search: --image', dir)).rejects.toThrow(`expected an image file, got a folder (${dir})`);
    const fifo = join(tmp.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(readQueryFile('search: --image', fifo)).rejects.toThrow(`expected an image file, got a named pipe (${fifo})`);
  });

  it('says plainly when the file is empty, too large or missing', async () => {
    const empty = join(tmp.dir, 'empty.jpg');
    writeFileSync(empty, '');
    await expect(readQueryFile('search: --image', empty)).rejects.toThrow(
      `search: --image: expected an image file, got an empty file (${empty})`,
    );
    const big = join(tmp.dir, 'big.jpg');
    writeFileSync(big, Buffer.alloc(3 * 1024 * 1024));
    await expect(readQueryFile('search: --image', big, 2 * 1024 * 1024)).rejects.toThrow(
      `expected an image of at most 2 MiB, got 3 MiB (${big})`,
    );
    await expect(readQueryFile('search: --image', join(tmp.dir, 'nope.jpg'))).rejects.toThrow('(no such file)');
  });

  it('reads a file whose stated size is wrong only up to the cap plus one byte', async () => {
    // /proc files say size 0 and hold more.
    await expect(readQueryFile('q', '/proc/self/status', 100)).rejects.toThrow(
      'q: expected an image of at most 100 bytes, got more (/proc/self/status)',
    );
    expect((await readQueryFile('q', '/proc/self/status', 1 << 20)).toString()).toContain('Name:');
  });

  it('reads a normal file whole', async () => {
    const file = join(tmp.dir, 'ok.bin');
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    writeFileSync(file, bytes);
    expect((await readQueryFile('q', file)).equals(bytes)).toBe(true);
  });

  it('the API names an empty query file in a plain sentence', () => {
    expect(() => validateArgs('searchSimilar', [{ query: { fileName: 'a.jpg', dataBase64: '' } }])).toThrow(
      'expected an image file, got an empty file',
    );
  });
});

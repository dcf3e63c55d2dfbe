// Reads the file of `search --image` with the same cap as every other door: a regular file of at
// most MAX_QUERY_FILE_BYTES. Devices (/dev/zero), FIFOs and folders are refused before reading,
// and a file that grows or lies about its size is read only to the cap plus one byte.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_QUERY_FILE_BYTES } from '../../api/search-contract';

function kindOf(st: {
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function mib(n: number): string {
  if (n < 1024 * 1024) return `${n} bytes`;
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
}

/** The bytes of `path`; throws `where: expected …, got …` for anything that is not one photo. */
export async function readQueryFile(where: string, path: string, limit = MAX_QUERY_FILE_BYTES): Promise<Buffer> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new Error(`${where}: expected a readable file, got ${JSON.stringify(path)} (${why})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${where}: expected an image file, got ${kindOf(st)} (${path})`);
    if (st.size > limit) throw new Error(`${where}: expected an image of at most ${mib(limit)}, got ${mib(st.size)} (${path})`);
    // Start at the stated size; grow (never past the cap plus one byte) if the file says less than it has.
    let buf = Buffer.alloc(Math.min(limit + 1, Math.max(st.size, 64 * 1024)));
    let filled = 0;
    for (;;) {
      if (filled === buf.length) {
        if (buf.length > limit) break;
        const bigger = Buffer.alloc(Math.min(limit + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return finish(where, path, buf, filled, limit);
  } finally {
    await handle.close();
  }
}

function finish(where: string, path: string, buf: Buffer, filled: number, limit: number): Buffer {
  if (filled > limit) throw new Error(`${where}: expected an image of at most ${mib(limit)}, got more (${path})`);
  if (filled === 0) throw new Error(`${where}: expected an image file, got an empty file (${path})`);
  return buf.subarray(0, filled);
}

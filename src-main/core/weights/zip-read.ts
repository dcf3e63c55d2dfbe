// A minimal zip reader for torch's checkpoint archives: the central directory (zip64 included),
// stored entries (what torch.save writes) and deflated ones (a re-zipped archive), with CRC-32
// checks (zlib's crc32, Node >= 20.15). No encryption, no multi-disk archives, no other compression methods.
import { crc32, inflateRawSync } from 'node:zlib';
import { InvalidInputError } from '../../api/errors';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const STORED = 0;
const DEFLATED = 8;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

/** true when `bytes` starts like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipReader {
  /** By name, in central-directory order. */
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly where = 'zip',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { count, offset, size } = this.findDirectory();
    let p = offset;
    const end = offset + size;
    for (let i = 0; i < count; i++) {
      if (p + 46 > end || this.u32(p) !== SIG_CENTRAL) this.fail(`a central directory entry at byte ${p}`, 'something else');
      const flags = this.u16(p + 8);
      const method = this.u16(p + 10);
      const crc32 = this.u32(p + 16);
      let compressedSize = this.u32(p + 20);
      let uncompressed = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let localHeaderOffset = this.u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > end) this.fail(`entry ${i} within the central directory`, 'an entry running past it');
      const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64: the 0xFFFFFFFF fields are in the extra field 0x0001, in this order.
      let q = p + 46 + nameLen;
      const extraEnd = q + extraLen;
      while (q + 4 <= extraEnd) {
        const id = this.u16(q);
        const len = this.u16(q + 2);
        if (id === 0x0001) {
          let r = q + 4;
          const next = () => {
            const v = this.u64(r);
            r += 8;
            return v;
          };
          if (uncompressed === 0xffffffff) uncompressed = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
        }
        q += 4 + len;
      }
      if (flags & 1) this.fail(`an unencrypted entry ${name}`, 'an encrypted one');
      if (method !== STORED && method !== DEFLATED) this.fail(`entry ${name} stored or deflated`, `compression method ${method}`);
      this.entries.set(name, { name, method, compressedSize, size: uncompressed, crc32, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** The uncompressed bytes of entry `name` (CRC-checked). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`an entry named ${name}`, 'none');
    const p = e.localHeaderOffset;
    if (p + 30 > this.bytes.length || this.u32(p) !== SIG_LOCAL) this.fail(`the local header of ${name} at byte ${p}`, 'something else');
    // The local extra field may differ from the central one (torch pads it to align the data).
    const start = p + 30 + this.u16(p + 26) + this.u16(p + 28);
    if (start + e.compressedSize > this.bytes.length)
      this.fail(`${e.compressedSize} bytes of ${name}`, `a file ending ${start + e.compressedSize - this.bytes.length} bytes early`);
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === STORED) {
      data = raw;
    } else {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        this.fail(`deflated data in ${name}`, `data that does not inflate (${(err as Error).message})`);
      }
    }
    if (data.length !== e.size) this.fail(`${e.size} bytes in ${name}`, `${data.length}`);
    const crc = crc32(data);
    if (crc !== e.crc32) this.fail(`CRC-32 ${hex(e.crc32)} of ${name}`, `${hex(crc)} (a corrupt file)`);
    return data;
  }

  private findDirectory(): { count: number; offset: number; size: number } {
    const b = this.bytes;
    // The end record sits in the last 22 + 65535 (comment) bytes.
    let eocd = -1;
    for (let p = b.length - 22; p >= Math.max(0, b.length - 22 - 0xffff); p--) {
      if (this.u32(p) === SIG_EOCD) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0) this.fail('a zip archive with an end of central directory record', 'none (a truncated or non-zip file)');
    let count = this.u16(eocd + 10);
    let size = this.u32(eocd + 12);
    let offset = this.u32(eocd + 16);
    if (this.u16(eocd + 4) !== 0 || this.u16(eocd + 6) !== 0) this.fail('a single-disk archive', 'a multi-disk one');
    const loc = eocd - 20;
    if (loc >= 0 && this.u32(loc) === SIG_EOCD64_LOCATOR) {
      const e64 = this.u64(loc + 8);
      if (e64 + 56 > b.length || this.u32(e64) !== SIG_EOCD64) this.fail(`a zip64 end record at byte ${e64}`, 'something else');
      count = this.u64(e64 + 32);
      size = this.u64(e64 + 40);
      offset = this.u64(e64 + 48);
    }
    if (offset + size > b.length)
      this.fail(`a central directory within the file (${offset} + ${size} bytes)`, `a file of ${b.length} bytes`);
    return { count, offset, size };
  }

  private u16(p: number): number {
    return p + 2 <= this.view.byteLength ? this.view.getUint16(p, true) : this.fail(`2 bytes at ${p}`, 'the end of the file');
  }

  private u32(p: number): number {
    return p + 4 <= this.view.byteLength ? this.view.getUint32(p, true) : this.fail(`4 bytes at ${p}`, 'the end of the file');
  }

  private u64(p: number): number {
    const v = p + 8 <= this.view.byteLength ? this.view.getBigUint64(p, true) : this.fail(`8 bytes at ${p}`, 'the end of the file');
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a 64-bit field under 2^53 at ${p}`, String(v));
    return Number(v);
  }

  private fail(expected: string, got: string): never {
    throw new InvalidInputError(`${this.where}: expected ${expected}, got ${got}`);
  }
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

// The state of one unpickling (the bytes and read position, the stack, the marks, the memo)
// and the reads every opcode is made of; each failure names what it expected and what it got.
import { InvalidInputError } from '../../api/errors';

export interface PickleHooks {
  /** What GLOBAL module.name stands for: a function REDUCE may call, or any marker value; undefined refuses it. */
  resolve(module: string, name: string): unknown;
  /** BINPERSID: the object a persistent id (torch: ('storage', type, key, location, numel)) stands for. */
  persistentLoad(pid: unknown): unknown;
  /** BUILD on anything but a dict (whose state is ignored): apply `state` to `obj` or throw. */
  build?(obj: unknown, state: unknown): void;
}

const LATIN1 = new TextDecoder('latin1');
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class PickleMachine {
  p = 0;
  readonly stack: unknown[] = [];
  readonly marks: number[] = [];
  readonly memo = new Map<number, unknown>();
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly hooks: PickleHooks,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(expected: string, got: string): never {
    throw new InvalidInputError(`${this.where}: expected ${expected}, got ${got}`);
  }

  need(n: number): void {
    if (this.p + n > this.bytes.length) this.fail(`${n} more bytes at byte ${this.p}`, 'the end of the data (a truncated pickle)');
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.p++];
  }

  u16(): number {
    this.need(2);
    this.p += 2;
    return this.view.getUint16(this.p - 2, true);
  }

  u32(): number {
    this.need(4);
    this.p += 4;
    return this.view.getUint32(this.p - 4, true);
  }

  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.p, true);
    this.p += 8;
    if (v > BigInt(this.bytes.length)) this.fail('a length within the data', String(v));
    return Number(v);
  }

  take(n: number): Uint8Array {
    this.need(n);
    this.p += n;
    return this.bytes.subarray(this.p - n, this.p);
  }

  latin1(n: number): string {
    return LATIN1.decode(this.take(n));
  }

  line(): string {
    const end = this.bytes.indexOf(0x0a, this.p);
    if (end < 0) this.fail('a newline-ended name', 'the end of the data');
    const s = LATIN1.decode(this.bytes.subarray(this.p, end));
    this.p = end + 1;
    return s;
  }

  text(n: number): string {
    const b = this.take(n);
    try {
      return UTF8.decode(b);
    } catch {
      return this.fail('UTF-8 text', 'invalid UTF-8');
    }
  }

  push(v: unknown): void {
    this.stack.push(v);
  }

  pop(): unknown {
    return this.stack.length ? this.stack.pop() : this.fail('a value on the stack', 'an empty stack');
  }

  top(): unknown {
    return this.stack.length ? this.stack[this.stack.length - 1] : this.fail('a value on the stack', 'an empty stack');
  }

  popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('a MARK', 'none');
    return this.stack.splice(m);
  }

  memoGet(i: number): unknown {
    return this.memo.has(i) ? this.memo.get(i) : this.fail(`memo entry ${i}`, 'none');
  }

  asDict(d: unknown): Map<unknown, unknown> {
    return d instanceof Map ? d : this.fail('a dict to set items in', describe(d));
  }

  asList(l: unknown): unknown[] {
    return Array.isArray(l) ? l : this.fail('a list to append to', describe(l));
  }

  global(module: string, name: string): unknown {
    const v = this.hooks.resolve(module, name);
    if (v === undefined) {
      this.fail(
        'only tensors, dicts, lists, strings and numbers (torch.save of a state_dict, or of a dict holding one)',
        `a pickled ${module}.${name}; save the weights alone: torch.save(model.state_dict(), path)`,
      );
    }
    return v;
  }
}

/** A little-endian two's-complement integer (LONG1, LONG4): a number when safe, else a bigint. */
export function intFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a tuple or list';
  if (v instanceof Map) return 'a dict';
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'unknown'})`;
  return `${typeof v} ${String(v)}`;
}

// A minimal unpickler for what torch.save writes (pickle protocol 2; protocol 3-5 opcodes read
// too): None, bools, ints, floats, str, bytes, tuples, lists, dicts, sets, the memo, and
// persistent ids (torch's storages). Python objects come only from `resolve`, which maps a
// GLOBAL (module, name) to a JS function or a marker; every other global, and every opcode
// outside that set, is refused with a clear error, so no pickle can run code here.
//
// Python values become: None -> null, bool -> boolean, int -> number (bigint past 2^53),
// float -> number, str -> string, bytes -> Uint8Array, tuple and list -> array, dict -> Map,
// set -> Set.
import { InvalidInputError } from '../../api/errors';

export interface PickleHooks {
  /** What GLOBAL module.name stands for: a function REDUCE may call, or any marker value; undefined refuses it. */
  resolve(module: string, name: string): unknown;
  /** BINPERSID: the object a persistent id (torch: ('storage', type, key, location, numel)) stands for. */
  persistentLoad(pid: unknown): unknown;
  /** BUILD on anything but a dict (whose state is ignored): apply `state` to `obj` or throw. */
  build?(obj: unknown, state: unknown): void;
}

/** A callable global (REDUCE applies it to the args tuple). */
export type PickleCallable = (...args: unknown[]) => unknown;

export function unpickle(bytes: Uint8Array, hooks: PickleHooks, where = 'unpickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  // Annotated so that control flow knows a call never returns.
  const fail: (expected: string, got: string) => never = (expected, got) => {
    throw new InvalidInputError(`${where}: expected ${expected}, got ${got}`);
  };
  const need = (n: number) => {
    if (p + n > bytes.length) fail(`${n} more bytes at byte ${p}`, 'the end of the data (a truncated pickle)');
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(bytes.length)) fail('a length within the data', String(v));
    return Number(v);
  };
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail('a newline-ended name', 'the end of the data');
    const s = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const text = (n: number) => {
    const b = take(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail('UTF-8 text', 'invalid UTF-8');
    }
  };
  const pop = () => (stack.length ? stack.pop() : fail('a value on the stack', 'an empty stack'));
  const top = () => (stack.length ? stack[stack.length - 1] : fail('a value on the stack', 'an empty stack'));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('a MARK', 'none');
    return stack.splice(m);
  };
  const memoGet = (i: number) => (memo.has(i) ? memo.get(i) : fail(`memo entry ${i}`, 'none'));
  const asDict = (d: unknown): Map<unknown, unknown> => (d instanceof Map ? d : fail('a dict to set items in', describe(d)));
  const asList = (l: unknown): unknown[] => (Array.isArray(l) ? l : fail('a list to append to', describe(l)));
  const global = (module: string, name: string) => {
    const v = hooks.resolve(module, name);
    if (v === undefined) {
      fail(
        'only tensors, dicts, lists, strings and numbers (torch.save of a state_dict, or of a dict holding one)',
        `a pickled ${module}.${name}; save the weights alone: torch.save(model.state_dict(), path)`,
      );
    }
    return v;
  };
  const intFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto > 5) fail('pickle protocol 2 to 5', `protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail('one value on the stack at STOP', `${stack.length}`);
        return stack[0];
      // constants
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      // numbers
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(intFromBytes(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(intFromBytes(take(u32())));
        break;
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      // strings and bytes
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(new Uint8Array(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new Uint8Array(take(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(new Uint8Array(take(u64())));
        break;
      // containers
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top()).set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('key-value pairs in SETITEMS', `${items.length} items`);
        const d = asDict(top());
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('a set to add items to', describe(s));
        for (const v of items) s.add(v);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      // stack and memo
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      // objects
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('a module and name for STACK_GLOBAL', `${describe(module)}, ${describe(name)}`);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (typeof fn !== 'function') fail('a callable for REDUCE', describe(fn));
        if (!Array.isArray(args)) fail('an argument tuple for REDUCE', describe(args));
        stack.push((fn as PickleCallable)(...args));
        break;
      }
      case 0x62: {
        // BUILD: an OrderedDict's state (state_dict()'s _metadata) carries nothing the weights need.
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map)) {
          if (!hooks.build) fail('BUILD on a dict', describe(obj));
          hooks.build(obj, state);
        }
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(
          'a pickle opcode torch.save writes',
          `opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at}`,
        );
    }
    if (p > bytes.length) fail('more data', 'the end');
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a tuple or list';
  if (v instanceof Map) return 'a dict';
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'unknown'})`;
  return `${typeof v} ${String(v)}`;
}

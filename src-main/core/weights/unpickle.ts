// A minimal unpickler for what torch.save writes (pickle protocol 2; protocol 3-5 opcodes read
// too): None, bools, ints, floats, str, bytes, tuples, lists, dicts, sets, the memo, and
// persistent ids (torch's storages). Python objects come only from `resolve`, which maps a
// GLOBAL (module, name) to a JS function or a marker; every other global, and every opcode
// outside that set, is refused with a clear error, so no pickle can run code here.
//
// Python values become: None -> null, bool -> boolean, int -> number (bigint past 2^53),
// float -> number, str -> string, bytes -> Uint8Array, tuple and list -> array, dict -> Map,
// set -> Set.
import { describe, intFromBytes, PickleMachine, type PickleHooks } from './pickle-machine';

export type { PickleHooks } from './pickle-machine';

/** A callable global (REDUCE applies it to the args tuple). */
export type PickleCallable = (...args: unknown[]) => unknown;

type Op = (m: PickleMachine) => void;

const STOP = 0x2e;

const SCALARS: Record<number, Op> = {
  0x80: (m) => {
    // PROTO
    const proto = m.u8();
    if (proto > 5) m.fail('pickle protocol 2 to 5', `protocol ${proto}`);
  },
  0x95: (m) => {
    // FRAME: a length hint only
    m.need(8);
    m.p += 8;
  },
  0x4e: (m) => m.push(null), // NONE
  0x88: (m) => m.push(true), // NEWTRUE
  0x89: (m) => m.push(false), // NEWFALSE
  0x4a: (m) => {
    // BININT
    m.need(4);
    m.push(m.view.getInt32(m.p, true));
    m.p += 4;
  },
  0x4b: (m) => m.push(m.u8()), // BININT1
  0x4d: (m) => m.push(m.u16()), // BININT2
  0x8a: (m) => m.push(intFromBytes(m.take(m.u8()))), // LONG1
  0x8b: (m) => m.push(intFromBytes(m.take(m.u32()))), // LONG4
  0x47: (m) => {
    // BINFLOAT: big-endian double
    m.need(8);
    m.push(m.view.getFloat64(m.p, false));
    m.p += 8;
  },
  0x58: (m) => m.push(m.text(m.u32())), // BINUNICODE
  0x8c: (m) => m.push(m.text(m.u8())), // SHORT_BINUNICODE
  0x8d: (m) => m.push(m.text(m.u64())), // BINUNICODE8
  0x54: (m) => m.push(m.latin1(m.u32())), // BINSTRING (Python 2 str)
  0x55: (m) => m.push(m.latin1(m.u8())), // SHORT_BINSTRING
  0x42: (m) => m.push(new Uint8Array(m.take(m.u32()))), // BINBYTES
  0x43: (m) => m.push(new Uint8Array(m.take(m.u8()))), // SHORT_BINBYTES
  0x8e: (m) => m.push(new Uint8Array(m.take(m.u64()))), // BINBYTES8
  0x96: (m) => m.push(new Uint8Array(m.take(m.u64()))), // BYTEARRAY8
};

const CONTAINERS: Record<number, Op> = {
  0x28: (m) => m.marks.push(m.stack.length), // MARK
  0x29: (m) => m.push([]), // EMPTY_TUPLE
  0x74: (m) => m.push(m.popMark()), // TUPLE
  0x85: (m) => m.push([m.pop()]), // TUPLE1
  0x86: (m) => {
    // TUPLE2
    const b = m.pop();
    m.push([m.pop(), b]);
  },
  0x87: (m) => {
    // TUPLE3
    const c = m.pop();
    const b = m.pop();
    m.push([m.pop(), b, c]);
  },
  0x5d: (m) => m.push([]), // EMPTY_LIST
  0x6c: (m) => m.push(m.popMark()), // LIST
  0x61: (m) => {
    // APPEND
    const v = m.pop();
    m.asList(m.top()).push(v);
  },
  0x65: (m) => {
    // APPENDS
    const items = m.popMark();
    m.asList(m.top()).push(...items);
  },
  0x7d: (m) => m.push(new Map()), // EMPTY_DICT
  0x64: (m) => {
    // DICT
    const items = m.popMark();
    const d = new Map();
    for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
    m.push(d);
  },
  0x73: (m) => {
    // SETITEM
    const v = m.pop();
    const k = m.pop();
    m.asDict(m.top()).set(k, v);
  },
  0x75: (m) => {
    // SETITEMS
    const items = m.popMark();
    if (items.length % 2) m.fail('key-value pairs in SETITEMS', `${items.length} items`);
    const d = m.asDict(m.top());
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  },
  0x8f: (m) => m.push(new Set()), // EMPTY_SET
  0x90: (m) => {
    // ADDITEMS
    const items = m.popMark();
    const s = m.top();
    if (!(s instanceof Set)) return m.fail('a set to add items to', describe(s));
    for (const v of items) s.add(v);
  },
  0x91: (m) => m.push(new Set(m.popMark())), // FROZENSET
};

const STACK_AND_OBJECTS: Record<number, Op> = {
  0x30: (m) => void m.pop(), // POP
  0x31: (m) => void m.popMark(), // POP_MARK
  0x32: (m) => m.push(m.top()), // DUP
  0x71: (m) => void m.memo.set(m.u8(), m.top()), // BINPUT
  0x72: (m) => void m.memo.set(m.u32(), m.top()), // LONG_BINPUT
  0x94: (m) => void m.memo.set(m.memo.size, m.top()), // MEMOIZE
  0x68: (m) => m.push(m.memoGet(m.u8())), // BINGET
  0x6a: (m) => m.push(m.memoGet(m.u32())), // LONG_BINGET
  0x63: (m) => {
    // GLOBAL
    const module = m.line();
    m.push(m.global(module, m.line()));
  },
  0x93: (m) => {
    // STACK_GLOBAL
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== 'string' || typeof name !== 'string')
      return m.fail('a module and name for STACK_GLOBAL', `${describe(module)}, ${describe(name)}`);
    m.push(m.global(module, name));
  },
  0x52: (m) => {
    // REDUCE
    const args = m.pop();
    const fn = m.pop();
    if (typeof fn !== 'function') return m.fail('a callable for REDUCE', describe(fn));
    if (!Array.isArray(args)) return m.fail('an argument tuple for REDUCE', describe(args));
    m.push((fn as PickleCallable)(...args));
  },
  0x62: (m) => {
    // BUILD: an OrderedDict's state (state_dict()'s _metadata) carries nothing the weights need.
    const state = m.pop();
    const obj = m.top();
    if (!(obj instanceof Map)) {
      if (!m.hooks.build) return m.fail('BUILD on a dict', describe(obj));
      m.hooks.build(obj, state);
    }
  },
  0x51: (m) => m.push(m.hooks.persistentLoad(m.pop())), // BINPERSID
};

const OPS = new Map<number, Op>(
  [SCALARS, CONTAINERS, STACK_AND_OBJECTS].flatMap((table) => Object.entries(table).map(([op, f]) => [Number(op), f] as const)),
);

export function unpickle(bytes: Uint8Array, hooks: PickleHooks, where = 'unpickle'): unknown {
  const m = new PickleMachine(bytes, hooks, where);
  for (;;) {
    const at = m.p;
    const op = m.u8();
    if (op === STOP) {
      if (m.stack.length !== 1) m.fail('one value on the stack at STOP', `${m.stack.length}`);
      return m.stack[0];
    }
    const run = OPS.get(op);
    if (!run) {
      return m.fail(
        'a pickle opcode torch.save writes',
        `opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at}`,
      );
    }
    run(m);
    if (m.p > bytes.length) m.fail('more data', 'the end');
  }
}

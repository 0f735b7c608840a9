// A small, safe pickle reader: it interprets the pickle opcodes (protocols 0–4) as data and never executes
// anything. The only "callables" it knows are a fixed list of constructors, each rebuilt here from the pickled
// data, enough for the Planetoid files (Python 2 cPickle, protocol 2) and the same objects pickled by Python 3:
//   dict, list, tuple, int, float, str/bytes, set, defaultdict(list), numpy ndarray and dtype, numpy scalars,
//   scipy.sparse csr_matrix.
// Any other global (module.name) is refused with an error naming it and the file.
// Opcode reference: CPython Lib/pickletools.py.
import { readFileSync } from 'node:fs';
import { halfToFloat } from './half.ts';

export type NumArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;

/** A numpy dtype: kind ('f' float, 'i' int, 'u' unsigned, 'b' bool), item size in bytes, byte order. */
export class NumpyDType {
  byteorder: '<' | '>' | '|' | '=' = '=';
  constructor(readonly kind: string, readonly itemsize: number, readonly descr: string) {}
}

/** A numpy array, converted to a C-ordered typed array (int64 → Int32Array when every value fits; f2 → Float32Array). */
export class NdArray {
  dtype = '';
  shape: number[] = [];
  data: NumArray = new Float64Array(0);
  /** False until the pickle's BUILD (ndarray.__setstate__) has filled it. */
  built = false;
}

/** scipy.sparse.csr_matrix: row i's entries are indices/data[indptr[i] : indptr[i+1]]. */
export class CsrMatrix {
  shape: [number, number] = [0, 0];
  indptr: Int32Array = new Int32Array(0);
  indices: Int32Array = new Int32Array(0);
  data: NumArray = new Float64Array(0);
  built = false;
}

/** collections.defaultdict: a Map that remembers its default factory's name (e.g. 'list'). */
export class DefaultDict extends Map<unknown, unknown> {
  constructor(readonly defaultFactory: string | null) { super(); }
}

/** A reference to one of the allowed globals; only ever produced by GLOBAL / STACK_GLOBAL. */
class PyGlobal {
  constructor(readonly qualname: string) {}
}

const MARK = Symbol('MARK');

// Allowed globals, under both their Python 2 and Python 3 (and newer numpy/scipy) names.
const ALIASES: Record<string, string> = {
  '__builtin__.list': 'list', 'builtins.list': 'list',
  '__builtin__.dict': 'dict', 'builtins.dict': 'dict',
  '__builtin__.set': 'set', 'builtins.set': 'set',
  '__builtin__.object': 'object', 'builtins.object': 'object',
  '__builtin__.bytes': 'bytes', 'builtins.bytes': 'bytes',
  'collections.defaultdict': 'defaultdict',
  'copy_reg._reconstructor': 'reconstructor', 'copyreg._reconstructor': 'reconstructor',
  '_codecs.encode': 'codecs.encode',
  'numpy.core.multiarray._reconstruct': 'ndarray._reconstruct', 'numpy._core.multiarray._reconstruct': 'ndarray._reconstruct',
  'numpy.ndarray': 'ndarray',
  'numpy.dtype': 'dtype',
  'numpy.core.multiarray.scalar': 'scalar', 'numpy._core.multiarray.scalar': 'scalar',
  'scipy.sparse.csr.csr_matrix': 'csr_matrix', 'scipy.sparse._csr.csr_matrix': 'csr_matrix',
};

class PickleError extends Error {}

/** Reads one pickled object from a file (path) or bytes. `name` labels a buffer in error messages. */
export function readPickle(source: string | Uint8Array, name = typeof source === 'string' ? source : '<buffer>'): unknown {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try { bytes = readFileSync(source); } catch (e) { throw new Error(`readPickle: ${name}: cannot read: ${(e as Error).message}`); }
  } else bytes = source;
  const r = new Reader(bytes);
  try {
    return r.run();
  } catch (e) {
    if (!(e instanceof PickleError)) throw e;
    throw new Error(`readPickle: ${name}: ${e.message} (at byte ${r.opStart}${r.opName ? `, opcode ${r.opName}` : ''})`);
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};

class Reader {
  pos = 0;
  opStart = 0;
  opName = '';
  private stack: unknown[] = [];
  private marks: number[] = [];
  private memo = new Map<number, unknown>();
  private created: (NdArray | CsrMatrix)[] = [];
  private view: DataView;

  constructor(private bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(msg: string): never { throw new PickleError(msg); }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail(`truncated: needs ${n} more bytes, ${this.bytes.length - this.pos} left`);
  }
  private u8(): number { this.need(1); return this.bytes[this.pos++]; }
  private u16(): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  private i32(): number { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  private u32(): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  private u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.bytes.length)) this.fail(`truncated: length ${v} exceeds the file`);
    return Number(v);
  }
  private take(n: number): Uint8Array { this.need(n); const b = this.bytes.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  private line(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('truncated: missing end of line');
    const b = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return b;
  }
  private utf8(b: Uint8Array): string {
    try { return utf8Decoder.decode(b); } catch { return this.fail('invalid UTF-8 in a string'); }
  }

  private push(v: unknown): void { this.stack.push(v); }
  private pop(): unknown {
    if (this.stack.length === 0 || (this.marks.length && this.stack.length <= this.marks[this.marks.length - 1])) this.fail('stack underflow');
    return this.stack.pop();
  }
  private top(): unknown {
    if (this.stack.length === 0 || (this.marks.length && this.stack.length <= this.marks[this.marks.length - 1])) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    return this.stack.splice(m);
  }
  private memoGet(i: number): unknown {
    if (!this.memo.has(i)) this.fail(`memo key ${i} was never stored`);
    return this.memo.get(i);
  }
  private memoPut(i: number): void { this.memo.set(i, this.top()); }

  private int(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  private decimal(s: string, what: string): bigint {
    if (!/^[+-]?\d+$/.test(s)) this.fail(`${what}: ${JSON.stringify(s.slice(0, 40))} is not an integer`);
    return BigInt(s);
  }
  private longBytes(b: Uint8Array): number | bigint {
    // little-endian two's complement
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return this.int(v);
  }

  run(): unknown {
    const b = this.bytes;
    while (this.pos < b.length) {
      this.opStart = this.pos;
      const op = b[this.pos++];
      this.opName = OPNAMES[op] ?? `0x${op.toString(16)}`;
      switch (op) {
        case 0x80: { const p = this.u8(); if (p > 5) this.fail(`unsupported protocol ${p}`); break; } // PROTO
        case 0x95: this.u64(); break; // FRAME: framing is only a hint for buffered readers
        case 0x2e: { // STOP
          const v = this.pop();
          if (this.stack.length || this.marks.length) this.fail(`${this.stack.length} values left on the stack at STOP`);
          if (this.pos !== b.length) this.fail(`${b.length - this.pos} trailing bytes after STOP`);
          for (const o of this.created) if (!o.built) this.fail(`a ${o instanceof NdArray ? 'numpy array' : 'csr_matrix'} was never given its state (missing BUILD)`);
          return v;
        }
        case 0x28: this.marks.push(this.stack.length); break; // MARK
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP

        // --- constants and numbers
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x49: { // INT (text); protocol 0 spells booleans I01 / I00
          const s = latin1(this.line());
          if (s === '01') this.push(true);
          else if (s === '00') this.push(false);
          else this.push(this.int(this.decimal(s, 'INT')));
          break;
        }
        case 0x4c: this.push(this.int(this.decimal(latin1(this.line()).replace(/L$/, ''), 'LONG'))); break; // LONG
        case 0x8a: this.push(this.longBytes(this.take(this.u8()))); break; // LONG1
        case 0x8b: { const n = this.i32(); if (n < 0) this.fail('negative length'); this.push(this.longBytes(this.take(n))); break; } // LONG4
        case 0x46: { // FLOAT (text repr)
          const s = latin1(this.line()).trim();
          if (!/^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|nan)$/i.test(s)) this.fail(`FLOAT: ${JSON.stringify(s.slice(0, 40))} is not a number`);
          this.push(/inf/i.test(s) ? (s[0] === '-' ? -Infinity : Infinity) : /nan/i.test(s) ? NaN : Number(s));
          break;
        }
        case 0x47: { this.need(8); this.push(this.view.getFloat64(this.pos, false)); this.pos += 8; break; } // BINFLOAT (big-endian)

        // --- strings. Python 2 str (STRING/BINSTRING/SHORT_BINSTRING) is decoded as latin1, like pickle.load(encoding='latin1').
        case 0x53: this.push(this.pyStringLiteral(latin1(this.line()))); break; // STRING
        case 0x54: { const n = this.i32(); if (n < 0) this.fail('negative length'); this.push(latin1(this.take(n))); break; } // BINSTRING
        case 0x55: this.push(latin1(this.take(this.u8()))); break; // SHORT_BINSTRING
        case 0x56: this.push(this.rawUnicodeEscape(latin1(this.line()))); break; // UNICODE
        case 0x58: this.push(this.utf8(this.take(this.u32()))); break; // BINUNICODE
        case 0x8c: this.push(this.utf8(this.take(this.u8()))); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.utf8(this.take(this.u64()))); break; // BINUNICODE8
        case 0x42: this.push(new Uint8Array(this.take(this.u32()))); break; // BINBYTES
        case 0x43: this.push(new Uint8Array(this.take(this.u8()))); break; // SHORT_BINBYTES
        case 0x8e: this.push(new Uint8Array(this.take(this.u64()))); break; // BINBYTES8
        case 0x96: this.push(new Uint8Array(this.take(this.u64()))); break; // BYTEARRAY8

        // --- containers
        case 0x29: this.push(Object.freeze([])); break; // EMPTY_TUPLE
        case 0x74: this.push(Object.freeze(this.popMark())); break; // TUPLE
        case 0x85: { const a = this.pop(); this.push(Object.freeze([a])); break; } // TUPLE1
        case 0x86: { const c = this.pop(), a = this.pop(); this.push(Object.freeze([a, c])); break; } // TUPLE2
        case 0x87: { const c = this.pop(), bb = this.pop(), a = this.pop(); this.push(Object.freeze([a, bb, c])); break; } // TUPLE3
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x61: { const v = this.pop(); this.list(this.top()).push(v); break; } // APPEND
        case 0x65: { const items = this.popMark(); this.list(this.top()).push(...items); break; } // APPENDS
        case 0x7d: this.push(new Map()); break; // EMPTY_DICT
        case 0x64: { const items = this.popMark(); const d = new Map(); this.setItems(d, items); this.push(d); break; } // DICT
        case 0x73: { const v = this.pop(), k = this.pop(); this.setItems(this.dict(this.top()), [k, v]); break; } // SETITEM
        case 0x75: { const items = this.popMark(); this.setItems(this.dict(this.top()), items); break; } // SETITEMS
        case 0x8f: this.push(new Set()); break; // EMPTY_SET
        case 0x90: { const items = this.popMark(); const s = this.top(); if (!(s instanceof Set)) this.fail('ADDITEMS target is not a set'); for (const x of items) s.add(x); break; }
        case 0x91: this.push(new Set(this.popMark())); break; // FROZENSET

        // --- memo
        case 0x70: this.memoPut(Number(this.decimal(latin1(this.line()), 'PUT'))); break; // PUT
        case 0x71: this.memoPut(this.u8()); break; // BINPUT
        case 0x72: this.memoPut(this.u32()); break; // LONG_BINPUT
        case 0x94: this.memoPut(this.memo.size); break; // MEMOIZE
        case 0x67: this.push(this.memoGet(Number(this.decimal(latin1(this.line()), 'GET')))); break; // GET
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET

        // --- globals and object construction, restricted to the allowed list
        case 0x63: { // GLOBAL "module\nname\n"
          const mod = latin1(this.line()), nm = latin1(this.line());
          this.push(this.global(mod, nm));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const nm = this.pop(), mod = this.pop();
          if (typeof mod !== 'string' || typeof nm !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(mod, nm));
          break;
        }
        case 0x52: { const args = this.pop(), fn = this.pop(); this.push(this.call(fn, this.tuple(args, 'REDUCE arguments'))); break; } // REDUCE
        case 0x81: { const args = this.pop(), cls = this.pop(); this.push(this.newObj(cls, this.tuple(args, 'NEWOBJ arguments'))); break; } // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          const kw = this.pop(), args = this.pop(), cls = this.pop();
          if (!(kw instanceof Map) || kw.size) this.fail('NEWOBJ_EX with keyword arguments is not supported');
          this.push(this.newObj(cls, this.tuple(args, 'NEWOBJ_EX arguments')));
          break;
        }
        case 0x62: { const state = this.pop(); this.build(this.top(), state); break; } // BUILD

        default:
          // INST, OBJ (instantiate arbitrary classes), PERSID/BINPERSID, EXT1/2/4, NEXT_BUFFER, READONLY_BUFFER, unknown bytes
          this.fail(`unsupported opcode ${this.opName}`);
      }
    }
    return this.fail('truncated: no STOP opcode');
  }

  private list(x: unknown): unknown[] {
    if (!Array.isArray(x) || Object.isFrozen(x)) this.fail('APPEND target is not a list');
    return x;
  }
  private dict(x: unknown): Map<unknown, unknown> {
    if (!(x instanceof Map)) this.fail('SETITEM target is not a dict');
    return x;
  }
  private setItems(d: Map<unknown, unknown>, items: unknown[]): void {
    if (items.length % 2) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  }
  private tuple(x: unknown, what: string): readonly unknown[] {
    if (!Array.isArray(x)) this.fail(`${what} is not a tuple`);
    return x;
  }

  private global(mod: string, nm: string): PyGlobal {
    const q = `${mod}.${nm}`;
    const known = ALIASES[q];
    if (!known) this.fail(`refusing to load global '${q}': only plain data, numpy arrays and scipy csr matrices are allowed`);
    return new PyGlobal(known);
  }

  /** REDUCE: fn(*args) for the allowed callables. */
  private call(fn: unknown, args: readonly unknown[]): unknown {
    if (!(fn instanceof PyGlobal)) this.fail('REDUCE on something that is not an allowed global');
    switch (fn.qualname) {
      case 'defaultdict': {
        const f = args[0];
        if (args.length > 1 || (f !== undefined && f !== null && !(f instanceof PyGlobal && ['list', 'dict', 'set'].includes(f.qualname)))) this.fail('defaultdict factory must be list, dict or set');
        return new DefaultDict(f instanceof PyGlobal ? f.qualname : null);
      }
      case 'bytes': // Python 3 writes b'' in protocols < 3 as bytes()
        if (args.length) this.fail('bytes(...) with arguments is not supported');
        return new Uint8Array(0);
      case 'codecs.encode': {
        // Python 3 writes bytes in protocols < 3 as _codecs.encode(text, 'latin1')
        const [s, enc] = args;
        if (typeof s !== 'string' || (args.length > 1 && (typeof enc !== 'string' || !/^(latin-?1|iso-?8859-1)$/i.test(enc)))) this.fail(`_codecs.encode: only latin1 text is supported`);
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) this.fail('_codecs.encode: character outside latin1');
          out[i] = c;
        }
        return out;
      }
      case 'reconstructor': { // copy_reg._reconstructor(cls, object, None): protocol 0/1 spelling of cls.__new__(cls)
        const [cls, base, state] = args;
        if (!(base instanceof PyGlobal) || base.qualname !== 'object' || state !== null) this.fail('copy_reg._reconstructor is only supported with base object');
        return this.newObj(cls, []);
      }
      case 'ndarray._reconstruct': {
        const [sub] = args;
        if (!(sub instanceof PyGlobal) || sub.qualname !== 'ndarray') this.fail('_reconstruct: only numpy.ndarray is supported');
        const a = new NdArray();
        this.created.push(a);
        return a;
      }
      case 'dtype': {
        const [descr] = args;
        if (typeof descr !== 'string') this.fail('numpy dtype: descriptor is not a string');
        return this.dtype(descr);
      }
      case 'scalar': {
        const [dt, raw] = args;
        if (!(dt instanceof NumpyDType)) this.fail('numpy scalar: first argument is not a dtype');
        const a = this.toTyped(dt, this.rawBytes(raw), 1);
        return a[0];
      }
      default:
        return this.fail(`calling '${fn.qualname}' is not supported`);
    }
  }

  private newObj(cls: unknown, args: readonly unknown[]): unknown {
    if (!(cls instanceof PyGlobal)) this.fail('NEWOBJ on something that is not an allowed class');
    if (cls.qualname === 'csr_matrix' && args.length === 0) {
      const m = new CsrMatrix();
      this.created.push(m);
      return m;
    }
    if (cls.qualname === 'dict' && args.length === 0) return new Map();
    if (cls.qualname === 'list' && args.length === 0) return [];
    return this.fail(`creating '${cls.qualname}' with ${args.length} arguments is not supported`);
  }

  /** BUILD: obj.__setstate__(state) for the objects that have state. */
  private build(obj: unknown, state: unknown): void {
    if (obj instanceof NumpyDType) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
      const s = this.tuple(state, 'dtype state');
      if (s.length < 8 || typeof s[1] !== 'string' || s[2] !== null || s[3] !== null || s[4] !== null) this.fail('numpy dtype: only simple (non-structured) dtypes are supported');
      const bo = s[1];
      if (!['<', '>', '|', '='].includes(bo)) this.fail(`numpy dtype: bad byte order ${JSON.stringify(bo)}`);
      obj.byteorder = bo as NumpyDType['byteorder'];
      return;
    }
    if (obj instanceof NdArray) {
      // (version, shape, dtype, is_fortran, rawdata)
      const s = this.tuple(state, 'ndarray state');
      const [shapeT, dt, fortran, raw] = s.length === 5 ? s.slice(1) : s.length === 4 ? s : this.fail('numpy array: bad state tuple');
      if (obj.built) this.fail('numpy array state set twice');
      const shape = this.tuple(shapeT, 'numpy array shape');
      if (!shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) this.fail('numpy array: shape is not a tuple of non-negative integers');
      if (!(dt instanceof NumpyDType)) this.fail('numpy array: dtype missing');
      if (typeof fortran !== 'boolean' && fortran !== 0 && fortran !== 1) this.fail('numpy array: is_fortran is not a boolean');
      let n = 1;
      for (const d of shape as number[]) n *= d;
      const bytes = this.rawBytes(raw);
      if (bytes.length !== n * dt.itemsize) this.fail(`numpy array: shape [${shape.join(', ')}] of ${dt.descr} needs ${n * dt.itemsize} bytes, the data has ${bytes.length}`);
      let data = this.toTyped(dt, bytes, n);
      if (fortran && shape.length > 1) data = fortranToC(data, shape as number[]);
      obj.dtype = dt.descr;
      obj.shape = [...(shape as number[])];
      obj.data = data;
      obj.built = true;
      return;
    }
    if (obj instanceof CsrMatrix) {
      if (!(state instanceof Map)) this.fail('csr_matrix state is not a dict');
      if (obj.built) this.fail('csr_matrix state set twice');
      this.csr(obj, state);
      return;
    }
    this.fail('BUILD (setstate) on an object that has no supported state');
  }

  private csr(m: CsrMatrix, st: Map<unknown, unknown>): void {
    const shape = st.get('_shape') ?? st.get('shape');
    const { indptr, indices, data } = { indptr: st.get('indptr'), indices: st.get('indices'), data: st.get('data') };
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) this.fail('csr_matrix: _shape is not a pair of non-negative integers');
    for (const [k, v] of [['indptr', indptr], ['indices', indices], ['data', data]] as const) {
      if (!(v instanceof NdArray) || !v.built || v.shape.length !== 1) this.fail(`csr_matrix: ${k} is not a 1-D numpy array`);
    }
    const [rows, cols] = shape as number[];
    const ip = this.indexArray((indptr as NdArray).data, 'indptr');
    const ix = this.indexArray((indices as NdArray).data, 'indices');
    const nnz = ix.length;
    if (ip.length !== rows + 1) this.fail(`csr_matrix: indptr has ${ip.length} entries, expected rows + 1 = ${rows + 1}`);
    if (ip[0] !== 0 || ip[rows] !== nnz) this.fail(`csr_matrix: indptr must run from 0 to nnz = ${nnz}`);
    for (let i = 0; i < rows; i++) if (ip[i + 1] < ip[i]) this.fail(`csr_matrix: indptr decreases at row ${i}`);
    for (let k = 0; k < nnz; k++) if (ix[k] < 0 || ix[k] >= cols) this.fail(`csr_matrix: column index ${ix[k]} out of range for ${cols} columns`);
    if ((data as NdArray).data.length !== nnz) this.fail(`csr_matrix: data has ${(data as NdArray).data.length} values, indices ${nnz}`);
    m.shape = [rows, cols];
    m.indptr = ip;
    m.indices = ix;
    m.data = (data as NdArray).data;
    m.built = true;
  }

  private indexArray(a: NumArray, what: string): Int32Array {
    if (a instanceof Int32Array) return a;
    if (a instanceof Float32Array || a instanceof Float64Array) this.fail(`csr_matrix: ${what} has a float dtype`);
    const out = new Int32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      if (a[i] > 2147483647) this.fail(`csr_matrix: ${what} value ${a[i]} does not fit in int32`);
      out[i] = a[i];
    }
    return out;
  }

  private dtype(descr: string): NumpyDType {
    const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
    const ok = m && ({ f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] } as Record<string, number[]>)[m[2]].includes(Number(m[3]));
    if (!m || !ok) this.fail(`numpy dtype '${descr}' is not supported (only bool, int, uint and float)`);
    const dt = new NumpyDType(m[2], Number(m[3]), `${m[2]}${m[3]}`);
    if (m[1]) dt.byteorder = m[1] as NumpyDType['byteorder'];
    return dt;
  }

  private rawBytes(raw: unknown): Uint8Array {
    if (raw instanceof Uint8Array) return raw;
    if (typeof raw === 'string') {
      // Python 2 str data, read as latin1: one char per byte
      const out = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const c = raw.charCodeAt(i);
        if (c > 255) this.fail('numpy array data is text, not bytes');
        out[i] = c;
      }
      return out;
    }
    return this.fail('numpy data is not a byte string (object arrays are not supported)');
  }

  private toTyped(dt: NumpyDType, raw: Uint8Array, n: number): NumArray {
    const size = dt.itemsize;
    const copy = new Uint8Array(raw); // fresh, aligned
    if (dt.byteorder === '>' && size > 1) for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
    const buf = copy.buffer;
    switch (`${dt.kind}${size}`) {
      case 'b1': case 'u1': return new Uint8Array(buf);
      case 'i1': return new Int8Array(buf);
      case 'i2': return new Int16Array(buf);
      case 'u2': return new Uint16Array(buf);
      case 'i4': return new Int32Array(buf);
      case 'u4': return new Uint32Array(buf);
      case 'f4': return new Float32Array(buf);
      case 'f8': return new Float64Array(buf);
      case 'f2': { const h = new Uint16Array(buf); const out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]); return out; }
      case 'i8': case 'u8': {
        const src = dt.kind === 'i' ? new BigInt64Array(buf) : new BigUint64Array(buf);
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = src[i];
          if (v > 2147483647n || v < -2147483648n) this.fail(`numpy ${dt.descr} value ${v} does not fit in int32`);
          out[i] = Number(v);
        }
        return out;
      }
    }
    return this.fail(`numpy dtype ${dt.descr} is not supported`);
  }

  /** Python 2 repr of a str: 'text' or "text" with backslash escapes. */
  private pyStringLiteral(s: string): string {
    const q = s[0];
    if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) this.fail('STRING is not a quoted literal');
    const body = s.slice(1, -1);
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c !== '\\') { out += c; continue; }
      const e = body[++i];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) { out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16)); i += 2; }
      else if (e !== undefined && /[0-7]/.test(e)) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
        out += String.fromCharCode(parseInt(oct, 8) & 0xff);
        i += oct.length - 1;
      } else this.fail('STRING has a bad escape');
    }
    return out;
  }

  /** raw-unicode-escape: bytes are latin1 code points except \uXXXX and \UXXXXXXXX. */
  private rawUnicodeEscape(s: string): string {
    return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
      const cp = parseInt((u4 ?? u8)!, 16);
      if (cp > 0x10ffff) this.fail('UNICODE escape out of range');
      return String.fromCodePoint(cp);
    });
  }
}

/** Reorders a column-major (Fortran) array to row-major. */
function fortranToC(src: NumArray, shape: number[]): NumArray {
  const out = new (src.constructor as { new(n: number): NumArray })(src.length);
  const k = shape.length;
  const fStride = new Array<number>(k);
  let acc = 1;
  for (let j = 0; j < k; j++) { fStride[j] = acc; acc *= shape[j]; }
  const idx = new Array<number>(k).fill(0);
  let f = 0;
  for (let c = 0; c < src.length; c++) {
    out[c] = src[f];
    for (let j = k - 1; j >= 0; j--) {
      idx[j]++; f += fStride[j];
      if (idx[j] < shape[j]) break;
      f -= fStride[j] * shape[j]; idx[j] = 0;
    }
  }
  return out;
}

const OPNAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

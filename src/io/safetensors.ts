// safetensors reader/writer (https://github.com/huggingface/safetensors, format section of its README):
//   [u64 little-endian N] [N bytes of UTF-8 JSON header, space-padded] [raw little-endian tensor bytes]
// header = { name: {dtype, shape, data_offsets: [begin, end]}, ..., "__metadata__": {string: string} }
// Offsets are relative to the first byte after the header; the tensors must tile the data buffer exactly.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.ts';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from './half.ts';

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL';
/** What a tensor is read as: F16/BF16 widen to Float32Array, I64 narrows to Int32Array (error when out of range). */
export type SafeArray = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeArray;
}

/** Input to writeSafetensors: a deepten Tensor fits (dtype 'float32' | 'float64' | 'int32'). */
export interface TensorInput {
  dtype: SafeDType | 'float32' | 'float64' | 'int32';
  shape: readonly number[];
  data: ArrayLike<number>;
}

const ITEMSIZE: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I8: 1, U8: 1, BOOL: 1 };
const ENGINE_DTYPE: Record<string, SafeDType> = { float32: 'F32', float64: 'F64', int32: 'I32' };

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('safetensors: this reader assumes a little-endian host');
}

function isSafeDType(d: unknown): d is SafeDType {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(ITEMSIZE, d);
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------- read

export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/**
 * Reads a .safetensors file (path) or its bytes (Buffer/Uint8Array; `name` labels them in errors). Errors name the
 * file and what is wrong.
 */
export function readSafetensors(source: string | Uint8Array, name = typeof source === 'string' ? source : '<buffer>'): SafetensorsFile {
  const file = name;
  const fail = (msg: string): never => { throw new Error(`readSafetensors: ${file}: ${msg}`); };
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try { bytes = readFileSync(source); } catch (e) { return fail(`cannot read: ${(e as Error).message}`); }
  } else bytes = source;

  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) fail(`header length ${n64} goes beyond the end of the file (${bytes.length} bytes)`);
  const n = Number(n64);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  if (n > 100_000_000) fail(`header length ${n} exceeds the 100 MB limit of the format`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`header does not start with '{' (got ${JSON.stringify(text.slice(0, 16))})`);
  let header: unknown;
  try { header = JSON.parse(text); } catch (e) { return fail(`header is not valid JSON: ${(e as Error).message}`); }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, info] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k)}] is not a string`);
        if (k === '__proto__') fail('__metadata__ key "__proto__" is not allowed');
        metadata[k] = v as string;
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(key)}`;
    if (key === '__proto__') fail('tensor name "__proto__" is not allowed');
    if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(`${what}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (!isSafeDType(dtype)) fail(`${what}: unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEMSIZE).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${what}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${what}: data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    const [begin, end] = offs as number[];
    if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] has begin > end`);
    if (end > data.length) fail(`${what}: data_offsets [${begin}, ${end}] out of range: the data buffer has ${data.length} bytes`);
    const want = product(shape as number[]) * ITEMSIZE[dtype as SafeDType];
    if (want !== end - begin) fail(`${what}: shape [${(shape as number[]).join(', ')}] × ${ITEMSIZE[dtype as SafeDType]} bytes (${dtype}) = ${want} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
    entries.push({ name: key, dtype: dtype as SafeDType, shape: shape as number[], begin, end });
  }

  // The tensors must tile [0, data.length) with neither gaps nor overlaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${pos})`);
    if (e.begin > pos) fail(`tensor ${JSON.stringify(e.name)}: gap in the data buffer: bytes [${pos}, ${e.begin}) belong to no tensor`);
    pos = e.end;
  }
  if (pos !== data.length) fail(`the tensors cover ${pos} bytes but the data buffer has ${data.length} (trailing bytes belong to no tensor)`);

  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: decode(e.dtype, data.subarray(e.begin, e.end), (m) => fail(`tensor ${JSON.stringify(e.name)}: ${m}`)) };
  }
  return { tensors, metadata };
}

function decode(dtype: SafeDType, raw: Uint8Array, fail: (m: string) => never): SafeArray {
  // Copy into a fresh, aligned buffer: the tensor's offset in the file need not be a multiple of its item size.
  // (new Uint8Array(raw) copies; Buffer#slice would return a view of the whole file.)
  const copy = new Uint8Array(raw).buffer;
  switch (dtype) {
    case 'F64': return new Float64Array(copy);
    case 'F32': return new Float32Array(copy);
    case 'I32': return new Int32Array(copy);
    case 'I8': return new Int8Array(copy);
    case 'U8': return new Uint8Array(copy);
    case 'BOOL': {
      const b = new Uint8Array(copy);
      for (let i = 0; i < b.length; i++) if (b[i] > 1) fail(`BOOL element ${i} has byte value ${b[i]} (must be 0 or 1)`);
      return b;
    }
    case 'I64': {
      const src = new BigInt64Array(copy);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > 2147483647n || v < -2147483648n) fail(`I64 element ${i} = ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'F16':
    case 'BF16': {
      const src = new Uint16Array(copy);
      const out = new Float32Array(src.length);
      const conv = dtype === 'F16' ? halfToFloat : bf16ToFloat;
      for (let i = 0; i < src.length; i++) out[i] = conv(src[i]);
      return out;
    }
  }
}

// ---------------------------------------------------------------- write

/**
 * Writes tensors (and optional string metadata) as safetensors, atomically. Tensors are laid out by descending
 * item size, then name, so each tensor's bytes are aligned to its item size (the header is padded to 8 bytes).
 */
export function writeSafetensors(path: string, tensors: Record<string, TensorInput>, metadata?: Record<string, string>): void {
  const fail = (msg: string): never => { throw new Error(`writeSafetensors: ${path}: ${msg}`); };
  const items = Object.entries(tensors).map(([name, t]) => {
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__') fail(`"__metadata__" is reserved and cannot be a tensor name`);
    if (!t || typeof t !== 'object') fail(`${what} is not {dtype, shape, data}`);
    const dtype = isSafeDType(t.dtype) ? t.dtype : ENGINE_DTYPE[t.dtype as string];
    if (!dtype) fail(`${what}: unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${what}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    const n = product(t.shape);
    if (!t.data || t.data.length !== n) fail(`${what}: shape [${t.shape.join(', ')}] needs ${n} elements, data has ${t.data?.length}`);
    return { name, dtype, shape: [...t.shape], bytes: encode(dtype, t.data, (m) => fail(`${what}: ${m}`)) };
  });
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) fail('metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata[${JSON.stringify(k)}] is not a string`);
  }
  items.sort((a, b) => ITEMSIZE[b.dtype] - ITEMSIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const it of items) {
    header[it.name] = { dtype: it.dtype, shape: it.shape, data_offsets: [off, off + it.bytes.length] };
    off += it.bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileAtomic(path, [len, json, ...items.map((it) => it.bytes)]);
}

function encode(dtype: SafeDType, data: ArrayLike<number>, fail: (m: string) => never): Uint8Array {
  const n = data.length;
  const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const checkInt = (lo: number, hi: number) => {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < lo || v > hi) fail(`element ${i} = ${v} is not a ${dtype} value (integer in [${lo}, ${hi}])`);
    }
  };
  switch (dtype) {
    case 'F64': return asBytes(Float64Array.from(data));
    case 'F32': return asBytes(Float32Array.from(data));
    case 'I32': checkInt(-2147483648, 2147483647); return asBytes(Int32Array.from(data));
    case 'I8': checkInt(-128, 127); return asBytes(Int8Array.from(data));
    case 'U8': checkInt(0, 255); return asBytes(Uint8Array.from(data));
    case 'BOOL': checkInt(0, 1); return asBytes(Uint8Array.from(data));
    case 'I64': {
      checkInt(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(data[i]);
      return asBytes(out);
    }
    case 'F16':
    case 'BF16': {
      const out = new Uint16Array(n);
      const conv = dtype === 'F16' ? floatToHalf : floatToBf16;
      for (let i = 0; i < n; i++) out[i] = conv(data[i]);
      return asBytes(out);
    }
  }
}

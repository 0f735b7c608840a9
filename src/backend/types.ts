// Storage types and shape arithmetic shared by the engine and every backend.

export type DType = 'float32' | 'float64' | 'int32';
export type FloatArray = Float32Array | Float64Array;
export type Storage = Float32Array | Float64Array | Int32Array;
export type Shape = readonly number[];

export function allocate(dtype: DType, n: number): Storage {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'float64') return new Float64Array(n);
  return new Int32Array(n);
}

/** Arrays at least this many bytes skip the zero fill in empty(); smaller ones are cheap to zero anyway. */
const EMPTY_MIN_BYTES = 4096;
/** DEEPTEN_POISON=1 (set by npm test) fills empty() arrays with NaN / 0x7fffffff, so an element a kernel forgets
 * to write shows up in tests instead of silently reading as 0 or as stale memory. */
const poison = typeof process !== 'undefined' && process.env?.DEEPTEN_POISON === '1';

/**
 * An UNINITIALIZED array, for outputs a kernel fully overwrites (its contract says "overwrites"). Large sizes come
 * from Buffer.allocUnsafeSlow (malloc, no zero fill, a dedicated ArrayBuffer at offset 0), which saves V8's zero fill
 * and, with the native addon's mallopt settings, the page faults of fresh memory. Never use it for a buffer that
 * is accumulated into: use allocate().
 */
export function empty(dtype: DType, n: number): Storage {
  const item = dtype === 'float64' ? 8 : 4;
  let out: Storage;
  if (n * item < EMPTY_MIN_BYTES) out = allocate(dtype, n);
  else {
    const buf = Buffer.allocUnsafeSlow(n * item).buffer;
    out = dtype === 'float32' ? new Float32Array(buf, 0, n) : dtype === 'float64' ? new Float64Array(buf, 0, n) : new Int32Array(buf, 0, n);
  }
  if (poison) out.fill(dtype === 'int32' ? 0x7fffffff : NaN);
  return out;
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align trailing axes; each pair must be equal or contain a 1. Returns null when incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape` as if broadcast to `target` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const off = target.length - shape.length;
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

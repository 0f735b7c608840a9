// Tensor as users see it: the class (src/tensor-core.ts) with its methods, and the creation functions.
// Each method is a one-line forward to its op, so x.add(y) and F.add(x, y) are the same code. The methods are
// installed on the class here rather than written inside it: the class must not import the ops, because every op
// imports the class (see tensor-core.ts).
import type { DType, Shape, Storage } from './backend/types.ts';
import { allocate, empty, dtypeOf, shapeStr, sizeOf } from './backend/types.ts';
import { runBackward } from './autograd.ts';
import { defaultGenerator, type Generator } from './random.ts';
import { Tensor, type TensorLike } from './tensor-core.ts';
import * as E from './ops/elementwise.ts';
import * as R from './ops/reduce.ts';
import * as S from './ops/shape.ts';
import * as M from './ops/matmul.ts';
import * as X from './ops/softmax.ts';

export { Tensor };
export type { DType, Shape, Storage, Scalar, TensorLike } from './tensor-core.ts';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Tensor's methods that are ops; `this` is the tensor they are called on. */
class TensorMethods {
  /**
   * Reverse-mode differentiation from this tensor. A scalar needs no `grad`; otherwise pass ∂L/∂this.
   * The graph is freed afterwards unless retainGraph.
   */
  backward(this: Tensor, grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new Error(`backward: tensor of shape ${shapeStr(this.shape)} does not require grad (no input had requiresGrad, or it was computed under noGrad)`);
    if (!grad) {
      if (this.size !== 1) throw new Error(`backward: grad can be omitted only for a one-element output, got shape ${shapeStr(this.shape)}`);
      grad = fullLike(this, 1);
    } else if (grad.size !== this.size || grad.ndim !== this.ndim || grad.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`backward: grad has shape ${shapeStr(grad.shape)}, output has shape ${shapeStr(this.shape)}`);
    }
    runBackward(this, grad, opts.retainGraph ?? false, E.add);
  }

  /** A copy with its own storage (differentiable). */
  clone(this: Tensor): Tensor { return E.clone(this); }
  /** Converts storage type; float↔float conversions are differentiable. */
  to(this: Tensor, dtype: DType): Tensor { return E.cast(this, dtype); }
  float(this: Tensor): Tensor { return E.cast(this, 'float32'); }
  double(this: Tensor): Tensor { return E.cast(this, 'float64'); }
  int(this: Tensor): Tensor { return E.cast(this, 'int32'); }

  // elementwise
  add(this: Tensor, o: TensorLike): Tensor { return E.add(this, o); }
  sub(this: Tensor, o: TensorLike): Tensor { return E.sub(this, o); }
  mul(this: Tensor, o: TensorLike): Tensor { return E.mul(this, o); }
  div(this: Tensor, o: TensorLike): Tensor { return E.div(this, o); }
  pow(this: Tensor, o: TensorLike): Tensor { return E.pow(this, o); }
  maximum(this: Tensor, o: TensorLike): Tensor { return E.maximum(this, o); }
  minimum(this: Tensor, o: TensorLike): Tensor { return E.minimum(this, o); }
  gt(this: Tensor, o: TensorLike): Tensor { return E.gt(this, o); }
  ge(this: Tensor, o: TensorLike): Tensor { return E.ge(this, o); }
  lt(this: Tensor, o: TensorLike): Tensor { return E.lt(this, o); }
  le(this: Tensor, o: TensorLike): Tensor { return E.le(this, o); }
  eq(this: Tensor, o: TensorLike): Tensor { return E.eq(this, o); }
  ne(this: Tensor, o: TensorLike): Tensor { return E.ne(this, o); }
  neg(this: Tensor): Tensor { return E.neg(this); }
  exp(this: Tensor): Tensor { return E.exp(this); }
  log(this: Tensor): Tensor { return E.log(this); }
  sqrt(this: Tensor): Tensor { return E.sqrt(this); }
  rsqrt(this: Tensor): Tensor { return E.rsqrt(this); }
  abs(this: Tensor): Tensor { return E.abs(this); }
  sign(this: Tensor): Tensor { return E.sign(this); }
  square(this: Tensor): Tensor { return E.square(this); }
  reciprocal(this: Tensor): Tensor { return E.reciprocal(this); }
  sin(this: Tensor): Tensor { return E.sin(this); }
  cos(this: Tensor): Tensor { return E.cos(this); }
  tanh(this: Tensor): Tensor { return E.tanh(this); }
  sigmoid(this: Tensor): Tensor { return E.sigmoid(this); }
  relu(this: Tensor): Tensor { return E.relu(this); }
  leakyRelu(this: Tensor, slope = 0.01): Tensor { return E.leakyRelu(this, slope); }
  elu(this: Tensor, alpha = 1): Tensor { return E.elu(this, alpha); }
  gelu(this: Tensor): Tensor { return E.gelu(this); }
  silu(this: Tensor): Tensor { return E.silu(this); }
  softplus(this: Tensor): Tensor { return E.softplus(this); }
  clamp(this: Tensor, min = -Infinity, max = Infinity): Tensor { return E.clamp(this, min, max); }

  // reductions; dims may be negative; undefined reduces everything
  sum(this: Tensor, dims?: number | number[], keepdim = false): Tensor { return R.sum(this, dims, keepdim); }
  mean(this: Tensor, dims?: number | number[], keepdim = false): Tensor { return R.mean(this, dims, keepdim); }
  max(this: Tensor, dims?: number | number[], keepdim = false): Tensor { return R.max(this, dims, keepdim); }
  min(this: Tensor, dims?: number | number[], keepdim = false): Tensor { return R.min(this, dims, keepdim); }
  var(this: Tensor, dims?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dims, keepdim, correction); }
  std(this: Tensor, dims?: number | number[], keepdim = false, correction = 1): Tensor { return E.sqrt(R.variance(this, dims, keepdim, correction)); }
  argmax(this: Tensor, dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(this: Tensor, dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  logsumexp(this: Tensor, dims: number | number[], keepdim = false): Tensor { return R.logsumexp(this, dims, keepdim); }
  softmax(this: Tensor, dim = -1): Tensor { return X.softmax(this, dim); }
  logSoftmax(this: Tensor, dim = -1): Tensor { return X.logSoftmax(this, dim); }

  // shape
  reshape(this: Tensor, ...shape: (number | number[])[]): Tensor { return S.reshape(this, shape.flat()); }
  view(this: Tensor, ...shape: (number | number[])[]): Tensor { return S.reshape(this, shape.flat()); }
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  squeeze(this: Tensor, dim?: number): Tensor { return S.squeeze(this, dim); }
  unsqueeze(this: Tensor, dim: number): Tensor { return S.unsqueeze(this, dim); }
  permute(this: Tensor, ...perm: (number | number[])[]): Tensor { return S.permute(this, perm.flat()); }
  transpose(this: Tensor, d0 = -2, d1 = -1): Tensor { return S.transpose(this, d0, d1); }
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  /** Python-style slice along one axis: start inclusive, end exclusive, negatives count from the end. */
  slice(this: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor { return S.slice(this, dim, start, end, step); }
  select(this: Tensor, dim: number, index: number): Tensor { return S.select(this, dim, index); }
  expand(this: Tensor, ...shape: (number | number[])[]): Tensor { return S.expand(this, shape.flat()); }
  broadcastTo(this: Tensor, shape: Shape): Tensor { return S.expand(this, shape); }
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }
  split(this: Tensor, size: number | number[], dim = 0): Tensor[] { return S.split(this, size, dim); }
  repeat(this: Tensor, ...times: (number | number[])[]): Tensor { return S.repeat(this, times.flat()); }

  matmul(this: Tensor, o: Tensor): Tensor { return M.matmul(this, o); }

  /** The transpose of the last two axes. */
  get T(): Tensor { return S.transpose(this as unknown as Tensor, -2, -1); }
}

declare module './tensor-core.ts' {
  // TensorMethods' methods, installed on Tensor.prototype just below
  interface Tensor extends TensorMethods {}
}

for (const name of Object.getOwnPropertyNames(TensorMethods.prototype)) {
  if (name !== 'constructor') Object.defineProperty(Tensor.prototype, name, Object.getOwnPropertyDescriptor(TensorMethods.prototype, name)!);
}

// ---------- creation ----------

function checkShape(fn: string, shape: Shape): number[] {
  const s = [...shape];
  for (const d of s) if (!Number.isInteger(d) || d < 0) throw new Error(`${fn}: invalid shape ${shapeStr(s)}`);
  return s;
}

type Nested = number | Nested[];

function inferShape(v: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0]; }
  return shape;
}

/** A tensor from (nested) numbers or a typed array; a flat array takes `shape` when given. */
export function tensor(values: Nested | Storage, opts: TensorOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(values)) {
    const src = values as Storage;
    const dtype = opts.dtype ?? dtypeOf(src);
    const data = dtype === dtypeOf(src) ? src : empty(dtype, src.length);
    if (data !== src) data.set(src);
    return new Tensor(data, opts.shape ?? [src.length], opts.requiresGrad);
  }
  const shape = opts.shape ? checkShape('tensor', opts.shape) : inferShape(values as Nested);
  const flat = Array.isArray(values) ? (values as unknown[]).flat(Infinity) as number[] : [values as number];
  if (!opts.shape) {
    // ragged input would silently misalign data and shape
    if (flat.length !== sizeOf(shape)) throw new Error(`tensor: ragged nested array (shape ${shapeStr(shape)} implies ${sizeOf(shape)} values, got ${flat.length})`);
  }
  for (const v of flat) if (typeof v !== 'number') throw new Error(`tensor: expected numbers, got ${typeof v}`);
  const data = empty(opts.dtype ?? 'float32', flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i];
  return new Tensor(data, shape, opts.requiresGrad);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const data = value === 0 ? allocate(opts.dtype ?? 'float32', sizeOf(s)) : empty(opts.dtype ?? 'float32', sizeOf(s)).fill(value);
  return new Tensor(data, s, opts.requiresGrad);
}
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor { return full(shape, 0, opts); }
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor { return full(shape, 1, opts); }
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor { return full(t.shape, value, { dtype: t.dtype, ...opts }); }
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor { return fullLike(t, 0, opts); }
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor { return fullLike(t, 1, opts); }
export function scalar(value: number, dtype: DType = 'float32'): Tensor { return full([], value, { dtype }); }

/** start, start+step, … below end (torch.arange). */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'int32' : 'float32');
  const data = empty(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], opts.requiresGrad);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  const data = empty(opts.dtype ?? 'float32', steps);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return new Tensor(data, [steps], opts.requiresGrad);
}

export function eye(n: number, opts: TensorOptions = {}): Tensor {
  const t = zeros([n, n], opts);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

export interface RandomOptions extends TensorOptions { generator?: Generator }

/** Uniform on [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const t = zeros(shape, opts);
  const lo = opts.low ?? 0, hi = opts.high ?? 1;
  for (let i = 0; i < t.size; i++) t.data[i] = g.uniform(lo, hi);
  return t;
}

/** Normal(mean, std²). */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const t = zeros(shape, opts);
  for (let i = 0; i < t.size; i++) t.data[i] = g.normal(opts.mean ?? 0, opts.std ?? 1);
  return t;
}

/** Integers uniform in [low, high), int32 unless dtype says otherwise. */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const t = zeros(shape, { dtype: 'int32', ...opts });
  for (let i = 0; i < t.size; i++) t.data[i] = g.randint(low, high);
  return t;
}

// Tensor: a contiguous, row-major typed array plus a shape. There are no strided views: reshape shares
// storage, every other movement op copies. That keeps every kernel a simple loop over flat memory.
import type { DType, Shape, Storage } from './backend/types.ts';
import { allocate, empty, dtypeOf, shapeStr, sizeOf } from './backend/types.ts';
import type { GradNode } from './autograd.ts';
import { runBackward } from './autograd.ts';
import { defaultGenerator, type Generator } from './random.ts';
import * as E from './ops/elementwise.ts';
import * as R from './ops/reduce.ts';
import * as S from './ops/shape.ts';
import * as M from './ops/matmul.ts';
import * as X from './ops/softmax.ts';

export type { DType, Shape, Storage };
export type Scalar = number;
export type TensorLike = Tensor | number;

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export class Tensor {
  readonly data: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  /** The accumulated gradient (same shape), filled by backward() for leaves and for retainGrad() tensors. */
  grad: Tensor | null = null;
  /** How this tensor was computed; null for leaves and for results computed without grad. */
  gradFn: GradNode | null = null;
  retainsGrad = false;

  constructor(data: Storage, shape: Shape, requiresGrad = false) {
    const n = sizeOf(shape);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${shapeStr(shape)}`);
    }
    if (data.length !== n) throw new Error(`Tensor: shape ${shapeStr(shape)} needs ${n} elements, storage has ${data.length}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (requiresGrad && this.dtype === 'int32') throw new Error('Tensor: only float tensors can require gradients');
    this.requiresGrad = requiresGrad;
  }

  get ndim(): number { return this.shape.length; }
  get size(): number { return this.data.length; }
  numel(): number { return this.data.length; }
  get isLeaf(): boolean { return this.gradFn === null; }
  get isFloat(): boolean { return this.dtype !== 'int32'; }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item: tensor of shape ${shapeStr(this.shape)} has ${this.data.length} elements, not 1`);
    return this.data[0];
  }

  /** Nested arrays, like torch's tolist(). */
  tolist(): unknown {
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  toArray(): number[] { return Array.from(this.data); }

  toString(): string {
    const vals = Array.from(this.data.subarray(0, 8), (v) => +v.toPrecision(5)).join(', ');
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}: [${vals}${this.size > 8 ? ', …' : ''}])`;
  }

  /** Marks a non-leaf tensor so backward() stores its .grad too. */
  retainGrad(): this { this.retainsGrad = true; return this; }

  requiresGrad_(on = true): this {
    if (on && this.dtype === 'int32') throw new Error('requiresGrad_: only float tensors can require gradients');
    if (!this.isLeaf && !on) throw new Error('requiresGrad_(false): only leaves can stop requiring gradients; use detach()');
    this.requiresGrad = on;
    return this;
  }

  /**
   * Reverse-mode differentiation from this tensor. A scalar needs no `grad`; otherwise pass ∂L/∂this.
   * The graph is freed afterwards unless retainGraph.
   */
  backward(grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new Error(`backward: tensor of shape ${shapeStr(this.shape)} does not require grad (no input had requiresGrad, or it was computed under noGrad)`);
    if (!grad) {
      if (this.size !== 1) throw new Error(`backward: grad can be omitted only for a one-element output, got shape ${shapeStr(this.shape)}`);
      grad = fullLike(this, 1);
    } else if (grad.size !== this.size || grad.ndim !== this.ndim || grad.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`backward: grad has shape ${shapeStr(grad.shape)}, output has shape ${shapeStr(this.shape)}`);
    }
    runBackward(this, grad, opts.retainGraph ?? false, E.add);
  }

  /** A new leaf sharing this storage, cut from the graph. */
  detach(): Tensor { return new Tensor(this.data, this.shape); }
  /** A copy with its own storage (differentiable). */
  clone(): Tensor { return E.clone(this); }
  /** Converts storage type; float↔float conversions are differentiable. */
  to(dtype: DType): Tensor { return E.cast(this, dtype); }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  int(): Tensor { return this.to('int32'); }

  // elementwise
  add(o: TensorLike): Tensor { return E.add(this, o); }
  sub(o: TensorLike): Tensor { return E.sub(this, o); }
  mul(o: TensorLike): Tensor { return E.mul(this, o); }
  div(o: TensorLike): Tensor { return E.div(this, o); }
  pow(o: TensorLike): Tensor { return E.pow(this, o); }
  maximum(o: TensorLike): Tensor { return E.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return E.minimum(this, o); }
  gt(o: TensorLike): Tensor { return E.gt(this, o); }
  ge(o: TensorLike): Tensor { return E.ge(this, o); }
  lt(o: TensorLike): Tensor { return E.lt(this, o); }
  le(o: TensorLike): Tensor { return E.le(this, o); }
  eq(o: TensorLike): Tensor { return E.eq(this, o); }
  ne(o: TensorLike): Tensor { return E.ne(this, o); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  abs(): Tensor { return E.abs(this); }
  sign(): Tensor { return E.sign(this); }
  square(): Tensor { return E.square(this); }
  reciprocal(): Tensor { return E.reciprocal(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  tanh(): Tensor { return E.tanh(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  relu(): Tensor { return E.relu(this); }
  leakyRelu(slope = 0.01): Tensor { return E.leakyRelu(this, slope); }
  elu(alpha = 1): Tensor { return E.elu(this, alpha); }
  gelu(): Tensor { return E.gelu(this); }
  silu(): Tensor { return E.silu(this); }
  softplus(): Tensor { return E.softplus(this); }
  clamp(min = -Infinity, max = Infinity): Tensor { return E.clamp(this, min, max); }

  // reductions; dims may be negative; undefined reduces everything
  sum(dims?: number | number[], keepdim = false): Tensor { return R.sum(this, dims, keepdim); }
  mean(dims?: number | number[], keepdim = false): Tensor { return R.mean(this, dims, keepdim); }
  max(dims?: number | number[], keepdim = false): Tensor { return R.max(this, dims, keepdim); }
  min(dims?: number | number[], keepdim = false): Tensor { return R.min(this, dims, keepdim); }
  var(dims?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dims, keepdim, correction); }
  std(dims?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dims, keepdim, correction).sqrt(); }
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  logsumexp(dims: number | number[], keepdim = false): Tensor { return R.logsumexp(this, dims, keepdim); }
  softmax(dim = -1): Tensor { return X.softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return X.logSoftmax(this, dim); }

  // shape
  reshape(...shape: (number | number[])[]): Tensor { return S.reshape(this, shape.flat()); }
  view(...shape: (number | number[])[]): Tensor { return S.reshape(this, shape.flat()); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  permute(...perm: (number | number[])[]): Tensor { return S.permute(this, perm.flat()); }
  transpose(d0 = -2, d1 = -1): Tensor { return S.transpose(this, d0, d1); }
  get T(): Tensor { return S.transpose(this, -2, -1); }
  narrow(dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  /** Python-style slice along one axis: start inclusive, end exclusive, negatives count from the end. */
  slice(dim: number, start = 0, end?: number, step = 1): Tensor { return S.slice(this, dim, start, end, step); }
  select(dim: number, index: number): Tensor { return S.select(this, dim, index); }
  expand(...shape: (number | number[])[]): Tensor { return S.expand(this, shape.flat()); }
  broadcastTo(shape: Shape): Tensor { return S.expand(this, shape); }
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }
  split(size: number | number[], dim = 0): Tensor[] { return S.split(this, size, dim); }
  repeat(...times: (number | number[])[]): Tensor { return S.repeat(this, times.flat()); }

  matmul(o: Tensor): Tensor { return M.matmul(this, o); }
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

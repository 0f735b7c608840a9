// Reductions over any set of axes. Kernels reduce the middle axis of an (outer, dim, inner) view, so a set of
// axes is reduced one contiguous run at a time.
import { Tensor } from '../tensor.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { ReduceOp } from '../backend/backend.ts';
import { empty, sameShape, shapeStr, sizeOf, type Shape } from '../backend/types.ts';
import { expand, reshape } from './shape.ts';
import { div, eq, exp, log, mul, sub, add } from './elementwise.ts';

/** Normalizes possibly-negative axes; undefined means all. Sorted ascending, unique. */
export function normalizeDims(op: string, ndim: number, dims?: number | number[]): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = Array.isArray(dims) ? dims : [dims];
  const out = new Set<number>();
  for (const d of list) {
    if (!Number.isInteger(d) || d < -Math.max(ndim, 1) || d >= Math.max(ndim, 1)) {
      throw new Error(`${op}: dim ${d} is out of range for a tensor with ${ndim} dimension(s)`);
    }
    out.add(d < 0 ? d + ndim : d);
  }
  return [...out].filter((d) => d < ndim).sort((a, b) => a - b);
}

/** Normalizes one axis, allowing −ndim..ndim−1 (or up to ndim when `extra`, for unsqueeze-like ops). */
export function normalizeDim(op: string, ndim: number, dim: number, extra = 0): number {
  const n = ndim + extra;
  if (!Number.isInteger(dim) || dim < -n || dim >= n) throw new Error(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dimension(s)`);
  return dim < 0 ? dim + n : dim;
}

function keptShape(shape: Shape, dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function reducedShape(shape: Shape, dims: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** Reduces `dims` of x with a kernel, no graph. Result has keepdim shape. */
function reduceRaw(op: ReduceOp, x: Tensor, dims: number[]): Tensor {
  let cur = x;
  let shape = [...x.shape];
  // runs of consecutive axes, last run first
  const runs: [number, number][] = [];
  for (const d of dims) {
    const last = runs[runs.length - 1];
    if (last && last[1] === d - 1) last[1] = d; else runs.push([d, d]);
  }
  for (let r = runs.length - 1; r >= 0; r--) {
    const [a, b] = runs[r];
    const outer = sizeOf(shape.slice(0, a)), dim = sizeOf(shape.slice(a, b + 1)), inner = sizeOf(shape.slice(b + 1));
    if (dim === 0 && op !== 'sum') throw new Error(`${op}: cannot reduce an empty axis of shape ${shapeStr(x.shape)}`);
    const next = shape.map((s, i) => (i >= a && i <= b ? 1 : s));
    const out = new Tensor(empty(x.dtype, outer * inner), next);
    backend().reduce(op, cur.data, outer, dim, inner, out.data);
    cur = out;
    shape = next;
  }
  return cur === x ? new Tensor(x.data.slice(), x.shape) : cur;
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return reshape(reduceRaw('sum', g, dims), shape);
}

function finish(op: string, x: Tensor, dims: number[], keepdim: boolean, kept: Tensor, backward: (g: Tensor) => Tensor): Tensor {
  const out = keepdim ? kept : reshape(kept, reducedShape(x.shape, dims, false));
  const result = new Tensor(out.data, out.shape);
  return record(op, result, [x], (g) => [backward(reshape(g, keptShape(x.shape, dims)))]);
}

// ∂Σx/∂x = 1: the gradient is broadcast back over the reduced axes
export function sum(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims('sum', x.ndim, dims);
  return finish('sum', x, d, keepdim, reduceRaw('sum', x, d), (g) => expand(g, x.shape));
}

export function mean(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims('mean', x.ndim, dims);
  const n = d.reduce((acc, i) => acc * x.shape[i], 1);
  return div(sum(x, d, keepdim), n);
}

/** max/min over axes; the gradient is shared equally among tied extrema (torch.amax's rule). */
function extremum(op: 'max' | 'min', x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims(op, x.ndim, dims);
  const kept = reduceRaw(op, x, d);
  return finish(op, x, d, keepdim, kept, (g) => {
    const mask = eq(x, kept);
    const count = reduceRaw('sum', mask, d);
    return mul(mask, expand(div(g, count), x.shape));
  });
}
export function max(x: Tensor, dims?: number | number[], keepdim = false): Tensor { return extremum('max', x, dims, keepdim); }
export function min(x: Tensor, dims?: number | number[], keepdim = false): Tensor { return extremum('min', x, dims, keepdim); }

/** Σ(x − mean)² / (n − correction); correction 1 is the unbiased estimate (PyTorch's default). */
export function variance(x: Tensor, dims?: number | number[], keepdim = false, correction = 1): Tensor {
  const d = normalizeDims('var', x.ndim, dims);
  const n = d.reduce((acc, i) => acc * x.shape[i], 1);
  const centered = sub(x, mean(x, d, true));
  return div(sum(mul(centered, centered), d, keepdim), Math.max(0, n - correction));
}

/** log Σ exp(x) = m + log Σ exp(x − m) with m the (constant) max, so it never overflows. */
export function logsumexp(x: Tensor, dims: number | number[], keepdim = false): Tensor {
  const d = normalizeDims('logsumexp', x.ndim, dims);
  const m = reduceRaw('max', x, d);
  for (let i = 0; i < m.size; i++) if (!Number.isFinite(m.data[i])) m.data[i] = 0;
  const s = add(log(sum(exp(sub(x, m)), d, true)), m);
  return keepdim ? s : reshape(s, reducedShape(x.shape, d, false));
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim?: number, keepdim = false): Tensor {
  if (x.size === 0) throw new Error(`${op}: empty tensor of shape ${shapeStr(x.shape)}`);
  if (dim === undefined) {
    const out = new Tensor(new Int32Array(1), []);
    backend().argReduce(op, x.data, 1, x.size, 1, out.data as Int32Array);
    return out;
  }
  const a = normalizeDim(op, x.ndim, dim);
  const outer = sizeOf(x.shape.slice(0, a)), inner = sizeOf(x.shape.slice(a + 1));
  const out = new Tensor(new Int32Array(outer * inner), reducedShape(x.shape, [a], keepdim));
  backend().argReduce(op, x.data, outer, x.shape[a], inner, out.data as Int32Array);
  return out;
}
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor { return argReduce('argmax', x, dim, keepdim); }
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor { return argReduce('argmin', x, dim, keepdim); }

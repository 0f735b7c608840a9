// What every op shares: argument checks, axis normalisation, and the graph-free reduction that undoes
// broadcasting in backward. This module imports no other op, so any op can import it (and ops never import each
// other in a circle through it). Nothing here records a graph.
import { Tensor, type TensorLike } from '../tensor-core.ts';
import { backend } from '../backend/index.ts';
import type { ReduceOp } from '../backend/backend.ts';
import { allocate, broadcastShapes, empty, sameShape, shapeStr, sizeOf, type Shape } from '../backend/types.ts';

/** Throws unless every tensor is float (ops with derivatives, and ops whose kernels are float-only). */
export function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32 of shape ${shapeStr(t.shape)}`);
  }
}

/** Checks dtypes agree and shapes broadcast; returns the output shape. */
export function broadcastCheck(op: string, ...ts: Tensor[]): number[] {
  let shape: number[] = [...ts[0].shape];
  for (const t of ts.slice(1)) {
    if (t.dtype !== ts[0].dtype) throw new Error(`${op}: dtype mismatch, ${ts[0].dtype} ${shapeStr(ts[0].shape)} vs ${t.dtype} ${shapeStr(t.shape)}`);
    const s = broadcastShapes(shape, t.shape);
    if (!s) throw new Error(`${op}: shapes ${ts.map((x) => shapeStr(x.shape)).join(' and ')} cannot be broadcast together`);
    shape = s;
  }
  return shape;
}

/** A number as a 0-d tensor of `like`'s dtype; a tensor as itself. */
export function toTensor(o: TensorLike, like: Tensor): Tensor {
  if (o instanceof Tensor) return o;
  if (typeof o !== 'number') throw new Error(`expected a Tensor or a number, got ${typeof o}`);
  const d = allocate(like.dtype, 1);
  d[0] = o;
  return new Tensor(d, []);
}

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

/**
 * Reduces `dims` (sorted, unique) of x with a kernel, recording no graph; the result keeps the reduced axes as 1.
 * Kernels reduce the middle axis of an (outer, dim, inner) view, so the axes go one contiguous run at a time.
 */
export function reduceKeepdim(op: ReduceOp, x: Tensor, dims: number[]): Tensor {
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

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting), for backward closures: no graph. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return new Tensor(reduceKeepdim('sum', g, dims).data, shape);
}

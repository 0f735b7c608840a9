// Reductions over any set of axes, each a graph-free kernel reduction (base.ts's reduceKeepdim) plus its derivative.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { shapeStr, sizeOf, type Shape } from '../backend/types.ts';
import { expand, reshape } from './shape.ts';
import { div, eq, exp, log, mul, sub, add } from './elementwise.ts';
import { normalizeDim, normalizeDims, reduceKeepdim } from './base.ts';

function keptShape(shape: Shape, dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function reducedShape(shape: Shape, dims: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

function finish(op: string, x: Tensor, dims: number[], keepdim: boolean, kept: Tensor, backward: (g: Tensor) => Tensor): Tensor {
  const out = keepdim ? kept : reshape(kept, reducedShape(x.shape, dims, false));
  const result = new Tensor(out.data, out.shape);
  return record(op, result, [x], (g) => [backward(reshape(g, keptShape(x.shape, dims)))]);
}

// ∂Σx/∂x = 1: the gradient is broadcast back over the reduced axes
export function sum(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims('sum', x.ndim, dims);
  return finish('sum', x, d, keepdim, reduceKeepdim('sum', x, d), (g) => expand(g, x.shape));
}

export function mean(x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims('mean', x.ndim, dims);
  const n = d.reduce((acc, i) => acc * x.shape[i], 1);
  return div(sum(x, d, keepdim), n);
}

/** max/min over axes; the gradient is shared equally among tied extrema (torch.amax's rule). */
function extremum(op: 'max' | 'min', x: Tensor, dims?: number | number[], keepdim = false): Tensor {
  const d = normalizeDims(op, x.ndim, dims);
  const kept = reduceKeepdim(op, x, d);
  return finish(op, x, d, keepdim, kept, (g) => {
    const mask = eq(x, kept);
    const count = reduceKeepdim('sum', mask, d);
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
  const m = reduceKeepdim('max', x, d);
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

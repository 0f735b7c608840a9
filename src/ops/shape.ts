// Movement ops. reshape shares storage; everything else copies through the one strided-copy kernel.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { allocate, empty, broadcastShapes, broadcastStrides, sameShape, shapeStr, sizeOf, stridesOf, type Shape } from '../backend/types.ts';
import { normalizeDim, sumTo } from './base.ts';

export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const infer = s.indexOf(-1);
  if (infer !== s.lastIndexOf(-1)) throw new Error(`reshape: only one dimension can be -1, got ${shapeStr(s)}`);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape: cannot reshape ${shapeStr(x.shape)} (${x.size} elements) into ${shapeStr(shape)}`);
    s[infer] = x.size / rest;
  }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(s) !== x.size) {
    throw new Error(`reshape: cannot reshape ${shapeStr(x.shape)} (${x.size} elements) into ${shapeStr(shape)}`);
  }
  if (sameShape(s, x.shape)) return x;
  const out = new Tensor(x.data, s);
  return record('reshape', out, [x], (g) => [reshape(g, x.shape)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normalizeDim('flatten', x.ndim, startDim), b = normalizeDim('flatten', x.ndim, endDim);
  if (a > b) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normalizeDim('squeeze', x.ndim, dim);
  return x.shape[a] === 1 ? reshape(x, x.shape.filter((_, i) => i !== a)) : x;
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const a = normalizeDim('unsqueeze', x.ndim, dim, 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Copies x read through (offset, strides) into a new contiguous tensor of `shape`. */
function gatherStrided(x: Tensor, offset: number, strides: number[], shape: number[]): Tensor {
  const out = new Tensor(empty(x.dtype, sizeOf(shape)), shape);
  backend().copyStrided(x.data, offset, strides, out.data, 0, stridesOf(shape), shape);
  return out;
}

export function permute(x: Tensor, perm: number[]): Tensor {
  if (perm.length !== x.ndim) throw new Error(`permute: got ${perm.length} axes [${perm}] for a tensor of shape ${shapeStr(x.shape)}`);
  const p = perm.map((d) => normalizeDim('permute', x.ndim, d));
  if (new Set(p).size !== p.length) throw new Error(`permute: repeated axis in [${perm}]`);
  if (p.every((d, i) => d === i)) return x;
  const st = stridesOf(x.shape);
  const out = gatherStrided(x, 0, p.map((d) => st[d]), p.map((d) => x.shape[d]));
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => { inv[d] = i; });
  return record('permute', out, [x], (g) => [permute(g, inv)]);
}

export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const a = normalizeDim('transpose', x.ndim, d0), b = normalizeDim('transpose', x.ndim, d1);
  const p = Array.from({ length: x.ndim }, (_, i) => i);
  p[a] = b; p[b] = a;
  return permute(x, p);
}

/** x[..., start:end:step, ...] along `dim` (Python slice rules: negatives count from the end, bounds clip). */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const a = normalizeDim('slice', x.ndim, dim);
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[a];
  const clip = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  const s = clip(start), e = clip(end ?? n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const st = stridesOf(x.shape);
  const shape = [...x.shape]; shape[a] = len;
  const strides = [...st]; strides[a] *= step;
  const out = gatherStrided(x, s * st[a], strides, shape);
  return record('slice', out, [x], (g) => {
    const gx = new Tensor(allocate(g.dtype, x.size), x.shape);
    backend().copyStrided(g.data, 0, stridesOf(shape), gx.data, s * st[a], strides, shape);
    return [gx];
  });
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const a = normalizeDim('narrow', x.ndim, dim);
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x.shape[a]) {
    throw new Error(`narrow: range [${start}, ${start + length}) is outside dim ${dim} of size ${x.shape[a]} (shape ${shapeStr(x.shape)})`);
  }
  return slice(x, a, start, start + length);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const a = normalizeDim('select', x.ndim, dim);
  const n = x.shape[a];
  if (!Number.isInteger(index) || index < -n || index >= n) throw new Error(`select: index ${index} is out of range for dim ${dim} of size ${n} (shape ${shapeStr(x.shape)})`);
  return squeeze(slice(x, a, index < 0 ? index + n : index, (index < 0 ? index + n : index) + 1), a);
}

/** Broadcasts x to `shape` (−1 keeps a size), materialized; the gradient sums back. */
export function expand(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const b = broadcastShapes(x.shape, target);
  if (lead < 0 || !b || !sameShape(b, target)) throw new Error(`expand: cannot expand shape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  if (sameShape(target, x.shape)) return x;
  const out = gatherStrided(x, 0, broadcastStrides(x.shape, target), target);
  return record('expand', out, [x], (g) => [sumTo(g, x.shape)]);
}

/** Concatenates along `dim`; all other sizes must agree. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  const first = tensors[0];
  const a = normalizeDim('cat', first.ndim, dim);
  for (const t of tensors) {
    if (t.dtype !== first.dtype) throw new Error(`cat: dtype mismatch, ${first.dtype} vs ${t.dtype}`);
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`cat: shapes ${tensors.map((x) => shapeStr(x.shape)).join(', ')} differ outside dim ${dim}`);
    }
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a], 0);
  const out = new Tensor(empty(first.dtype, sizeOf(shape)), shape); // the pieces tile it exactly
  const outStrides = stridesOf(shape);
  let off = 0;
  for (const t of tensors) {
    backend().copyStrided(t.data, 0, stridesOf(t.shape), out.data, off * outStrides[a], outStrides, t.shape);
    off += t.shape[a];
  }
  return record('cat', out, tensors, (g) => {
    let o = 0;
    return tensors.map((t) => { const r = t.requiresGrad ? narrow(g, a, o, t.shape[a]) : null; o += t.shape[a]; return r; });
  });
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  const a = normalizeDim('stack', tensors[0].ndim, dim, 1);
  for (const t of tensors) {
    if (!sameShape(t.shape, tensors[0].shape)) throw new Error(`stack: shapes ${tensors.map((x) => shapeStr(x.shape)).join(', ')} must all be equal`);
  }
  return cat(tensors.map((t) => unsqueeze(t, a)), a);
}

export function split(x: Tensor, size: number | number[], dim = 0): Tensor[] {
  const a = normalizeDim('split', x.ndim, dim);
  const n = x.shape[a];
  const sizes = Array.isArray(size) ? size : Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size));
  if (sizes.reduce((s, v) => s + v, 0) !== n) throw new Error(`split: sizes [${sizes}] do not add up to dim ${dim} of size ${n}`);
  let o = 0;
  return sizes.map((s) => { const r = narrow(x, a, o, s); o += s; return r; });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const a = normalizeDim('chunk', x.ndim, dim);
  return split(x, Math.ceil(x.shape[a] / chunks), a);
}

/** Tiles x `times[i]` times along each axis (torch.repeat). */
export function repeat(x: Tensor, times: number[]): Tensor {
  if (times.length < x.ndim) throw new Error(`repeat: need at least ${x.ndim} repeat counts for shape ${shapeStr(x.shape)}, got [${times}]`);
  const shape = [...Array(times.length - x.ndim).fill(1), ...x.shape];
  // view x as (1, s0, 1, s1, …), expand to (t0, s0, t1, s1, …), merge pairs
  const inter = shape.flatMap((s) => [1, s]);
  const target = shape.flatMap((s, i) => [times[i], s]);
  return reshape(expand(reshape(x, inter), target), shape.map((s, i) => s * times[i]));
}

// Integer indexing: gather, indexSelect, scatterAdd, embedding. Every index is checked against the indexed size
// before a kernel runs (kernels trust their indices). Kernels view a tensor as (outer, dim, inner) along the
// indexed axis, so gather/scatterAdd work on an index padded to x's sizes on the other axes (see padded()).
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { allocate, empty, sameShape, shapeStr, sizeOf, stridesOf, type DType, type Shape, type Storage } from '../backend/types.ts';
import { normalizeDim } from './base.ts';
import { reshape } from './shape.ts';

function requireIndex(op: string, index: Tensor): Int32Array {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype} of shape ${shapeStr(index.shape)}`);
  return index.data as Int32Array;
}

/** Every value must lie in [0, size); `what` says which axis that size belongs to. */
function checkRange(op: string, idx: Int32Array, size: number, what: string): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= size) throw new Error(`${op}: index ${v} is out of range for ${what} of size ${size}`);
  }
}

/**
 * The `region`-shaped leading corner of src (shape srcShape) copied into a zero-filled dstShape array. This pads
 * (region = srcShape) or crops (region = dstShape); src is returned as is when no copy is needed.
 */
function corner(src: Storage, srcShape: Shape, dstShape: Shape, region: Shape, dtype: DType): Storage {
  if (sameShape(srcShape, dstShape) && sameShape(region, srcShape)) return src;
  const out = allocate(dtype, sizeOf(dstShape));
  backend().copyStrided(src, 0, stridesOf(srcShape), out, 0, stridesOf(dstShape), region);
  return out;
}

function zerosStorage(t: Tensor): Tensor {
  return new Tensor(allocate(t.dtype, t.size), t.shape);
}

/** Checks the index against x for gather/scatterAdd and returns the kernel sizes and the padded index. */
function prepare(op: string, x: Tensor, dim: number, index: Tensor) {
  const idx = requireIndex(op, index);
  if (index.ndim !== x.ndim) {
    throw new Error(`${op}: index has shape ${shapeStr(index.shape)} but input has shape ${shapeStr(x.shape)}; they need the same number of dimensions`);
  }
  const a = normalizeDim(op, x.ndim, dim);
  for (let d = 0; d < x.ndim; d++) {
    if (d !== a && index.shape[d] > x.shape[d]) {
      throw new Error(`${op}: index shape ${shapeStr(index.shape)} is larger than input shape ${shapeStr(x.shape)} at dim ${d} (only dim ${a} may be larger)`);
    }
  }
  checkRange(op, idx, x.shape[a], `dim ${a} of input shape ${shapeStr(x.shape)}`);
  // the index padded with zeros (a valid position, paired with zero source values) to x's sizes off the indexed axis
  const P = x.shape.map((s, d) => (d === a ? index.shape[a] : s));
  const idxP = corner(idx, index.shape, P, index.shape, 'int32') as Int32Array;
  const outer = sizeOf(x.shape.slice(0, a)), inner = sizeOf(x.shape.slice(a + 1));
  return { a, P, idxP, outer, inner, dimSize: x.shape[a], idxDim: index.shape[a] };
}

/** torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] (dim 0; likewise for others), out shaped like index. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  if (x.ndim === 0 && index.ndim === 0) return reshape(gather(reshape(x, [1]), dim, reshape(index, [1])), []);
  const { P, idxP, outer, inner, dimSize, idxDim } = prepare('gather', x, dim, index);
  const be = backend();
  const outP = allocate(x.dtype, sizeOf(P));
  be.gather(x.data, idxP, outP, outer, dimSize, inner, idxDim);
  const out = new Tensor(corner(outP, P, index.shape, index.shape, x.dtype), index.shape);
  // ∂out/∂x scatters the gradient back to the positions read
  return record('gather', out, [x], (g) => {
    const gx = zerosStorage(x);
    be.scatterAdd(corner(g.data, index.shape, P, index.shape, g.dtype), idxP, gx.data, outer, dimSize, inner, idxDim);
    return [gx];
  });
}

/** torch.index_select: the slices x[..., index[j], ...] along dim, in index order (index 1-D). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const idx = requireIndex('indexSelect', index);
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 1-D, got shape ${shapeStr(index.shape)}`);
  if (x.ndim === 0) throw new Error('indexSelect: input must have at least one dimension, got shape []');
  const a = normalizeDim('indexSelect', x.ndim, dim);
  checkRange('indexSelect', idx, x.shape[a], `dim ${a} of input shape ${shapeStr(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, a)), inner = sizeOf(x.shape.slice(a + 1)), n = x.shape[a];
  const shape = x.shape.map((s, d) => (d === a ? idx.length : s));
  const be = backend();
  const out = new Tensor(empty(x.dtype, sizeOf(shape)), shape);
  be.indexSelect(x.data, idx, out.data, outer, n, inner);
  return record('indexSelect', out, [x], (g) => {
    const gx = zerosStorage(x);
    be.indexAdd(g.data, idx, gx.data, outer, n, inner);
    return [gx];
  });
}

/**
 * Out-of-place torch.scatter_add: a copy of x with out[index[i][j][k]][j][k] += src[i][j][k] (dim 0; likewise for
 * others) over index's extent. Gradients: x gets g, src gets g gathered at index (0 outside index's extent).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  const { P, idxP, outer, inner, dimSize, idxDim } = prepare(op, x, dim, index);
  if (src.dtype !== x.dtype) throw new Error(`${op}: src has dtype ${src.dtype}, input has ${x.dtype}`);
  if (src.ndim !== x.ndim || src.shape.some((s, d) => index.shape[d] > s)) {
    throw new Error(`${op}: src shape ${shapeStr(src.shape)} must have as many dimensions as input ${shapeStr(x.shape)} and be at least index shape ${shapeStr(index.shape)}`);
  }
  const be = backend();
  const out = new Tensor(x.data.slice(), x.shape);
  be.scatterAdd(corner(src.data, src.shape, P, index.shape, src.dtype), idxP, out.data, outer, dimSize, inner, idxDim);
  return record(op, out, [x, src], (g) => {
    let gsrc: Tensor | null = null;
    if (src.requiresGrad) {
      const gP = allocate(g.dtype, sizeOf(P));
      be.gather(g.data, idxP, gP, outer, dimSize, inner, idxDim);
      gsrc = new Tensor(corner(gP, P, src.shape, index.shape, g.dtype), src.shape);
    }
    return [g, gsrc];
  });
}

/**
 * Rows of weight (V, D) looked up by integer indices of any shape: out (...indices.shape, D).
 * The weight gradient scatter-adds the output gradient into the rows used; row paddingIdx gets none.
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number): Tensor {
  const op = 'embedding';
  const idx = requireIndex(op, indices);
  if (weight.ndim !== 2) throw new Error(`${op}: weight must be 2-D (numEmbeddings, dim), got shape ${shapeStr(weight.shape)}`);
  const [V, D] = weight.shape;
  let pad = -1;
  if (paddingIdx !== undefined && paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -V || paddingIdx >= V) {
      throw new Error(`${op}: paddingIdx ${paddingIdx} is out of range for weight of shape ${shapeStr(weight.shape)}`);
    }
    pad = paddingIdx < 0 ? paddingIdx + V : paddingIdx;
  }
  checkRange(op, idx, V, `dim 0 of weight shape ${shapeStr(weight.shape)}`);
  const be = backend();
  const shape = [...indices.shape, D];
  const out = new Tensor(empty(weight.dtype, idx.length * D), shape);
  be.indexSelect(weight.data, idx, out.data, 1, V, D);
  return record(op, out, [weight], (g) => {
    const gw = zerosStorage(weight);
    be.indexAdd(g.data, idx, gw.data, 1, V, D);
    if (pad >= 0) gw.data.fill(0, pad * D, (pad + 1) * D);
    return [gw];
  });
}

import type { Storage } from '../types.ts';

/**
 * x viewed as (outer, dim, inner) along the indexed axis. Indices are validated by the engine before a kernel runs.
 */
export interface IndexKernels {
  /** out (outer, nIdx, inner)[o, j, i] = x[o, idx[j], i]  (index_select; embedding lookup is axis 0). */
  indexSelect(x: Storage, idx: Int32Array, out: Storage, outer: number, dim: number, inner: number): void;
  /** out[o, idx[j], i] += src[o, j, i]  (accumulates; the backward of indexSelect). */
  indexAdd(src: Storage, idx: Int32Array, out: Storage, outer: number, dim: number, inner: number): void;
  /** torch.gather: out[o, j, i] = x[o, index[o, j, i], i], index and out shaped (outer, idxDim, inner). */
  gather(x: Storage, index: Int32Array, out: Storage, outer: number, dim: number, inner: number, idxDim: number): void;
  /** torch.scatter_add_: out[o, index[o, j, i], i] += src[o, j, i] (accumulates). */
  scatterAdd(src: Storage, index: Int32Array, out: Storage, outer: number, dim: number, inner: number, idxDim: number): void;
}

import type { Shape, Storage } from '../types.ts';

export interface ShapeKernels {
  /**
   * dst[dstOffset + Σ i_k·dstStrides_k] = src[srcOffset + Σ i_k·srcStrides_k] for every index i of `shape`.
   * One kernel serves permute, slice, concat, expand (stride 0) and contiguous copies.
   */
  copyStrided(
    src: Storage, srcOffset: number, srcStrides: Shape,
    dst: Storage, dstOffset: number, dstStrides: Shape, shape: Shape,
  ): void;
}

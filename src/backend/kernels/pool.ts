import type { FloatArray } from '../types.ts';

/** Pooling over x (n, c, h, w) → y (n, c, outH, outW). */
export interface Pool2dParams {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; strideH: number; strideW: number; padH: number; padW: number;
  outH: number; outW: number;
}

export interface PoolKernels {
  /** y = max over each window (padding never wins); argmax[j] = flat h·w index of the winner inside its plane. */
  maxPool2d(x: FloatArray, y: FloatArray, argmax: Int32Array, p: Pool2dParams): void;
  /** gx (overwritten) receives gy at each window's argmax. */
  maxPool2dBackward(gy: FloatArray, argmax: Int32Array, gx: FloatArray, p: Pool2dParams): void;
  /** y = window mean; the divisor counts padding cells when countIncludePad (PyTorch's default). */
  avgPool2d(x: FloatArray, y: FloatArray, p: Pool2dParams, countIncludePad: boolean): void;
  avgPool2dBackward(gy: FloatArray, gx: FloatArray, p: Pool2dParams, countIncludePad: boolean): void;
  /** Nearest-neighbour upsampling by integer factors: y (n, c, h·sh, w·sw). */
  upsampleNearest2d(x: FloatArray, y: FloatArray, nc: number, h: number, w: number, sh: number, sw: number): void;
  upsampleNearest2dBackward(gy: FloatArray, gx: FloatArray, nc: number, h: number, w: number, sh: number, sw: number): void;
}

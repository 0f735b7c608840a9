import type { FloatArray } from '../types.ts';

/**
 * A 2-D convolution x (n, cIn, h, w) ⋆ w (cOut, cIn/groups, kh, kw) → y (n, cOut, outH, outW). With groups g the
 * channels split into g consecutive blocks: output channels [i·cOut/g, (i+1)·cOut/g) see only input channels
 * [i·cIn/g, (i+1)·cIn/g) (g = cIn is a depthwise convolution). groups defaults to 1; g divides cIn and cOut.
 */
export interface Conv2dParams {
  n: number; cIn: number; h: number; w: number;
  cOut: number; kh: number; kw: number;
  strideH: number; strideW: number; padH: number; padW: number; dilH: number; dilW: number;
  outH: number; outW: number;
  groups?: number;
}

export interface ConvKernels {
  /** y = x ⋆ w + bias (bias may be null). Overwrites y. */
  conv2d(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, p: Conv2dParams): void;
  /** gx = ∂L/∂x given gy. Overwrites gx. Also the forward pass of a transposed convolution. */
  conv2dBackwardInput(gy: FloatArray, w: FloatArray, gx: FloatArray, p: Conv2dParams): void;
  /** gw = ∂L/∂w (overwritten), and gb = Σ gy over n, y, x when gb is not null. */
  conv2dBackwardWeight(x: FloatArray, gy: FloatArray, gw: FloatArray, gb: FloatArray | null, p: Conv2dParams): void;
}

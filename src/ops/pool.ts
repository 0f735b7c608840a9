// Pooling and nearest-neighbour upsampling over (N, C, H, W) inputs, or (C, H, W) unbatched (run as a batch of one).
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { Pool2dParams } from '../backend/backend.ts';
import { empty, shapeStr, type FloatArray } from '../backend/types.ts';
import { reshape } from './shape.ts';
import { mean } from './reduce.ts';
import type { IntPair } from './conv.ts';

export interface MaxPool2dOptions {
  /** Defaults to the kernel size (non-overlapping windows). */
  stride?: IntPair;
  padding?: IntPair;
}

export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Divide by the full window size, padding included (PyTorch's default), rather than by the real cells in it. */
  countIncludePad?: boolean;
}

function pair(op: string, name: string, v: IntPair | undefined, dflt: [number, number], min: number): [number, number] {
  const p = v === undefined ? dflt : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new Error(`${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** The (N, C, H, W) view of a float 3-D or 4-D input. */
function batched(op: string, x: Tensor): Tensor {
  if (x.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32 of shape ${shapeStr(x.shape)}`);
  if (x.ndim === 4) return x;
  if (x.ndim === 3) return reshape(x, [1, ...x.shape]);
  throw new Error(`${op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${shapeStr(x.shape)}`);
}

/** Validates the window geometry and sizes the output: floor((H + 2p − k)/s) + 1. */
function poolParams(op: string, x: Tensor, x4: Tensor, kernelSize: IntPair, opts: MaxPool2dOptions): Pool2dParams {
  const [n, c, h, w] = x4.shape;
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, [0, 0], 1);
  const [strideH, strideW] = pair(op, 'stride', opts.stride, [kh, kw], 1);
  const [padH, padW] = pair(op, 'padding', opts.padding, [0, 0], 0);
  // PyTorch's rule; it also guarantees every window holds at least one real cell
  if (2 * padH > kh || 2 * padW > kw) {
    throw new Error(`${op}: padding [${padH}, ${padW}] must be at most half the kernel size [${kh}, ${kw}] (input ${shapeStr(x.shape)})`);
  }
  if (kh > h + 2 * padH || kw > w + 2 * padW) {
    throw new Error(`${op}: kernel size [${kh}, ${kw}] is larger than the padded input [${h + 2 * padH}, ${w + 2 * padW}] of input ${shapeStr(x.shape)}`);
  }
  const outH = Math.floor((h + 2 * padH - kh) / strideH) + 1, outW = Math.floor((w + 2 * padW - kw) / strideW) + 1;
  return { n, c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW };
}

function unbatch(x: Tensor, y: Tensor): Tensor {
  return x.ndim === 3 ? reshape(y, y.shape.slice(1)) : y;
}

/** y = max over each window; the gradient flows to the window's (first) maximal cell. */
export function maxPool2d(x: Tensor, kernelSize: IntPair, opts: MaxPool2dOptions = {}): Tensor {
  const op = 'maxPool2d';
  const x4 = batched(op, x);
  const p = poolParams(op, x, x4, kernelSize, opts);
  const out = new Tensor(empty(x.dtype, p.n * p.c * p.outH * p.outW), [p.n, p.c, p.outH, p.outW]);
  const argmax = empty('int32', out.size) as Int32Array;
  backend().maxPool2d(x4.data as FloatArray, out.data as FloatArray, argmax, p);
  const y = record(op, out, [x4], (g) => {
    const gx = new Tensor(empty(x.dtype, x4.size), x4.shape);
    backend().maxPool2dBackward(g.data as FloatArray, argmax, gx.data as FloatArray, p);
    return [gx];
  });
  return unbatch(x, y);
}

/** y = window sum / divisor; every real cell of a window receives g / divisor. */
export function avgPool2d(x: Tensor, kernelSize: IntPair, opts: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  const x4 = batched(op, x);
  const p = poolParams(op, x, x4, kernelSize, opts);
  const includePad = opts.countIncludePad ?? true;
  const out = new Tensor(empty(x.dtype, p.n * p.c * p.outH * p.outW), [p.n, p.c, p.outH, p.outW]);
  backend().avgPool2d(x4.data as FloatArray, out.data as FloatArray, p, includePad);
  const y = record(op, out, [x4], (g) => {
    const gx = new Tensor(empty(x.dtype, x4.size), x4.shape);
    backend().avgPool2dBackward(g.data as FloatArray, gx.data as FloatArray, p, includePad);
    return [gx];
  });
  return unbatch(x, y);
}

/** y[n, c, i, j] = x[n, c, ⌊i/sH⌋, ⌊j/sW⌋] for integer factors; the gradient sums each sH×sW block. */
export function upsampleNearest2d(x: Tensor, scaleFactor: IntPair): Tensor {
  const op = 'upsampleNearest2d';
  const x4 = batched(op, x);
  const [n, c, h, w] = x4.shape;
  const [sh, sw] = pair(op, 'scaleFactor', scaleFactor, [0, 0], 1);
  const out = new Tensor(empty(x.dtype, n * c * h * sh * w * sw), [n, c, h * sh, w * sw]);
  backend().upsampleNearest2d(x4.data as FloatArray, out.data as FloatArray, n * c, h, w, sh, sw);
  const y = record(op, out, [x4], (g) => {
    const gx = new Tensor(empty(x.dtype, x4.size), x4.shape);
    backend().upsampleNearest2dBackward(g.data as FloatArray, gx.data as FloatArray, n * c, h, w, sh, sw);
    return [gx];
  });
  return unbatch(x, y);
}

/** Global average pooling, the only adaptive size supported: the mean over H and W, kept as 1×1. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: 1 | [1, 1]): Tensor {
  const op = 'adaptiveAvgPool2d';
  batched(op, x);
  const global = outputSize === 1 || (Array.isArray(outputSize) && outputSize.length === 2 && outputSize[0] === 1 && outputSize[1] === 1);
  if (!global) throw new Error(`${op}: only outputSize 1 (global pooling) is supported, got ${JSON.stringify(outputSize)} for input ${shapeStr(x.shape)}`);
  return mean(x, [-2, -1], true);
}

// 2-D convolution and its transpose, with channel groups as PyTorch's `groups`. Inputs are (N, C, H, W), or
// (C, H, W) unbatched, which runs as a batch of one. A transposed convolution is the adjoint of the convolution with
// the same weight and geometry, so its forward, input gradient and weight gradient are the three conv kernels with
// roles swapped.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { Conv2dParams } from '../backend/backend.ts';
import { empty, shapeStr, type FloatArray } from '../backend/types.ts';
import { reshape } from './shape.ts';
import { add } from './elementwise.ts';
import { sum } from './reduce.ts';

export type IntPair = number | [number, number];

export interface Conv2dOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  /**
   * Channel groups g (default 1): input and output channels split into g consecutive blocks and block i of the
   * output sees only block i of the input; g = Cin is a depthwise convolution. g must divide Cin and Cout.
   */
  groups?: number;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns added to one side of the output, to pick among the input sizes a strided conv maps alike. */
  outputPadding?: IntPair;
}

function pair(op: string, name: string, v: IntPair | undefined, dflt: number, min: number): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new Error(`${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** Float inputs of one dtype; bias is optional. */
function checkTypes(op: string, x: Tensor, weight: Tensor, bias: Tensor | null): void {
  for (const t of [x, weight, bias]) {
    if (t && t.dtype === 'int32') throw new Error(`${op}: expected float tensors, got int32 of shape ${shapeStr(t.shape)}`);
    if (t && t.dtype !== x.dtype) throw new Error(`${op}: dtype mismatch, input ${x.dtype} ${shapeStr(x.shape)} vs ${t.dtype} ${shapeStr(t.shape)}`);
  }
}

/** The (N, C, H, W) view of a 3-D or 4-D input. */
function batched(op: string, x: Tensor, weight: Tensor): Tensor {
  if (x.ndim === 4) return x;
  if (x.ndim === 3) return reshape(x, [1, ...x.shape]);
  throw new Error(`${op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${shapeStr(x.shape)} (weight ${shapeStr(weight.shape)})`);
}

function checkGroups(op: string, groups: number | undefined, x: Tensor, weight: Tensor): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) {
    throw new Error(`${op}: groups must be a positive integer, got ${JSON.stringify(groups)} (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)})`);
  }
  return g;
}

/** Both channel counts split evenly into groups; `what` names each count. */
function checkDivisible(op: string, groups: number, counts: [string, number][], x: Tensor, weight: Tensor): void {
  for (const [what, c] of counts) {
    if (c % groups !== 0) {
      throw new Error(`${op}: ${what} ${c} is not divisible by groups = ${groups} (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)})`);
    }
  }
}

/** The weight's per-group channel count times groups must be the input's channel count. */
function checkInChannels(op: string, x: Tensor, weight: Tensor, cIn: number, wIn: number, groups: number): void {
  if (wIn * groups !== cIn) {
    const per = groups > 1 ? ` (${wIn} per group × groups = ${groups})` : '';
    throw new Error(`${op}: input ${shapeStr(x.shape)} has ${cIn} channels, but weight ${shapeStr(weight.shape)} expects ${wIn * groups}${per}`);
  }
}

function checkWeight(op: string, x: Tensor, weight: Tensor, layout: string): void {
  if (weight.ndim !== 4 || weight.shape[2] < 1 || weight.shape[3] < 1) {
    throw new Error(`${op}: expected a 4-D weight ${layout} with a non-empty kernel, got shape ${shapeStr(weight.shape)} (input ${shapeStr(x.shape)})`);
  }
}

function checkBias(op: string, bias: Tensor | null, channels: number, weight: Tensor): void {
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`${op}: bias of shape ${shapeStr(bias.shape)} does not match weight ${shapeStr(weight.shape)}; expected [${channels}]`);
  }
}

/** y = x ⋆ weight + bias: y[n, o, i, j] = b[o] + Σ_{c,u,v} w[o, c, u, v]·x[n, c, i·sH − pH + u·dH, j·sW − pW + v·dW]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkTypes(op, x, weight, bias);
  checkWeight(op, x, weight, '(Cout, Cin/groups, kh, kw)');
  const x4 = batched(op, x, weight);
  const [n, cIn, h, w] = x4.shape;
  const [cOut, wIn, kh, kw] = weight.shape;
  const groups = checkGroups(op, opts.groups, x, weight);
  checkDivisible(op, groups, [['input channels', cIn], ['output channels (weight.shape[0])', cOut]], x, weight);
  checkInChannels(op, x, weight, cIn, wIn, groups);
  checkBias(op, bias, cOut, weight);
  const [strideH, strideW] = pair(op, 'stride', opts.stride, 1, 1);
  const [padH, padW] = pair(op, 'padding', opts.padding, 0, 0);
  const [dilH, dilW] = pair(op, 'dilation', opts.dilation, 1, 1);
  // a dilated kernel spans d·(k − 1) + 1 cells and must fit inside the padded input
  const spanH = dilH * (kh - 1) + 1, spanW = dilW * (kw - 1) + 1;
  if (spanH > h + 2 * padH || spanW > w + 2 * padW) {
    throw new Error(`${op}: kernel of weight ${shapeStr(weight.shape)} (dilated span [${spanH}, ${spanW}]) is larger than the padded input ` +
      `[${h + 2 * padH}, ${w + 2 * padW}] of input ${shapeStr(x.shape)}`);
  }
  const outH = Math.floor((h + 2 * padH - spanH) / strideH) + 1, outW = Math.floor((w + 2 * padW - spanW) / strideW) + 1;
  const p: Conv2dParams = { n, cIn, h, w, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, outH, outW, groups };
  const out = new Tensor(empty(x.dtype, n * cOut * outH * outW), [n, cOut, outH, outW]);
  backend().conv2d(x4.data as FloatArray, weight.data as FloatArray, bias ? bias.data as FloatArray : null, out.data as FloatArray, p);
  const inputs = bias ? [x4, weight, bias] : [x4, weight];
  const y = record(op, out, inputs, (g) => {
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (x4.requiresGrad) {
      gx = new Tensor(empty(x.dtype, x4.size), x4.shape);
      backend().conv2dBackwardInput(g.data as FloatArray, weight.data as FloatArray, gx.data as FloatArray, p);
    }
    if (weight.requiresGrad) {
      gw = new Tensor(empty(x.dtype, weight.size), weight.shape);
      if (bias?.requiresGrad) gb = new Tensor(empty(x.dtype, cOut), [cOut]);
      backend().conv2dBackwardWeight(x4.data as FloatArray, g.data as FloatArray, gw.data as FloatArray, gb ? gb.data as FloatArray : null, p);
    } else if (bias?.requiresGrad) {
      gb = sum(g, [0, 2, 3]); // ∂L/∂b[o] = Σ_{n,i,j} g[n, o, i, j]
    }
    return [gx, gw, gb];
  });
  return x.ndim === 3 ? reshape(y, [cOut, outH, outW]) : y;
}

/**
 * The adjoint of conv2d (a "deconvolution"): weight is (Cin, Cout/groups, kh, kw) as in PyTorch, and the output is
 * (N, Cout, Hout, Wout) with Hout = (H − 1)·sH − 2·pH + dH·(kh − 1) + outputPaddingH + 1. If A is conv2d with this
 * weight mapping (Cout, Hout, Wout) to (Cin, H, W), then y = Aᵀx, ∂L/∂x = A·g, and ∂L/∂w is conv2d's weight gradient
 * with g as the conv input and x as the conv output gradient.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkTypes(op, x, weight, bias);
  checkWeight(op, x, weight, '(Cin, Cout/groups, kh, kw)');
  const x4 = batched(op, x, weight);
  const [n, cIn, h, w] = x4.shape;
  const [wIn, wOut, kh, kw] = weight.shape;
  const groups = checkGroups(op, opts.groups, x, weight);
  if (wIn !== cIn) throw new Error(`${op}: input ${shapeStr(x.shape)} has ${cIn} channels, but weight ${shapeStr(weight.shape)} expects ${wIn}`);
  checkDivisible(op, groups, [['input channels', cIn]], x, weight);
  const cOut = wOut * groups;
  checkBias(op, bias, cOut, weight);
  const [strideH, strideW] = pair(op, 'stride', opts.stride, 1, 1);
  const [padH, padW] = pair(op, 'padding', opts.padding, 0, 0);
  const [dilH, dilW] = pair(op, 'dilation', opts.dilation, 1, 1);
  const [opH, opW] = pair(op, 'outputPadding', opts.outputPadding, 0, 0);
  // PyTorch's rule: beyond this the extra rows would be ones no input cell reaches in the matching conv
  if ((opH >= strideH && opH >= dilH) || (opW >= strideW && opW >= dilW)) {
    throw new Error(`${op}: outputPadding [${opH}, ${opW}] must be smaller than either stride [${strideH}, ${strideW}] or dilation [${dilH}, ${dilW}] (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)})`);
  }
  const outH = (h - 1) * strideH - 2 * padH + dilH * (kh - 1) + opH + 1;
  const outW = (w - 1) * strideW - 2 * padW + dilW * (kw - 1) + opW + 1;
  if (outH < 1 || outW < 1) {
    throw new Error(`${op}: padding [${padH}, ${padW}] leaves an empty output [${outH}, ${outW}] for input ${shapeStr(x.shape)} and weight ${shapeStr(weight.shape)}`);
  }
  // the matching conv: its input is this op's output, its output is this op's input; its weight
  // (Cout_conv = cIn, Cin_conv/groups = cOut/groups, kh, kw) is this weight as it stands
  const p: Conv2dParams = {
    n, cIn: cOut, h: outH, w: outW, cOut: cIn, kh, kw, strideH, strideW, padH, padW, dilH, dilW, outH: h, outW: w, groups,
  };
  const out = new Tensor(empty(x.dtype, n * cOut * outH * outW), [n, cOut, outH, outW]);
  backend().conv2dBackwardInput(x4.data as FloatArray, weight.data as FloatArray, out.data as FloatArray, p);
  let y = record(op, out, [x4, weight], (g) => {
    let gx: Tensor | null = null, gw: Tensor | null = null;
    if (x4.requiresGrad) {
      gx = new Tensor(empty(x.dtype, x4.size), x4.shape);
      backend().conv2d(g.data as FloatArray, weight.data as FloatArray, null, gx.data as FloatArray, p);
    }
    if (weight.requiresGrad) {
      gw = new Tensor(empty(x.dtype, weight.size), weight.shape);
      backend().conv2dBackwardWeight(g.data as FloatArray, x4.data as FloatArray, gw.data as FloatArray, null, p);
    }
    return [gx, gw];
  });
  if (bias) y = add(y, reshape(bias, [1, cOut, 1, 1]));
  return x.ndim === 3 ? reshape(y, [cOut, outH, outW]) : y;
}

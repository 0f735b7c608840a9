// Normalization layers: batch norm, layer norm, group norm. Each is one fused kernel forward and one backward.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { allocate, empty, sameShape, shapeStr, sizeOf, type FloatArray, type Shape } from '../backend/types.ts';
import { mul } from './elementwise.ts';
import { requireFloat } from './base.ts';
import { sum } from './reduce.ts';
import { reshape } from './shape.ts';

const f = (t: Tensor): FloatArray => t.data as FloatArray;

/** A per-channel (or per-feature) parameter must be float, x's dtype, and exactly `shape`. */
function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: Shape, x: Tensor): void {
  if (!t) return;
  if (t.dtype !== x.dtype) throw new Error(`${op}: ${name} has dtype ${t.dtype}, input has ${x.dtype}`);
  if (!sameShape(t.shape, shape)) {
    throw new Error(`${op}: ${name} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)} for input of shape ${shapeStr(x.shape)}`);
  }
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
}

/** Σ over n and s of t viewed as (n, c, s): one value per channel. */
function channelSum(t: Tensor, n: number, c: number, s: number): Tensor {
  return reshape(sum(reshape(t, [n, c, s]), [0, 2]), [c]);
}

/** Records [x, weight?, bias?] as inputs and maps the backward's three gradients onto whichever are present. */
function recordAffine(op: string, y: Tensor, x: Tensor, weight: Tensor | null, bias: Tensor | null,
  backward: (g: Tensor) => [Tensor | null, Tensor | null, Tensor | null]): Tensor {
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return record(op, y, inputs, (g) => {
    const [gx, gw, gb] = backward(g);
    const out: (Tensor | null)[] = [gx];
    if (weight) out.push(gw);
    if (bias) out.push(gb);
    return out;
  });
}

function newLike(x: Tensor, shape: Shape = x.shape): Tensor {
  return new Tensor(empty(x.dtype, sizeOf(shape)), shape); // every use is a kernel output it overwrites
}

/**
 * Batch normalization over x (N, C) or (N, C, *), statistics per channel C over N and *:
 * y = (x − μ_c)/√(σ²_c + eps)·weight_c + bias_c.
 * Training: μ, σ² are the batch's (σ² biased), and the running stats are updated in place,
 * running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance σ²·m/(m − 1) (as PyTorch).
 * Eval: μ, σ² are the running stats.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null,
  bias: Tensor | null = null, training = false, momentum = 0.1, eps = 1e-5): Tensor {
  const op = 'batchNorm';
  requireFloat(op, x);
  if (x.ndim < 2) throw new Error(`batchNorm: expected input of shape (N, C) or (N, C, *), got ${shapeStr(x.shape)}`);
  const n = x.shape[0], c = x.shape[1], s = sizeOf(x.shape.slice(2)), m = n * s;
  checkParam(op, 'weight', weight, [c], x);
  checkParam(op, 'bias', bias, [c], x);
  checkParam(op, 'runningMean', runningMean, [c], x);
  checkParam(op, 'runningVar', runningVar, [c], x);
  checkEps(op, eps);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  const be = backend();
  const mean = allocate(x.dtype, c) as FloatArray, rstd = allocate(x.dtype, c) as FloatArray;
  const y = newLike(x);
  const gamma = weight ? f(weight) : null, beta = bias ? f(bias) : null;

  if (training) {
    if (m <= 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input shape ${shapeStr(x.shape)}`);
    const variance = allocate(x.dtype, c) as FloatArray;
    be.channelMoments(f(x), n, c, s, mean, variance);
    for (let k = 0; k < c; k++) rstd[k] = 1 / Math.sqrt(variance[k] + eps);
    const rm = runningMean ? f(runningMean) : null, rv = runningVar ? f(runningVar) : null;
    for (let k = 0; k < c; k++) {
      if (rm) rm[k] = (1 - momentum) * rm[k] + momentum * mean[k];
      if (rv) rv[k] = (1 - momentum) * rv[k] + momentum * variance[k] * (m / (m - 1));
    }
    be.channelAffine(f(x), mean, rstd, gamma, beta, f(y), n, c, s);
    return recordAffine(op, y, x, weight, bias, (g) => {
      const gx = newLike(x);
      const gw = weight ? newLike(weight) : null, gb = bias ? newLike(bias) : null;
      be.batchNormBackward(f(g), f(x), mean, rstd, gamma, f(gx), gw && f(gw), gb && f(gb), n, c, s);
      return [gx, gw, gb];
    });
  }

  if (!runningMean || !runningVar) throw new Error('batchNorm: runningMean and runningVar are required in eval mode (training = false)');
  // snapshot: a later training call updates the running stats in place before this backward may run
  mean.set(f(runningMean));
  const rv = f(runningVar);
  for (let k = 0; k < c; k++) rstd[k] = 1 / Math.sqrt(rv[k] + eps);
  be.channelAffine(f(x), mean, rstd, gamma, beta, f(y), n, c, s);
  // y is affine in x: gx = g·rstd·γ, gγ = Σ g·x̂, gβ = Σ g
  return recordAffine(op, y, x, weight, bias, (g) => {
    const zero = allocate(x.dtype, c) as FloatArray;
    const gx = newLike(x);
    be.channelAffine(f(g), zero, rstd, gamma, null, f(gx), n, c, s);
    let gw: Tensor | null = null;
    if (weight?.requiresGrad) {
      const xhat = newLike(x);
      be.channelAffine(f(x), mean, rstd, null, null, f(xhat), n, c, s);
      gw = channelSum(mul(g, xhat), n, c, s);
    }
    return [gx, gw, bias?.requiresGrad ? channelSum(g, n, c, s) : null];
  });
}

/**
 * Layer normalization over the trailing dims `normalizedShape`:
 * y = (x − μ)/√(σ² + eps)·weight + bias, μ and σ² (biased) per row of prod(normalizedShape) values.
 */
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  requireFloat(op, x);
  const k = normalizedShape.length;
  if (k === 0 || k > x.ndim || !normalizedShape.every((d, i) => Number.isInteger(d) && d === x.shape[x.ndim - k + i])) {
    throw new Error(`layerNorm: normalizedShape ${shapeStr(normalizedShape)} must be a non-empty suffix of the input shape ${shapeStr(x.shape)}`);
  }
  checkParam(op, 'weight', weight, normalizedShape, x);
  checkParam(op, 'bias', bias, normalizedShape, x);
  checkEps(op, eps);
  const cols = sizeOf(normalizedShape), rows = cols === 0 ? 0 : x.size / cols;
  const be = backend();
  const mean = allocate(x.dtype, rows) as FloatArray, rstd = allocate(x.dtype, rows) as FloatArray;
  const gamma = weight ? f(weight) : null;
  const y = newLike(x);
  be.layerNorm(f(x), gamma, bias ? f(bias) : null, f(y), mean, rstd, rows, cols, eps);
  return recordAffine(op, y, x, weight, bias, (g) => {
    const gx = newLike(x);
    const gw = weight ? newLike(weight) : null, gb = bias ? newLike(bias) : null;
    be.layerNormBackward(f(g), f(x), gamma, mean, rstd, f(gx), gw && f(gw), gb && f(gb), rows, cols);
    return [gx, gw, gb];
  });
}

export interface GroupNormExtras {
  /** An activation fused after the affine: 'silu' gives u·σ(u) (default 'none'). */
  activation?: 'none' | 'silu';
  /** (N, C), added to x per sample and channel before normalizing (a diffusion U-Net's time embedding); differentiable. */
  shift?: Tensor | null;
}

/**
 * Group normalization of x (N, C, *): channels split into numGroups groups, each (sample, group) normalized over its
 * (C/numGroups)·prod(*) values, then a per-channel affine:
 *   u = (x − μ)/√(σ² + eps)·weight_c + bias_c   (μ, biased σ² per sample and group)
 * One fused kernel, which also takes (deepten extensions, see GroupNormExtras) a per-(sample, channel) shift added
 * to x first and a SiLU applied after: y = act(GN(x + shift)). The backward recomputes u from x, so neither x + shift
 * nor u is ever stored.
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5,
  extras: GroupNormExtras = {}): Tensor {
  const op = 'groupNorm';
  requireFloat(op, x);
  if (x.ndim < 2) throw new Error(`groupNorm: expected input of shape (N, C, *), got ${shapeStr(x.shape)}`);
  const n = x.shape[0], c = x.shape[1], s = sizeOf(x.shape.slice(2));
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new Error(`groupNorm: ${c} channels (input shape ${shapeStr(x.shape)}) cannot be split into ${numGroups} groups`);
  }
  checkParam(op, 'weight', weight, [c], x);
  checkParam(op, 'bias', bias, [c], x);
  const shift = extras.shift ?? null;
  checkParam(op, 'shift', shift, [n, c], x);
  checkEps(op, eps);
  const act = extras.activation ?? 'none';
  if (act !== 'none' && act !== 'silu') throw new Error(`groupNorm: activation must be 'none' or 'silu', got '${act}'`);
  const p = { n, c, s, groups: numGroups, eps, act };
  const be = backend();
  const mean = allocate(x.dtype, n * numGroups) as FloatArray, rstd = allocate(x.dtype, n * numGroups) as FloatArray;
  const gamma = weight ? f(weight) : null, beta = bias ? f(bias) : null, sh = shift ? f(shift) : null;
  const y = newLike(x);
  be.groupNorm(f(x), gamma, beta, sh, f(y), mean, rstd, p);
  const inputs = [x, weight, bias, shift].filter((t): t is Tensor => t !== null);
  return record(op, y, inputs, (g) => {
    const gx = newLike(x);
    const gw = weight?.requiresGrad ? newLike(weight) : null, gb = bias?.requiresGrad ? newLike(bias) : null;
    const gs = shift?.requiresGrad ? newLike(shift) : null;
    be.groupNormBackward(f(g), f(x), gamma, beta, sh, mean, rstd, f(gx), gw && f(gw), gb && f(gb), gs && f(gs), p);
    const out: (Tensor | null)[] = [gx];
    if (weight) out.push(gw);
    if (bias) out.push(gb);
    if (shift) out.push(gs);
    return out;
  });
}

// Loss functions with torch.nn.functional's semantics, composed from existing ops (so their gradients come from
// those ops' derivatives). Class-index losses take logits/log-probabilities shaped (N, C) or (N, C, d1, …) — or an
// unbatched (C) with a scalar target — and an int32 target shaped (N) or (N, d1, …).
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { allocate, broadcastShapes, sameShape, shapeStr, type Shape } from '../backend/types.ts';
import { add, cast, div, lt, mul, neg, softplus, square, sub, abs, where } from './elementwise.ts';
import { requireFloat } from './base.ts';
import { sum, mean } from './reduce.ts';
import { reshape } from './shape.ts';
import { logSoftmax } from './softmax.ts';
import { gather } from './indexing.ts';

export type Reduction = 'mean' | 'sum' | 'none';

export interface NllLossOptions {
  /** Targets equal to this contribute nothing and are left out of the mean's denominator (default −100). */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** Per-class rescaling, shape (C); treated as a constant. */
  weight?: Tensor;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·one-hot + ε/C (PyTorch 1.13's definition). */
  labelSmoothing?: number;
}

function checkReduction(op: string, reduction: string): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  }
}

function reduce(l: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? mean(l) : reduction === 'sum' ? sum(l) : l;
}

// ---------- class-index losses ----------

interface ClassGeometry {
  /** the class axis of the input: 1, or 0 for an unbatched (C) input */
  classDim: number;
  C: number;
  /** per-class weights as plain numbers (all 1 without a weight) */
  w: ArrayLike<number> | null;
}

/** Validates input (N, C, d…) / (C) against target (N, d…) / () and the class indices; returns the class axis. */
function classGeometry(op: string, input: Tensor, target: Tensor, ignoreIndex: number, weight?: Tensor): ClassGeometry {
  requireFloat(op, input);
  const shapes = `input shape ${shapeStr(input.shape)}, target shape ${shapeStr(target.shape)}`;
  if (target.dtype !== 'int32') {
    throw new Error(`${op}: target must be an int32 tensor of class indices, got ${target.dtype} (${shapes})`);
  }
  if (input.ndim === 0) throw new Error(`${op}: input must have a class dimension, got a scalar (${shapes})`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(expected, target.shape)) {
    throw new Error(`${op}: input shape ${shapeStr(input.shape)} needs target shape ${shapeStr(expected)}, got target shape ${shapeStr(target.shape)}`);
  }
  const C = input.shape[classDim];
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const t = target.data;
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== ignoreIndex && (t[i] < 0 || t[i] >= C)) {
      throw new Error(`${op}: target value ${t[i]} (at flat index ${i}) is out of range for ${C} classes (${shapes})`);
    }
  }
  if (weight) {
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new Error(`${op}: weight must have shape [${C}] (one per class), got ${shapeStr(weight.shape)} (${shapes})`);
    }
    requireFloat(`${op} weight`, weight);
  }
  return { classDim, C, w: weight ? weight.data : null };
}

/** Σ over non-ignored targets of w[target] (their count without weights): the mean's denominator. */
function totalWeight(target: Tensor, g: ClassGeometry, ignoreIndex: number): number {
  let s = 0;
  for (const t of target.data) if (t !== ignoreIndex) s += g.w ? g.w[t] : 1;
  return s;
}

/**
 * s / total, the class losses' mean. With every target ignored total is 0: the loss is NaN but the gradient is 0,
 * as PyTorch's (dividing by zero would send NaN into the weights through the 0·∞ of the backward).
 */
function weightedMean(s: Tensor, total: number): Tensor {
  return total === 0 ? add(mul(s, 0), NaN) : div(s, total);
}

/**
 * ℓ_i = −w[y_i]·x[i, y_i] (0 where y_i = ignoreIndex); 'mean' is Σℓ_i / Σ_{y_i ≠ ignore} w[y_i], as PyTorch.
 * The pick is a gather along the class axis; ignored positions read class 0 and get coefficient 0.
 */
function nllCore(x: Tensor, target: Tensor, g: ClassGeometry, ignoreIndex: number, reduction: Reduction): Tensor {
  const n = target.size;
  const safe = new Int32Array(n);
  const coef = allocate(x.dtype, n);
  for (let i = 0; i < n; i++) {
    const t = target.data[i];
    if (t === ignoreIndex) continue;
    safe[i] = t;
    coef[i] = -(g.w ? g.w[t] : 1);
  }
  const idxShape = x.ndim === 1 ? [1] : [target.shape[0], 1, ...target.shape.slice(1)];
  const picked = reshape(gather(x, g.classDim, new Tensor(safe, idxShape)), target.shape);
  const l = mul(picked, new Tensor(coef, target.shape));
  if (reduction === 'none') return l;
  const s = sum(l);
  return reduction === 'sum' ? s : weightedMean(s, totalWeight(target, g, ignoreIndex));
}

/** The negative log-likelihood of class targets given log-probabilities (torch.nn.functional.nll_loss). */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  const { ignoreIndex = -100, reduction = 'mean', weight } = opts;
  checkReduction('nllLoss', reduction);
  const g = classGeometry('nllLoss', logProbs, target, ignoreIndex, weight);
  return nllCore(logProbs, target, g, ignoreIndex, reduction);
}

/**
 * nllLoss(logSoftmax(logits, classDim), target). With label smoothing ε (PyTorch 1.13):
 *   (1 − ε)·nll + (ε/C)·smooth,  smooth_i = −Σ_c w_c·logp[i, c] (0 where ignored),
 * smooth reduced like nll ('mean' divides by the same Σ w[y_i] over non-ignored targets).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const { ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean', weight } = opts;
  checkReduction(op, reduction);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`${op}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  const g = classGeometry(op, logits, target, ignoreIndex, weight);
  const logp = logSoftmax(logits, g.classDim);
  const nll = nllCore(logp, target, g, ignoreIndex, reduction);
  if (labelSmoothing === 0) return nll;

  let weighted = logp;
  if (weight) {
    const wShape = logits.shape.map((d, i) => (i === g.classDim ? d : 1));
    weighted = mul(logp, reshape(cast(weight, logp.dtype), wShape));
  }
  let smooth = neg(sum(weighted, g.classDim));
  const keep = allocate(logp.dtype, target.size);
  let anyIgnored = false;
  for (let i = 0; i < target.size; i++) {
    if (target.data[i] === ignoreIndex) anyIgnored = true; else keep[i] = 1;
  }
  if (anyIgnored) smooth = mul(smooth, new Tensor(keep, target.shape));
  if (reduction === 'sum') smooth = sum(smooth);
  else if (reduction === 'mean') smooth = weightedMean(sum(smooth), totalWeight(target, g, ignoreIndex));
  return add(mul(nll, 1 - labelSmoothing), mul(smooth, labelSmoothing / g.C));
}

// ---------- elementwise losses ----------

/** input and target: float, same dtype, same shape (PyTorch only warns on a broadcast here; it is nearly always a bug). */
function pairCheck(op: string, input: Tensor, target: Tensor, reduction: string): void {
  checkReduction(op, reduction);
  requireFloat(op, input, target);
  if (input.dtype !== target.dtype) {
    throw new Error(`${op}: input is ${input.dtype} ${shapeStr(input.shape)} but target is ${target.dtype} ${shapeStr(target.shape)}`);
  }
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${op}: input shape ${shapeStr(input.shape)} and target shape ${shapeStr(target.shape)} must match`);
  }
}

/** ℓ = (x − y)² */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  pairCheck('mseLoss', input, target, reduction);
  return reduce(square(sub(input, target)), reduction);
}

/** ℓ = |x − y| */
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  pairCheck('l1Loss', input, target, reduction);
  return reduce(abs(sub(input, target)), reduction);
}

/** ℓ = 0.5·d²/β where |d| < β, else |d| − 0.5·β (d = x − y); β = 0 is l1Loss. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { beta?: number; reduction?: Reduction } = {}): Tensor {
  const { beta = 1, reduction = 'mean' } = opts;
  pairCheck('smoothL1Loss', input, target, reduction);
  if (!(beta >= 0)) throw new Error(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  const d = sub(input, target);
  const ad = abs(d);
  // β = 0 would divide by zero in the quadratic branch (whose zero gradient would then turn NaN)
  if (beta === 0) return reduce(ad, reduction);
  return reduce(where(lt(ad, beta), div(mul(square(d), 0.5), beta), sub(ad, 0.5 * beta)), reduction);
}

/** ℓ = 0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ) (d = x − y). */
export function huberLoss(input: Tensor, target: Tensor, opts: { delta?: number; reduction?: Reduction } = {}): Tensor {
  const { delta = 1, reduction = 'mean' } = opts;
  pairCheck('huberLoss', input, target, reduction);
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be > 0, got ${delta}`);
  const d = sub(input, target);
  const ad = abs(d);
  return reduce(where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta)), reduction);
}

/** A weight-like tensor must broadcast to the loss's shape without enlarging it; it is cast to the input's dtype. */
function broadcastOperand(op: string, name: string, t: Tensor, shape: Shape, like: Tensor): Tensor {
  requireFloat(`${op} ${name}`, t);
  const b = broadcastShapes(t.shape, shape);
  if (!b || !sameShape(b, shape)) {
    throw new Error(`${op}: ${name} shape ${shapeStr(t.shape)} cannot be broadcast to input shape ${shapeStr(shape)}`);
  }
  return cast(t, like.dtype);
}

export interface BceOptions {
  reduction?: Reduction;
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor;
}

/**
 * ℓ = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), p = posWeight (1 without): without p this is PyTorch's stable
 * max(x, 0) − x·y + log(1 + e^−|x|). softplus is smooth, so the gradient σ(x) − y is right at x = 0 too.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BceOptions & { posWeight?: Tensor } = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { reduction = 'mean', weight, posWeight } = opts;
  pairCheck(op, logits, target, reduction);
  let sp = softplus(neg(logits));
  if (posWeight) {
    const p = broadcastOperand(op, 'posWeight', posWeight, target.shape, logits);
    sp = mul(sp, add(mul(sub(p, 1), target), 1));
  }
  let l = add(mul(sub(1, target), logits), sp);
  if (weight) l = mul(l, broadcastOperand(op, 'weight', weight, logits.shape, logits));
  return reduce(l, reduction);
}

const LOG_FLOOR = -100; // PyTorch clamps each log at −100 so probabilities of exactly 0 or 1 give a finite loss
const BCE_EPS = 1e-12; // and bounds x·(1 − x) below by this in the backward

/**
 * ℓ = −(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)), one recorded op: composing it from log and clamp
 * would give 0·∞ = NaN gradients at x = 0 or 1 (a saturated sigmoid), where PyTorch's gradient is finite.
 *   ∂ℓ/∂x = (x − y) / max(x·(1 − x), 1e−12),   ∂ℓ/∂y = max(log(1 − x), −100) − max(log x, −100)
 */
function bceElementwise(x: Tensor, y: Tensor): Tensor {
  const n = x.size, xd = x.data, yd = y.data;
  const logx = new Float64Array(n), log1mx = new Float64Array(n);
  const out = new Tensor(allocate(x.dtype, n), x.shape);
  for (let i = 0; i < n; i++) {
    logx[i] = Math.max(Math.log(xd[i]), LOG_FLOOR);
    log1mx[i] = Math.max(Math.log1p(-xd[i]), LOG_FLOOR);
    out.data[i] = -(yd[i] * logx[i] + (1 - yd[i]) * log1mx[i]);
  }
  return record('binaryCrossEntropy', out, [x, y], (g) => {
    const gx = x.requiresGrad ? new Tensor(allocate(x.dtype, n), x.shape) : null;
    const gy = y.requiresGrad ? new Tensor(allocate(y.dtype, n), y.shape) : null;
    for (let i = 0; i < n; i++) {
      if (gx) gx.data[i] = (g.data[i] * (xd[i] - yd[i])) / Math.max(xd[i] * (1 - xd[i]), BCE_EPS);
      if (gy) gy.data[i] = g.data[i] * (log1mx[i] - logx[i]);
    }
    return [gx, gy];
  });
}

/** Binary cross-entropy of probabilities in [0, 1] (torch.nn.functional.binary_cross_entropy). */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { reduction = 'mean', weight } = opts;
  pairCheck(op, probs, target, reduction);
  for (let i = 0; i < probs.size; i++) {
    const v = probs.data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new Error(`${op}: input values must be probabilities in [0, 1], got ${v} at flat index ${i} (input shape ${shapeStr(probs.shape)})`);
    }
  }
  let l = bceElementwise(probs, target);
  if (weight) l = mul(l, broadcastOperand(op, 'weight', weight, probs.shape, probs));
  return reduce(l, reduction);
}

// Elementwise ops: broadcasting arithmetic and comparisons, unary functions, where, clone and cast.
// Each op's derivative sits in the closure it records; unary derivatives are the backend's unaryGrad kernel.
import { Tensor, type TensorLike } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { BinaryOp, UnaryOp } from '../backend/backend.ts';
import { empty, broadcastShapes, shapeStr, type DType, type FloatArray } from '../backend/types.ts';
import { broadcastCheck, requireFloat, sumTo, toTensor } from './base.ts';

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastCheck(op, a, b);
  const out = new Tensor(empty(a.dtype, shape.reduce((x, y) => x * y, 1)), shape);
  backend().binary(op, a.data, a.shape, b.data, b.shape, out.data, shape);
  return out;
}

function binary(op: BinaryOp, x: TensorLike, y: TensorLike, grads?: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  if (!(x instanceof Tensor) && !(y instanceof Tensor)) throw new Error(`${op}: at least one operand must be a Tensor, got ${typeof x} and ${typeof y}`);
  const a = x instanceof Tensor ? x : toTensor(x, y as Tensor);
  const b = toTensor(y, a);
  const out = binaryRaw(op, a, b);
  if (!grads) return out;
  return record(op, out, [a, b], (g) => {
    const [ga, gb] = grads(g, a, b, out);
    return [ga && a.requiresGrad ? sumTo(ga, a.shape) : null, gb && b.requiresGrad ? sumTo(gb, b.shape) : null];
  });
}

// ∂(a+b) = (g, g)
export function add(a: TensorLike, b: TensorLike): Tensor { return binary('add', a, b, (g) => [g, g]); }
// ∂(a−b) = (g, −g)
export function sub(a: TensorLike, b: TensorLike): Tensor { return binary('sub', a, b, (g, _a, bb) => [g, bb.requiresGrad ? neg(g) : null]); }
// ∂(a·b) = (g·b, g·a)
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', a, b, (g, aa, bb) => [aa.requiresGrad ? binaryRaw('mul', g, bb) : null, bb.requiresGrad ? binaryRaw('mul', g, aa) : null]);
}
// ∂(a/b) = (g/b, −g·a/b²) = (g/b, −(g/b)·out)
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', a, b, (g, _aa, bb, out) => {
    const gb = binaryRaw('div', g, bb);
    return [gb, bb.requiresGrad ? neg(binaryRaw('mul', gb, out)) : null];
  });
}
// ∂(a^b) = (g·b·a^(b−1), g·a^b·ln a)
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return unary('powScalar', a, b);
  return binary('pow', a, b, (g, aa, bb, out) => [
    aa.requiresGrad ? mul(g, mul(bb, binaryRaw('pow', aa, sub(bb, 1)))) : null,
    bb.requiresGrad ? mul(g, mul(out, log(aa))) : null,
  ]);
}
// the gradient goes to the larger input (to a on ties, as max's subgradient choice)
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', a, b, (g, aa, bb) => { const m = binaryRaw('ge', aa, bb); return [mul(g, m), mul(g, sub(1, m))]; });
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', a, b, (g, aa, bb) => { const m = binaryRaw('le', aa, bb); return [mul(g, m), mul(g, sub(1, m))]; });
}
// comparisons are piecewise constant: no gradient, and the result never requires one
export function gt(a: TensorLike, b: TensorLike): Tensor { return binary('gt', a, b); }
export function ge(a: TensorLike, b: TensorLike): Tensor { return binary('ge', a, b); }
export function lt(a: TensorLike, b: TensorLike): Tensor { return binary('lt', a, b); }
export function le(a: TensorLike, b: TensorLike): Tensor { return binary('le', a, b); }
export function eq(a: TensorLike, b: TensorLike): Tensor { return binary('eq', a, b); }
export function ne(a: TensorLike, b: TensorLike): Tensor { return binary('ne', a, b); }

function unary(op: UnaryOp, x: Tensor, a = 0, b = 0): Tensor {
  if (op === 'neg' && x.dtype === 'int32') return binaryRaw('mul', x, toTensor(-1, x));
  requireFloat(op, x);
  const out = new Tensor(empty(x.dtype, x.size), x.shape);
  const be = backend();
  be.unary(op, x.data as FloatArray, out.data as FloatArray, a, b);
  return record(op, out, [x], (g) => {
    const gx = new Tensor(empty(x.dtype, x.size), x.shape);
    be.unaryGrad(op, x.data as FloatArray, out.data as FloatArray, g.data as FloatArray, gx.data as FloatArray, a, b);
    return [gx];
  });
}

export function neg(x: Tensor): Tensor { return unary('neg', x); }
export function exp(x: Tensor): Tensor { return unary('exp', x); }
export function log(x: Tensor): Tensor { return unary('log', x); }
export function sqrt(x: Tensor): Tensor { return unary('sqrt', x); }
export function rsqrt(x: Tensor): Tensor { return unary('rsqrt', x); }
export function abs(x: Tensor): Tensor { return unary('abs', x); }
export function sign(x: Tensor): Tensor { return unary('sign', x); }
export function reciprocal(x: Tensor): Tensor { return unary('reciprocal', x); }
export function square(x: Tensor): Tensor { return unary('square', x); }
export function sin(x: Tensor): Tensor { return unary('sin', x); }
export function cos(x: Tensor): Tensor { return unary('cos', x); }
export function tanh(x: Tensor): Tensor { return unary('tanh', x); }
export function sigmoid(x: Tensor): Tensor { return unary('sigmoid', x); }
export function relu(x: Tensor): Tensor { return unary('relu', x); }
export function leakyRelu(x: Tensor, slope = 0.01): Tensor { return unary('leakyRelu', x, slope); }
export function elu(x: Tensor, alpha = 1): Tensor { return unary('elu', x, alpha); }
export function gelu(x: Tensor): Tensor { return unary('gelu', x); }
export function silu(x: Tensor): Tensor { return unary('silu', x); }
export function softplus(x: Tensor): Tensor { return unary('softplus', x); }
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new Error(`clamp: min ${min} > max ${max}`);
  return unary('clamp', x, min, max);
}

/** cond ? a : b, broadcasting all three; cond is any tensor, non-zero meaning true. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ta = a instanceof Tensor ? a : toTensor(a, b instanceof Tensor ? b : cond);
  const tb = toTensor(b, ta);
  const shape = broadcastCheck('where', ta, tb);
  const s = broadcastShapes(shape, cond.shape);
  if (!s) throw new Error(`where: condition shape ${shapeStr(cond.shape)} cannot be broadcast with ${shapeStr(shape)}`);
  const out = new Tensor(empty(ta.dtype, s.reduce((x, y) => x * y, 1)), s);
  backend().where(cond.data, cond.shape, ta.data, ta.shape, tb.data, tb.shape, out.data, s);
  return record('where', out, [ta, tb], (g) => {
    const zero = toTensor(0, g);
    return [ta.requiresGrad ? sumTo(where(cond, g, zero), ta.shape) : null, tb.requiresGrad ? sumTo(where(cond, zero, g), tb.shape) : null];
  });
}

export function clone(x: Tensor): Tensor {
  const d = empty(x.dtype, x.size);
  d.set(x.data);
  const out = new Tensor(d, x.shape);
  return record('clone', out, [x], (g) => [g]);
}

/** Converts storage type; float→float is differentiable, anything involving int32 is not. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype === x.dtype) return x;
  const d = empty(dtype, x.size);
  if (dtype === 'int32') for (let i = 0; i < x.size; i++) d[i] = Math.trunc(x.data[i]);
  else d.set(x.data);
  const out = new Tensor(d, x.shape);
  if (x.dtype === 'int32' || dtype === 'int32') return out;
  return record('cast', out, [x], (g) => [cast(g, x.dtype)]);
}

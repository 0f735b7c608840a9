import type { Shape, Storage, FloatArray } from '../types.ts';

/** y = f(x; a, b). `a`/`b` are the op's scalar parameters where it has them (leakyRelu slope, elu alpha, pow exponent, clamp bounds). */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'reciprocal' | 'square' | 'sin' | 'cos'
  | 'tanh' | 'sigmoid' | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'silu' | 'softplus' | 'powScalar' | 'clamp';

/** out = a ∘ b with NumPy broadcasting. Comparisons write 1 or 0. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export interface ElementwiseKernels {
  /** out[i] = f(x[i]). out may be x (in place). */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray, a: number, b: number): void;
  /** gx[i] = gy[i] · f'(x[i]); y = f(x) is passed because many derivatives are cheapest in terms of it. */
  unaryGrad(op: UnaryOp, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, a: number, b: number): void;
  /** Broadcasting binary op; out has outShape = broadcast(aShape, bShape). */
  binary(op: BinaryOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void;
  /** out = cond != 0 ? a : b, all three broadcast to outShape. */
  where(cond: Storage, cShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Storage, outShape: Shape): void;
}

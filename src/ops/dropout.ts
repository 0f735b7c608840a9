// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), so E[y] = x and
// evaluation needs no rescaling.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { allocate, empty, shapeStr, type FloatArray } from '../backend/types.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { mul } from './elementwise.ts';
import { requireFloat } from './base.ts';

/**
 * m[i] = 1/(1 − p) with probability 1 − p, else 0: one 32-bit draw per element, kept when u ≥ p·2³². (At p = 1 every
 * draw is dropped, so m is all zeros.)
 */
export function fillDropoutMask(m: FloatArray, p: number, g: Generator): void {
  const threshold = p * 4294967296, scale = 1 / (1 - p);
  for (let i = 0; i < m.length; i++) m[i] = g.nextU32() >= threshold ? scale : 0;
}

/** y = x·mask/(1 − p), mask ~ Bernoulli(1 − p) from `generator`; ∂y/∂x = mask/(1 − p). */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  requireFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p} (input shape ${shapeStr(x.shape)})`);
  if (!training || p === 0) return x;
  const g = generator ?? defaultGenerator;
  const mask = new Tensor(p < 1 ? empty(x.dtype, x.size) : allocate(x.dtype, x.size), x.shape); // p = 1 drops all: zeros
  if (p < 1) fillDropoutMask(mask.data as FloatArray, p, g);
  const y = new Tensor(empty(x.dtype, x.size), x.shape);
  backend().binary('mul', x.data, x.shape, mask.data, mask.shape, y.data, y.shape);
  return record('dropout', y, [x], (gy) => [mul(gy, mask)]);
}

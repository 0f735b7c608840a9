// Shared bits for layer constructors: factory options and parameter creation.
import { zeros } from '../tensor.ts';
import type { Generator } from '../random.ts';
import { Parameter, parameter } from './module.ts';

/** Options every layer constructor takes, like PyTorch's factory kwargs (dtype) plus the generator for init. */
export interface FactoryOptions {
  /** Parameter dtype; float32 by default (float64 for gradchecks). */
  dtype?: 'float32' | 'float64';
  /** Generator for the initial values; defaultGenerator when absent. */
  generator?: Generator;
}

/** A zero-filled Parameter of `shape` (to be initialised in place). */
export function emptyParam(shape: number[], opts: FactoryOptions = {}): Parameter {
  return parameter(zeros(shape, { dtype: opts.dtype ?? 'float32' }));
}

/** Throws unless n is a positive integer (layer sizes). */
export function checkPositiveInt(layer: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${n}`);
}

/** [a, a] for a number, else the pair itself (kernel sizes, strides, padding). */
export function pair(layer: string, what: string, v: number | readonly number[]): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`${layer}: ${what} must be a non-negative integer or a pair of them, got ${JSON.stringify(v)}`);
  return p as [number, number];
}

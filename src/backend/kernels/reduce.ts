import type { Storage } from '../types.ts';

export type ReduceOp = 'sum' | 'max' | 'min';

/** x viewed as (outer, dim, inner); the middle axis is reduced. */
export interface ReduceKernels {
  /** out[o·inner + i] = op over d of x[(o·dim + d)·inner + i]. */
  reduce(op: ReduceOp, x: Storage, outer: number, dim: number, inner: number, out: Storage): void;
  /** out[o·inner + i] = index d of the first max (or min) along the middle axis. */
  argReduce(op: 'argmax' | 'argmin', x: Storage, outer: number, dim: number, inner: number, out: Int32Array): void;
}

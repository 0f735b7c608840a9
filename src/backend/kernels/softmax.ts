import type { FloatArray } from '../types.ts';

/** x viewed as (outer, dim, inner); softmax runs along the middle axis. */
export interface SoftmaxKernels {
  /** y = softmax(x) or, when log, y = x − logsumexp(x); max-subtracted so it never overflows. */
  softmax(x: FloatArray, y: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;
  /** softmax: gx = y ⊙ (gy − Σ gy⊙y);  log-softmax: gx = gy − exp(y) ⊙ Σ gy. */
  softmaxBackward(y: FloatArray, gy: FloatArray, gx: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;
}

import type { FloatArray } from '../types.ts';

/** x viewed as (outer, dim, inner); softmax runs along the middle axis. */
export interface SoftmaxKernels {
  /** y = softmax(x) or, when log, y = x − logsumexp(x); max-subtracted so it never overflows. */
  softmax(x: FloatArray, y: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;
  /** softmax: gx = y ⊙ (gy − Σ gy⊙y);  log-softmax: gx = gy − exp(y) ⊙ Σ gy. */
  softmaxBackward(y: FloatArray, gy: FloatArray, gx: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;
  /**
   * Cross-entropy of `rows` rows of C logits against class targets (−1 = ignored), without the (rows, C)
   * log-probabilities: lse_r = log Σ_c exp x[r, c] (max-subtracted), loss_r = lse_r − x[r, t_r] (0 when ignored).
   */
  crossEntropyRows(x: FloatArray, targets: Int32Array, rows: number, C: number, lse: FloatArray, loss: FloatArray): void;
  /** Its backward: gx[r, c] = scale_r·(exp(x[r, c] − lse_r) − [c = t_r]). */
  crossEntropyRowsBackward(x: FloatArray, targets: Int32Array, lse: FloatArray, scale: FloatArray, gx: FloatArray, rows: number, C: number): void;
}

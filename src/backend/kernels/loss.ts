import type { FloatArray } from '../types.ts';

/** Softmax cross-entropy over the rows of x (rows, C), classes along the last axis, never materialising log p. */
export interface LossKernels {
  /**
   * Per row r with target t = target[r]: lse_r = log Σ_c exp(x_rc);
   *   loss_r = (1 − ε)·(lse_r − x_rt) + (ε/C)·(C·lse_r − Σ_c x_rc)
   * (label smoothing ε; the second term is −Σ_c log p_rc / C). A row whose target is ignoreIndex gets loss 0.
   */
  crossEntropyForward(x: FloatArray, target: Int32Array, loss: FloatArray, lse: FloatArray, rows: number, C: number, ignoreIndex: number, smoothing: number): void;
  /** gx_rc = g_r·(exp(x_rc − lse_r) − (1 − ε)·[c = t_r] − ε/C), and 0 on ignored rows. */
  crossEntropyBackward(x: FloatArray, target: Int32Array, lse: FloatArray, g: FloatArray, gx: FloatArray, rows: number, C: number, ignoreIndex: number, smoothing: number): void;
}

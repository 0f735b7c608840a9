import type { FloatArray, Storage } from '../types.ts';

/**
 * Scores of d0·d1 attention matrices, each L query rows × S keys, stored contiguous as (d0, d1, L, S). The optional
 * bias and masks are read through element strides over those four axes (4 numbers each, ignored when the array is
 * null); a 0 stride broadcasts that axis.
 */
export interface AttentionSoftmaxParams {
  d0: number; d1: number; L: number; S: number;
  /** Multiplies the scores; the bias is added after scaling (torch: q·kᵀ·scale + attn_bias). */
  scale: number;
  /** Key j > query i is masked (torch's is_causal: the top-left aligned lower triangle attends). */
  causal: boolean;
  biasStrides: readonly number[];
  maskStrides: readonly number[];
  paddingStrides: readonly number[];
  /** true: a ZERO mask entry masks (torch's boolean attn_mask, True = attend); false: a non-zero entry masks. */
  maskKeepsNonZero: boolean;
}

/** Score given to masked entries: the most negative float32, finite (anomaly mode rejects ±∞). */
export const ATTENTION_MASKED = -3.4028234663852886e38;

export interface AttentionKernels {
  /**
   * The fused middle of scaled dot-product attention, row by row:
   *   z[j] = ATTENTION_MASKED if (mask, padding or causal masks j) else scale·s[j] + bias[j];  p = softmax(z).
   * Masked entries get weight exactly 0; a row whose every entry is masked gets uniform weights. The padding mask
   * masks where it is non-zero. Max-subtracted; an all −∞ row (from the bias) gives NaN, as softmax does in torch.
   * p may be the same array as s (in place).
   */
  attentionSoftmax(s: FloatArray, p: FloatArray, bias: FloatArray | null, mask: Storage | null, padding: Storage | null,
    params: AttentionSoftmaxParams): void;
  /**
   * Backward of the above through softmax and the scale, rows of length S:
   *   g = gp ⊙ keep (keep: dropout's per-weight factors 0 or 1/(1−p); null = all 1),  gs = scale · p ⊙ (g − Σ_j g⊙p).
   * gs may be the same array as gp.
   */
  attentionSoftmaxBackward(p: FloatArray, gp: FloatArray, keep: FloatArray | null, gs: FloatArray, rows: number, S: number,
    scale: number): void;
}

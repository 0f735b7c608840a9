import type { FloatArray } from '../types.ts';

/**
 * Group normalization of x (n, c, s) in `groups` groups of c/groups consecutive channels, optionally of x + shift
 * (shift (n, c): one value per sample and channel, e.g. a time embedding) and followed by an activation:
 *   u = (x + shift − μ)·rstd·γ_c + β_c,  μ and rstd = 1/√(σ² + eps) per (sample, group) (biased σ²);
 *   y = u (act 'none') or u·σ(u) (act 'silu').
 */
export interface GroupNormParams { n: number; c: number; s: number; groups: number; eps: number; act: 'none' | 'silu' }

export interface NormKernels {
  /** y (overwritten); mean and rstd (n·groups) for the backward pass. gamma, beta, shift optional. */
  groupNorm(x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, shift: FloatArray | null, y: FloatArray,
    mean: FloatArray, rstd: FloatArray, p: GroupNormParams): void;
  /**
   * From gy: gx (overwritten), and when not null ggamma, gbeta (c) and gshift (n, c) (overwritten). With act 'silu'
   * u is recomputed from x, so the forward keeps no activation.
   */
  groupNormBackward(gy: FloatArray, x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, shift: FloatArray | null,
    mean: FloatArray, rstd: FloatArray, gx: FloatArray, ggamma: FloatArray | null, gbeta: FloatArray | null,
    gshift: FloatArray | null, p: GroupNormParams): void;

  /**
   * Row normalisation (layer norm; group norm on rows = n·groups): for each of `rows` rows of `cols`,
   * mean μ, rstd = 1/√(var + eps) (biased var), y = (x − μ)·rstd·gamma + beta (gamma/beta per column, optional).
   * Writes mean and rstd (length rows) for the backward pass.
   */
  layerNorm(x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, y: FloatArray,
    mean: FloatArray, rstd: FloatArray, rows: number, cols: number, eps: number): void;
  /** gx (overwritten); ggamma/gbeta overwritten when not null. */
  layerNormBackward(gy: FloatArray, x: FloatArray, gamma: FloatArray | null, mean: FloatArray, rstd: FloatArray,
    gx: FloatArray, ggamma: FloatArray | null, gbeta: FloatArray | null, rows: number, cols: number): void;
  /** Per-channel mean and biased variance of x (n, c, s) over n and s. */
  channelMoments(x: FloatArray, n: number, c: number, s: number, mean: FloatArray, variance: FloatArray): void;
  /** y = (x − mean[c])·rstd[c]·gamma[c] + beta[c] over x (n, c, s); gamma/beta optional. */
  channelAffine(x: FloatArray, mean: FloatArray, rstd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null,
    y: FloatArray, n: number, c: number, s: number): void;
  /** Training-mode batch norm backward over (n, c, s): gx, and ggamma/gbeta when not null (all overwritten). */
  batchNormBackward(gy: FloatArray, x: FloatArray, mean: FloatArray, rstd: FloatArray, gamma: FloatArray | null,
    gx: FloatArray, ggamma: FloatArray | null, gbeta: FloatArray | null, n: number, c: number, s: number): void;
}

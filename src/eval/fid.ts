// Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017), in float64:
//   FID = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})
// with μ the row mean and Σ = (F − μ)ᵀ(F − μ) / (N − 1) the unbiased covariance of the N×d features F.
// The trace of the square root avoids a non-symmetric sqrtm: with R = Σ₁^{1/2} (symmetric PSD), R Σ₂ R is
// symmetric PSD and similar to Σ₁ Σ₂ (Σ₁Σ₂ = R (R Σ₂ R) R⁻¹), so
//   Tr (Σ₁ Σ₂)^{1/2} = Σ_k √max(λ_k(R Σ₂ R), 0).
import { eigh, matmul64, sqrtmPsd, trace } from '../linalg.ts';

export interface FeatureStats {
  /** Number of feature rows the statistics came from. */
  n: number;
  /** Feature dimension d. */
  dim: number;
  /** μ (d). */
  mu: Float64Array;
  /** Σ (d×d, row-major). */
  sigma: Float64Array;
}

/** μ and the unbiased Σ of n rows of d features (row-major), accumulated in float64. */
export function featureStats(features: ArrayLike<number>, n: number, dim: number): FeatureStats {
  if (!Number.isInteger(n) || n < 2) throw new Error(`featureStats: need at least 2 feature rows for a covariance, got ${n}`);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`featureStats: feature dimension must be a positive integer, got ${dim}`);
  if (features.length !== n * dim) throw new Error(`featureStats: expected ${n}×${dim} = ${n * dim} values, got ${features.length}`);
  const mu = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let i = 0; i < dim; i++) mu[i] += features[r * dim + i];
  for (let i = 0; i < dim; i++) mu[i] /= n;
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(mu[i])) throw new Error(`featureStats: feature ${i} has a non-finite mean (${mu[i]}): NaN or Inf among the features`);
  }
  // Σ_ij = Σ_r (f_ri − μ_i)(f_rj − μ_j) / (n − 1), upper triangle, then mirrored
  const sigma = new Float64Array(dim * dim);
  const x = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dim; i++) x[i] = features[r * dim + i] - mu[i];
    for (let i = 0; i < dim; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * dim;
      for (let j = i; j < dim; j++) sigma[row + j] += xi * x[j];
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) sigma[j * dim + i] = sigma[i * dim + j] /= n - 1;
  }
  return { n, dim, mu, sigma };
}

/** FID between two fitted Gaussians. */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  if (a.dim !== b.dim) throw new Error(`frechetDistance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  // |μ₁ − μ₂|²
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mu[i] - b.mu[i]) ** 2;
  // R = Σ₁^{1/2};  M = R Σ₂ R, symmetrized against rounding: (M + Mᵀ)/2
  const R = sqrtmPsd(a.sigma, d);
  const M = matmul64(matmul64(R, b.sigma, d), R, d);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) M[i * d + j] = M[j * d + i] = 0.5 * (M[i * d + j] + M[j * d + i]);
  }
  // Tr (Σ₁Σ₂)^{1/2} = Σ_k √max(λ_k(M), 0)
  const { values } = eigh(M, d);
  let trSqrt = 0;
  for (const l of values) trSqrt += Math.sqrt(Math.max(l, 0));
  return meanTerm + trace(a.sigma, d) + trace(b.sigma, d) - 2 * trSqrt;
}

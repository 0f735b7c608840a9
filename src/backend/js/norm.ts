import type { NormKernels } from '../kernels/norm.ts';

// Statistics accumulate in JS numbers (float64) whatever the storage type; variances are two-pass
// (mean first, then Σ(x − μ)²), which avoids the cancellation of E[x²] − E[x]².
export const norm: NormKernels = {
  layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[base + j];
      const mu = s / cols;
      let v = 0;
      for (let j = 0; j < cols; j++) { const d = x[base + j] - mu; v += d * d; }
      const rs = 1 / Math.sqrt(v / cols + eps);
      mean[r] = mu; rstd[r] = rs;
      for (let j = 0; j < cols; j++) {
        let t = (x[base + j] - mu) * rs;
        if (gamma) t *= gamma[j];
        if (beta) t += beta[j];
        y[base + j] = t;
      }
    }
  },

  // x̂ = (x − μ)·rstd, d = gy·γ:  gx = rstd·(d − mean(d) − x̂·mean(d·x̂));  gγ = Σ_rows gy·x̂;  gβ = Σ_rows gy
  layerNormBackward(gy, x, gamma, mean, rstd, gx, ggamma, gbeta, rows, cols) {
    if (ggamma) ggamma.fill(0);
    if (gbeta) gbeta.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * cols, mu = mean[r], rs = rstd[r];
      let sd = 0, sdx = 0;
      for (let j = 0; j < cols; j++) {
        const g = gy[base + j], xh = (x[base + j] - mu) * rs;
        const d = gamma ? g * gamma[j] : g;
        sd += d; sdx += d * xh;
        if (ggamma) ggamma[j] += g * xh;
        if (gbeta) gbeta[j] += g;
      }
      const md = sd / cols, mdx = sdx / cols;
      for (let j = 0; j < cols; j++) {
        const xh = (x[base + j] - mu) * rs;
        const d = gamma ? gy[base + j] * gamma[j] : gy[base + j];
        gx[base + j] = rs * (d - md - xh * mdx);
      }
    }
  },

  channelMoments(x, n, c, s, mean, variance) {
    const m = n * s;
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) sum += x[base + i];
      }
      const mu = m > 0 ? sum / m : 0;
      let v = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) { const d = x[base + i] - mu; v += d * d; }
      }
      mean[ch] = mu;
      variance[ch] = m > 0 ? v / m : 0;
    }
  },

  channelAffine(x, mean, rstd, gamma, beta, y, n, c, s) {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const scale = gamma ? rstd[ch] * gamma[ch] : rstd[ch];
        const shift = beta ? beta[ch] : 0;
        const mu = mean[ch], base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) y[base + i] = (x[base + i] - mu) * scale + shift;
      }
    }
  },

  // per channel, m = n·s values: gx = γ·rstd·(gy − Σgy/m − x̂·Σ(gy·x̂)/m);  gγ = Σ gy·x̂;  gβ = Σ gy
  batchNormBackward(gy, x, mean, rstd, gamma, gx, ggamma, gbeta, n, c, s) {
    const m = n * s;
    for (let ch = 0; ch < c; ch++) {
      const mu = mean[ch], rs = rstd[ch];
      let sg = 0, sgx = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) { const g = gy[base + i]; sg += g; sgx += g * (x[base + i] - mu) * rs; }
      }
      if (ggamma) ggamma[ch] = sgx;
      if (gbeta) gbeta[ch] = sg;
      const k = (gamma ? gamma[ch] : 1) * rs, mg = sg / m, mgx = sgx / m;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) {
          const xh = (x[base + i] - mu) * rs;
          gx[base + i] = k * (gy[base + i] - mg - xh * mgx);
        }
      }
    }
  },
};

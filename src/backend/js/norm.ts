import type { NormKernels } from '../kernels/norm.ts';

// Statistics accumulate in JS numbers (float64) whatever the storage type; variances are two-pass
// (mean first, then Σ(x − μ)²), which avoids the cancellation of E[x²] − E[x]².
const sigmoid = (u: number) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u)));

export const norm: NormKernels = {
  // per row (sample b, group g) of cg = c/groups channels × s: μ, σ² of x + shift; u = (x + shift − μ)·rstd·γ + β; y = act(u)
  groupNorm(x, gamma, beta, shift, y, mean, rstd, { n, c, s, groups, eps, act }) {
    const cg = c / groups, cols = cg * s;
    for (let r = 0; r < n * groups; r++) {
      const b = Math.floor(r / groups), c0 = (r % groups) * cg, base = r * cols;
      const sh = (k: number) => (shift ? shift[b * c + c0 + k] : 0);
      let sum = 0;
      for (let k = 0; k < cg; k++) { const d = sh(k); for (let i = 0; i < s; i++) sum += x[base + k * s + i] + d; }
      const mu = sum / cols;
      let v = 0;
      for (let k = 0; k < cg; k++) { const d = sh(k) - mu; for (let i = 0; i < s; i++) { const e = x[base + k * s + i] + d; v += e * e; } }
      const rs = 1 / Math.sqrt(v / cols + eps);
      mean[r] = mu; rstd[r] = rs;
      for (let k = 0; k < cg; k++) {
        const d = sh(k) - mu, gm = gamma ? gamma[c0 + k] : 1, bt = beta ? beta[c0 + k] : 0;
        for (let i = 0; i < s; i++) {
          const u = (x[base + k * s + i] + d) * rs * gm + bt;
          y[base + k * s + i] = act === 'silu' ? u * sigmoid(u) : u;
        }
      }
    }
  },

  // gu = gy·act'(u); x̂ = (x + shift − μ)·rstd, d = gu·γ:  gx = rstd·(d − mean(d) − x̂·mean(d·x̂));
  // gγ_c = Σ gu·x̂, gβ_c = Σ gu (over samples and positions), gshift[b, c] = Σ_s gx
  groupNormBackward(gy, x, gamma, beta, shift, mean, rstd, gx, ggamma, gbeta, gshift, { n, c, s, groups, act }) {
    const cg = c / groups, cols = cg * s;
    if (ggamma) ggamma.fill(0);
    if (gbeta) gbeta.fill(0);
    for (let r = 0; r < n * groups; r++) {
      const b = Math.floor(r / groups), c0 = (r % groups) * cg, base = r * cols, mu = mean[r], rs = rstd[r];
      let sd = 0, sdx = 0;
      // pass 1: gu into gx, and the row sums
      for (let k = 0; k < cg; k++) {
        const d0 = (shift ? shift[b * c + c0 + k] : 0) - mu, gm = gamma ? gamma[c0 + k] : 1, bt = beta ? beta[c0 + k] : 0;
        let sg = 0, sgx = 0;
        for (let i = 0; i < s; i++) {
          const j = base + k * s + i, xh = (x[j] + d0) * rs;
          let gu = gy[j];
          if (act === 'silu') { const u = xh * gm + bt, sg1 = sigmoid(u); gu *= sg1 * (1 + u * (1 - sg1)); }
          gx[j] = gu;
          sg += gu; sgx += gu * xh;
        }
        sd += sg * gm; sdx += sgx * gm;
        if (ggamma) ggamma[c0 + k] += sgx;
        if (gbeta) gbeta[c0 + k] += sg;
      }
      const md = sd / cols, mdx = sdx / cols;
      // pass 2: gx = rstd·(gu·γ − mean(d) − x̂·mean(d·x̂))
      for (let k = 0; k < cg; k++) {
        const d0 = (shift ? shift[b * c + c0 + k] : 0) - mu, gm = gamma ? gamma[c0 + k] : 1;
        let gs = 0;
        for (let i = 0; i < s; i++) {
          const j = base + k * s + i, xh = (x[j] + d0) * rs;
          gx[j] = rs * (gx[j] * gm - md - xh * mdx);
          gs += gx[j];
        }
        if (gshift) gshift[b * c + c0 + k] = gs;
      }
    }
  },

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

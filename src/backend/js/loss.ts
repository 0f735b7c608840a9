import type { LossKernels } from '../kernels/loss.ts';

export const loss: LossKernels = {
  crossEntropyForward(x, target, out, lse, rows, C, ignoreIndex, eps) {
    for (let r = 0; r < rows; r++) {
      const t = target[r], o = r * C;
      if (t === ignoreIndex) { out[r] = 0; lse[r] = 0; continue; }
      let m = -Infinity, sx = 0;
      for (let c = 0; c < C; c++) { const v = x[o + c]; if (v > m) m = v; sx += v; }
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[o + c] - m);
      const l = m + Math.log(s);
      lse[r] = l;
      out[r] = (1 - eps) * (l - x[o + t]) + (eps / C) * (C * l - sx);
    }
  },
  crossEntropyBackward(x, target, lse, g, gx, rows, C, ignoreIndex, eps) {
    const u = eps / C;
    for (let r = 0; r < rows; r++) {
      const t = target[r], o = r * C, gr = g[r];
      if (t === ignoreIndex) { gx.fill(0, o, o + C); continue; }
      const l = lse[r];
      for (let c = 0; c < C; c++) gx[o + c] = gr * (Math.exp(x[o + c] - l) - u);
      gx[o + t] -= gr * (1 - eps);
    }
  },
};

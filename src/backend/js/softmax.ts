import type { SoftmaxKernels } from '../kernels/softmax.ts';

export const softmax: SoftmaxKernels = {
  softmax(x, y, outer, dim, inner, log) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * dim * inner + i;
        let m = -Infinity;
        for (let d = 0; d < dim; d++) { const v = x[base + d * inner]; if (v > m) m = v; }
        if (m === -Infinity) m = 0; // an all −∞ row: exp gives 0s, not NaN from (−∞) − (−∞)
        let s = 0;
        for (let d = 0; d < dim; d++) s += Math.exp(x[base + d * inner] - m);
        if (log) {
          const lse = m + Math.log(s);
          for (let d = 0; d < dim; d++) y[base + d * inner] = x[base + d * inner] - lse;
        } else {
          const r = 1 / s;
          for (let d = 0; d < dim; d++) y[base + d * inner] = Math.exp(x[base + d * inner] - m) * r;
        }
      }
    }
  },
  softmaxBackward(y, gy, gx, outer, dim, inner, log) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * dim * inner + i;
        let s = 0;
        if (log) {
          for (let d = 0; d < dim; d++) s += gy[base + d * inner];
          for (let d = 0; d < dim; d++) { const k = base + d * inner; gx[k] = gy[k] - Math.exp(y[k]) * s; }
        } else {
          for (let d = 0; d < dim; d++) { const k = base + d * inner; s += gy[k] * y[k]; }
          for (let d = 0; d < dim; d++) { const k = base + d * inner; gx[k] = y[k] * (gy[k] - s); }
        }
      }
    }
  },
};

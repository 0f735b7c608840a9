import { ATTENTION_MASKED, type AttentionKernels } from '../kernels/attention.ts';

export const attention: AttentionKernels = {
  attentionSoftmax(s, p, bias, mask, padding, q) {
    const { d0, d1, L, S, scale, causal, maskKeepsNonZero } = q;
    const [b0, b1, bi, bj] = q.biasStrides, [m0, m1, mi, mj] = q.maskStrides, [p0, p1, pi, pj] = q.paddingStrides;
    let row = 0;
    for (let a = 0; a < d0; a++) {
      for (let b = 0; b < d1; b++) {
        for (let i = 0; i < L; i++, row++) {
          const o = row * S;
          const bo = a * b0 + b * b1 + i * bi, mo = a * m0 + b * m1 + i * mi, po = a * p0 + b * p1 + i * pi;
          // z = masked ? MASKED : scale·s + bias, written into p (s may be p), and its max
          let m = -Infinity;
          for (let j = 0; j < S; j++) {
            let z = s[o + j] * scale;
            if (bias) z += bias[bo + j * bj];
            if ((mask && (mask[mo + j * mj] !== 0) !== maskKeepsNonZero) || (padding && padding[po + j * pj] !== 0) || (causal && j > i)) {
              z = ATTENTION_MASKED;
            }
            p[o + j] = z;
            if (z > m) m = z;
          }
          if (m === -Infinity) m = 0; // an all −∞ row: exp gives 0s and the row NaN, as softmax does
          let sum = 0;
          for (let j = 0; j < S; j++) { const e = Math.exp(p[o + j] - m); p[o + j] = e; sum += e; }
          const r = 1 / sum;
          for (let j = 0; j < S; j++) p[o + j] *= r;
        }
      }
    }
  },

  attentionSoftmaxBackward(p, gp, keep, gs, rows, S, scale) {
    for (let r = 0; r < rows; r++) {
      const o = r * S;
      let t = 0;
      for (let j = 0; j < S; j++) t += (keep ? gp[o + j] * keep[o + j] : gp[o + j]) * p[o + j];
      for (let j = 0; j < S; j++) {
        const g = keep ? gp[o + j] * keep[o + j] : gp[o + j];
        gs[o + j] = scale * p[o + j] * (g - t);
      }
    }
  },
};

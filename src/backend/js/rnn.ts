import type { RnnKernels } from '../kernels/rnn.ts';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// Equations in kernels/rnn.ts. Arithmetic in JS numbers (float64), rounded once per stored value.
export const rnn: RnnKernels = {
  lstmCellForward(gates, bias, cPrev, c, h, B, H) {
    const H4 = 4 * H;
    for (let b = 0; b < B; b++) {
      const r = b * H4;
      for (let j = 0; j < H; j++) {
        const bi = bias ? bias[j] : 0, bf = bias ? bias[H + j] : 0, bg = bias ? bias[2 * H + j] : 0, bo = bias ? bias[3 * H + j] : 0;
        const i = sigmoid(gates[r + j] + bi), f = sigmoid(gates[r + H + j] + bf);
        const g = Math.tanh(gates[r + 2 * H + j] + bg), o = sigmoid(gates[r + 3 * H + j] + bo);
        gates[r + j] = i; gates[r + H + j] = f; gates[r + 2 * H + j] = g; gates[r + 3 * H + j] = o;
        const k = b * H + j;
        const cv = f * cPrev[k] + i * g;
        c[k] = cv;
        h[k] = o * Math.tanh(cv);
      }
    }
  },

  lstmCellBackward(gates, c, cPrev, dhOut, dhRec, dc, dGates, B, H) {
    const H4 = 4 * H;
    for (let b = 0; b < B; b++) {
      const r = b * H4;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const i = gates[r + j], f = gates[r + H + j], g = gates[r + 2 * H + j], o = gates[r + 3 * H + j];
        const dh = dhRec ? dhOut[k] + dhRec[k] : dhOut[k];
        const tc = Math.tanh(c[k]);
        const dcv = dc[k] + dh * o * (1 - tc * tc);
        dGates[r + j] = dcv * g * i * (1 - i);
        dGates[r + H + j] = dcv * cPrev[k] * f * (1 - f);
        dGates[r + 2 * H + j] = dcv * i * (1 - g * g);
        dGates[r + 3 * H + j] = dh * tc * o * (1 - o);
        dc[k] = dcv * f;
      }
    }
  },

  rnnCellForward(h, bias, B, H, relu) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const z = bias ? h[k] + bias[j] : h[k];
        h[k] = relu ? (z > 0 ? z : 0) : Math.tanh(z);
      }
    }
  },

  rnnCellBackward(h, dhOut, dhRec, dz, B, H, relu) {
    const n = B * H;
    for (let k = 0; k < n; k++) {
      const dh = dhRec ? dhOut[k] + dhRec[k] : dhOut[k];
      dz[k] = relu ? (h[k] > 0 ? dh : 0) : dh * (1 - h[k] * h[k]);
    }
  },

  gruCellForward(gx, gh, bias, hPrev, h, B, H) {
    const H3 = 3 * H;
    for (let b = 0; b < B; b++) {
      const r0 = b * H3;
      for (let j = 0; j < H; j++) {
        const br = bias ? bias[j] : 0, bz = bias ? bias[H + j] : 0, bn = bias ? bias[2 * H + j] : 0;
        const r = sigmoid(gx[r0 + j] + gh[r0 + j] + br);
        const z = sigmoid(gx[r0 + H + j] + gh[r0 + H + j] + bz);
        const m = gh[r0 + 2 * H + j] + bn;
        const n = Math.tanh(gx[r0 + 2 * H + j] + r * m);
        gx[r0 + j] = r; gx[r0 + H + j] = z; gx[r0 + 2 * H + j] = n; gh[r0 + 2 * H + j] = m;
        const k = b * H + j;
        h[k] = (1 - z) * n + z * hPrev[k];
      }
    }
  },

  gruCellBackward(gates, gh, hPrev, dhOut, dhRec, dGx, dGh, dhPrev, B, H) {
    const H3 = 3 * H;
    for (let b = 0; b < B; b++) {
      const r0 = b * H3;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const r = gates[r0 + j], z = gates[r0 + H + j], n = gates[r0 + 2 * H + j], m = gh[r0 + 2 * H + j];
        const dh = dhRec ? dhOut[k] + dhRec[k] : dhOut[k];
        const dn = dh * (1 - z) * (1 - n * n);
        const dz = dh * (hPrev[k] - n) * z * (1 - z);
        const dr = dn * m * r * (1 - r);
        dGx[r0 + j] = dr; dGx[r0 + H + j] = dz; dGx[r0 + 2 * H + j] = dn;
        dGh[r0 + j] = dr; dGh[r0 + H + j] = dz; dGh[r0 + 2 * H + j] = dn * r;
        dhPrev[k] = dh * z;
      }
    }
  },
};

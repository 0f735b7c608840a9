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
};

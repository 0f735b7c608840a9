import type { ReduceKernels } from '../kernels/reduce.ts';

export const reduce: ReduceKernels = {
  reduce(op, x, outer, dim, inner, out) {
    if (inner === 1 && op === 'sum') { // contiguous rows: accumulate each in a double
      for (let o = 0; o < outer; o++) {
        let acc = 0;
        for (let d = o * dim, e = d + dim; d < e; d++) acc += x[d];
        out[o] = acc;
      }
      return;
    }
    for (let o = 0; o < outer; o++) {
      const ob = o * inner;
      const xb = o * dim * inner;
      // initialise with the first slice, then fold the rest in: streams x in memory order
      for (let i = 0; i < inner; i++) out[ob + i] = dim > 0 ? x[xb + i] : op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
      for (let d = 1; d < dim; d++) {
        const row = xb + d * inner;
        if (op === 'sum') for (let i = 0; i < inner; i++) out[ob + i] += x[row + i];
        else if (op === 'max') for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v > out[ob + i] || Number.isNaN(v)) out[ob + i] = v; }
        else for (let i = 0; i < inner; i++) { const v = x[row + i]; if (v < out[ob + i] || Number.isNaN(v)) out[ob + i] = v; }
      }
    }
  },
  argReduce(op, x, outer, dim, inner, out) {
    const sign = op === 'argmax' ? 1 : -1;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bv = sign * x[o * dim * inner + i];
        for (let d = 1; d < dim; d++) {
          const v = sign * x[(o * dim + d) * inner + i];
          if (v > bv) { bv = v; best = d; }
        }
        out[o * inner + i] = best;
      }
    }
  },
};

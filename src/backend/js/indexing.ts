import type { IndexKernels } from '../kernels/indexing.ts';

// x is viewed as (outer, dim, inner); the index picks positions along the middle axis.
export const indexing: IndexKernels = {
  indexSelect(x, idx, out, outer, dim, inner) {
    const n = idx.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const src = (o * dim + idx[j]) * inner, dst = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
      }
    }
  },

  indexAdd(src, idx, out, outer, dim, inner) {
    const n = idx.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const s = (o * n + j) * inner, d = (o * dim + idx[j]) * inner;
        for (let i = 0; i < inner; i++) out[d + i] += src[s + i];
      }
    }
  },

  gather(x, index, out, outer, dim, inner, idxDim) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idxDim; j++) {
        const k = (o * idxDim + j) * inner;
        for (let i = 0; i < inner; i++) out[k + i] = x[(o * dim + index[k + i]) * inner + i];
      }
    }
  },

  scatterAdd(src, index, out, outer, dim, inner, idxDim) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idxDim; j++) {
        const k = (o * idxDim + j) * inner;
        for (let i = 0; i < inner; i++) out[(o * dim + index[k + i]) * inner + i] += src[k + i];
      }
    }
  },
};

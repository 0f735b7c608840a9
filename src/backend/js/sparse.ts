import type { SparseKernels } from '../kernels/sparse.ts';

export const sparse: SparseKernels = {
  // out[r, :] = Σ_k values[k] · x[colIdx[k], :] over the row's entries rowPtr[r] ≤ k < rowPtr[r + 1]
  csrMatmul(a, x, out, n) {
    const { rowPtr, colIdx, values } = a;
    for (let r = 0; r < a.rows; r++) {
      const dst = r * n;
      for (let j = 0; j < n; j++) out[dst + j] = 0;
      for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
        const v = values[k], src = colIdx[k] * n;
        for (let j = 0; j < n; j++) out[dst + j] += v * x[src + j];
      }
    }
  },
};

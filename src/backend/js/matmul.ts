import type { MatmulKernels, MatmulParams } from '../kernels/matmul.ts';
import type { FloatArray } from '../types.ts';

const KB = 256; // k-panel: a KB-row slab of B stays in L2 while every row of A streams past it

/** C (m×n, offset oc) = beta·C + op(A)·op(B) for one batch item. */
function gemm(a: FloatArray, oa: number, b: FloatArray, ob: number, c: FloatArray, oc: number, p: MatmulParams): void {
  const { m, n, k, transA, transB, beta } = p;
  if (beta === 0) c.fill(0, oc, oc + m * n);
  else if (beta !== 1) for (let i = oc; i < oc + m * n; i++) c[i] *= beta;
  if (transB) {
    // B stored n×k: C[i,j] += Σ_p A[i,p]·B[j,p], a dot product of two contiguous rows when A is not transposed
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        const bj = ob + j * k;
        if (!transA) { const ai = oa + i * k; for (let q = 0; q < k; q++) acc += a[ai + q] * b[bj + q]; }
        else for (let q = 0; q < k; q++) acc += a[oa + q * m + i] * b[bj + q];
        c[oc + i * n + j] += acc;
      }
    }
    return;
  }
  // B stored k×n: C[i,:] += A[i,p]·B[p,:] — the inner loop streams a row of B and a row of C
  for (let p0 = 0; p0 < k; p0 += KB) {
    const p1 = Math.min(k, p0 + KB);
    for (let i = 0; i < m; i++) {
      const ci = oc + i * n;
      for (let q = p0; q < p1; q++) {
        const aiq = transA ? a[oa + q * m + i] : a[oa + i * k + q];
        const bq = ob + q * n;
        for (let j = 0; j < n; j++) c[ci + j] += aiq * b[bq + j];
      }
    }
  }
}

export const matmul: MatmulKernels = {
  matmul(a, b, out, p) {
    for (let bi = 0; bi < p.batch; bi++) gemm(a, bi * p.strideA, b, bi * p.strideB, out, bi * p.m * p.n, p);
  },
};

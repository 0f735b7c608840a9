import type { MatmulKernels, MatmulParams } from '../kernels/matmul.ts';
import type { FloatArray } from '../types.ts';

/** MatmulParams with every optional field resolved to its default. */
export type MatmulLayout = Required<MatmulParams>;

export function matmulLayout(p: MatmulParams): MatmulLayout {
  const inner = p.inner ?? p.batch, strideC = p.strideC ?? p.m * p.n;
  return {
    ...p, inner, strideC,
    lda: p.lda ?? (p.transA ? p.m : p.k), ldb: p.ldb ?? (p.transB ? p.k : p.n), ldc: p.ldc ?? p.n,
    outerStrideA: p.outerStrideA ?? inner * p.strideA, outerStrideB: p.outerStrideB ?? inner * p.strideB,
    outerStrideC: p.outerStrideC ?? inner * strideC,
  };
}

const KB = 256; // k-panel: a KB-row slab of B stays in L2 while every row of A streams past it

/** C (m×n, rows ldc apart, offset oc) = beta·C + op(A)·op(B) for one batch item; A rows lda apart, B rows ldb. */
function gemm(a: FloatArray, oa: number, b: FloatArray, ob: number, c: FloatArray, oc: number, p: MatmulLayout): void {
  const { m, n, k, transA, transB, beta, lda, ldb, ldc } = p;
  for (let i = 0; i < m; i++) {
    const ci = oc + i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) for (let j = ci; j < ci + n; j++) c[j] *= beta;
  }
  if (transB) {
    // B stored n×k: C[i,j] += Σ_p A[i,p]·B[j,p], a dot product of two contiguous rows when A is not transposed
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        const bj = ob + j * ldb;
        if (!transA) { const ai = oa + i * lda; for (let q = 0; q < k; q++) acc += a[ai + q] * b[bj + q]; }
        else for (let q = 0; q < k; q++) acc += a[oa + q * lda + i] * b[bj + q];
        c[oc + i * ldc + j] += acc;
      }
    }
    return;
  }
  // B stored k×n: C[i,:] += A[i,p]·B[p,:] — the inner loop streams a row of B and a row of C
  for (let p0 = 0; p0 < k; p0 += KB) {
    const p1 = Math.min(k, p0 + KB);
    for (let i = 0; i < m; i++) {
      const ci = oc + i * ldc;
      for (let q = p0; q < p1; q++) {
        const aiq = transA ? a[oa + q * lda + i] : a[oa + i * lda + q];
        const bq = ob + q * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += aiq * b[bq + j];
      }
    }
  }
}

export const matmul: MatmulKernels = {
  matmul(a, b, out, params) {
    const p = matmulLayout(params);
    for (let bi = 0; bi < p.batch; bi++) {
      const o = Math.floor(bi / p.inner), i = bi - o * p.inner;
      gemm(a, o * p.outerStrideA + i * p.strideA, b, o * p.outerStrideB + i * p.strideB, out, o * p.outerStrideC + i * p.strideC, p);
    }
  },
};

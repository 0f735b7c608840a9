import type { FloatArray } from '../types.ts';

export interface MatmulParams {
  batch: number;
  /** out[b] is m×n; op(A[b]) is m×k; op(B[b]) is k×n. */
  m: number; n: number; k: number;
  /** A[b] is stored k×m (row-major) when transA, else m×k; likewise B. */
  transA: boolean; transB: boolean;
  /** Elements between consecutive batch items of A and B; 0 broadcasts one matrix over the batch. */
  strideA: number; strideB: number;
  /** out = op(A)·op(B) + beta·out (beta 0 overwrites, 1 accumulates). */
  beta: number;
}

export interface MatmulKernels {
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams): void;
}

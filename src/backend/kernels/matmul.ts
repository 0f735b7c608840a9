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
  /**
   * Optional leading dimensions: elements between consecutive stored rows of A, B and out (defaults: the row
   * lengths, i.e. contiguous matrices — m or k for A, k or n for B, n for out). With ldc > n the elements of out
   * between rows are left untouched; so are the elements outside the batch items.
   */
  lda?: number; ldb?: number; ldc?: number;
  /** Elements between consecutive batch items of out (default m·n). */
  strideC?: number;
  /**
   * Optional two-level batch: batch = outer·inner items, item o·inner + i starts at o·outerStrideX + i·strideX
   * (X = A, B, C). Defaults: inner = batch, outerStrideX = inner·strideX — the one-level batch above. Lets heads
   * (outer) × sequences (inner) be read in place from a (batch·len, heads·headDim) tensor.
   */
  inner?: number;
  outerStrideA?: number; outerStrideB?: number; outerStrideC?: number;
}

export interface MatmulKernels {
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, p: MatmulParams): void;
}

import type { FloatArray } from '../types.ts';

/** A rows×cols sparse matrix in compressed sparse row form. */
export interface Csr {
  rows: number; cols: number;
  rowPtr: Int32Array; // length rows + 1
  colIdx: Int32Array; // length nnz
  values: FloatArray; // length nnz
}

export interface SparseKernels {
  /** out (rows, n) = A (rows, cols) · x (cols, n). Overwrites out. */
  csrMatmul(a: Csr, x: FloatArray, out: FloatArray, n: number): void;
}

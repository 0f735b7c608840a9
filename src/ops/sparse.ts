// Sparse (CSR) × dense matrix products, for graph models: the adjacency is a constant, so only the dense operand
// gets a gradient, ∂(A·x)/∂x applied to g = Aᵀ·g.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { Csr } from '../backend/kernels/sparse.ts';
import { allocate, shapeStr, type FloatArray } from '../backend/types.ts';
import { reshape } from './shape.ts';

type FloatDType = 'float32' | 'float64';

/** A rows×cols sparse matrix in CSR form: row r's entries are colIdx/values[rowPtr[r] .. rowPtr[r + 1]), columns ascending. */
export class CsrMatrix implements Csr {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: FloatArray;
  private transposed: CsrMatrix | null = null;

  constructor(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: FloatArray) {
    checkSize(rows, cols);
    const nnz = colIdx.length;
    if (rowPtr.length !== rows + 1 || rowPtr[0] !== 0 || rowPtr[rows] !== nnz || values.length !== nnz) {
      throw new Error(`CsrMatrix: inconsistent arrays for a ${rows}×${cols} matrix: rowPtr length ${rowPtr.length} (needs ${rows + 1}, ` +
        `from 0 to nnz), colIdx length ${nnz}, values length ${values.length}`);
    }
    for (let r = 0; r < rows; r++) {
      if (rowPtr[r + 1] < rowPtr[r]) throw new Error(`CsrMatrix: rowPtr decreases at row ${r} (${rowPtr[r]} → ${rowPtr[r + 1]})`);
    }
    for (let k = 0; k < nnz; k++) {
      if (colIdx[k] < 0 || colIdx[k] >= cols) throw new Error(`CsrMatrix: column index ${colIdx[k]} is out of range for ${cols} columns`);
    }
    this.rows = rows; this.cols = cols; this.rowPtr = rowPtr; this.colIdx = colIdx; this.values = values;
  }

  get nnz(): number { return this.colIdx.length; }
  get dtype(): FloatDType { return this.values instanceof Float64Array ? 'float64' : 'float32'; }
  get shape(): [number, number] { return [this.rows, this.cols]; }

  /**
   * From coordinate triples (rowIdx[k], colIdx[k], values[k]); values default to 1. Duplicate coordinates are
   * summed and each row's entries sorted by column.
   */
  static fromCoo(rows: number, cols: number, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>,
    values?: ArrayLike<number>, dtype: FloatDType = 'float32'): CsrMatrix {
    checkSize(rows, cols);
    const n = rowIdx.length;
    if (colIdx.length !== n || (values && values.length !== n)) {
      throw new Error(`CsrMatrix.fromCoo: rowIdx (${n}), colIdx (${colIdx.length})${values ? ` and values (${values.length})` : ''} must have the same length`);
    }
    for (let k = 0; k < n; k++) {
      const r = rowIdx[k], c = colIdx[k];
      if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || r >= rows || c < 0 || c >= cols) {
        throw new Error(`CsrMatrix.fromCoo: entry ${k} at (${r}, ${c}) is out of range for a ${rows}×${cols} matrix`);
      }
    }
    // counting sort by row (stable), then sort each row's entries by column
    const start = new Int32Array(rows + 1);
    for (let k = 0; k < n; k++) start[rowIdx[k] + 1]++;
    for (let r = 0; r < rows; r++) start[r + 1] += start[r];
    const order = new Int32Array(n), fill = start.slice(0, rows);
    for (let k = 0; k < n; k++) order[fill[rowIdx[k]]++] = k;
    const rowPtr = new Int32Array(rows + 1), cIdx = new Int32Array(n), vals = new Float64Array(n);
    let nnz = 0;
    for (let r = 0; r < rows; r++) {
      const seg = order.subarray(start[r], start[r + 1]).sort((p, q) => colIdx[p] - colIdx[q]);
      for (let j = 0; j < seg.length; j++) {
        const k = seg[j], v = values ? values[k] : 1;
        if (nnz > rowPtr[r] && cIdx[nnz - 1] === colIdx[k]) vals[nnz - 1] += v; // a duplicate: sum
        else { cIdx[nnz] = colIdx[k]; vals[nnz] = v; nnz++; }
      }
      rowPtr[r + 1] = nnz;
    }
    const v = allocate(dtype, nnz) as FloatArray;
    v.set(vals.subarray(0, nnz));
    return new CsrMatrix(rows, cols, rowPtr, cIdx.slice(0, nnz), v);
  }

  /** Aᵀ in CSR form (computed once, then cached; its transpose is this matrix). */
  transpose(): CsrMatrix {
    if (this.transposed) return this.transposed;
    const { rows, cols, rowPtr, colIdx, values } = this;
    const ptr = new Int32Array(cols + 1);
    for (let k = 0; k < this.nnz; k++) ptr[colIdx[k] + 1]++;
    for (let c = 0; c < cols; c++) ptr[c + 1] += ptr[c];
    const fill = ptr.slice(0, cols), tIdx = new Int32Array(this.nnz), tVal = allocate(this.dtype, this.nnz) as FloatArray;
    // visiting rows in order leaves each transposed row sorted by column
    for (let r = 0; r < rows; r++) {
      for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
        const dst = fill[colIdx[k]]++;
        tIdx[dst] = r; tVal[dst] = values[k];
      }
    }
    const t = new CsrMatrix(cols, rows, ptr, tIdx, tVal);
    t.transposed = this;
    this.transposed = t;
    return t;
  }

  /** The dense (rows, cols) tensor. */
  toDense(): Tensor {
    const d = allocate(this.dtype, this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let k = this.rowPtr[r]; k < this.rowPtr[r + 1]; k++) d[r * this.cols + this.colIdx[k]] += this.values[k];
    }
    return new Tensor(d, [this.rows, this.cols]);
  }
}

function checkSize(rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`CsrMatrix: invalid size ${rows}×${cols}`);
  }
}

/** A·x for sparse A (rows, cols) and dense x (cols, n) or (cols); the gradient for x is Aᵀ·g. */
export function spmm(a: CsrMatrix, x: Tensor): Tensor {
  if (!(a instanceof CsrMatrix)) throw new Error('spmm: the first argument must be a CsrMatrix');
  if (x.ndim === 1) return reshape(spmm(a, reshape(x, [x.shape[0], 1])), [a.rows]);
  if (x.ndim !== 2 || x.shape[0] !== a.cols) {
    throw new Error(`spmm: cannot multiply a sparse ${shapeStr(a.shape)} matrix by a dense ${shapeStr(x.shape)} tensor (needs (${a.cols}, n))`);
  }
  if (x.dtype !== a.dtype) throw new Error(`spmm: dtype mismatch, sparse ${shapeStr(a.shape)} ${a.dtype} vs dense ${shapeStr(x.shape)} ${x.dtype}`);
  const n = x.shape[1];
  const be = backend();
  const out = new Tensor(allocate(x.dtype, a.rows * n), [a.rows, n]);
  be.csrMatmul(a, x.data as FloatArray, out.data as FloatArray, n);
  return record('spmm', out, [x], (g) => {
    const gx = new Tensor(allocate(x.dtype, x.size), x.shape);
    be.csrMatmul(a.transpose(), g.data as FloatArray, gx.data as FloatArray, n);
    return [gx];
  });
}

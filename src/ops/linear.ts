// The fused linear op y = x·Wᵀ + b (torch.nn.functional.linear), used by nn.Linear, attention's projections and
// the LSTM's input projection.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { empty, shapeStr, type FloatArray } from '../backend/types.ts';

/**
 * y = x·Wᵀ + b for x (…, in), W (out, in), b (out) → y (…, out) (torch.nn.functional.linear).
 * One GEMM with W read transposed in place (no copy); the bias is written first and the GEMM accumulates onto it.
 * Backward: ∂x = g·W, ∂W = gᵀ·x, ∂b = Σ_rows g.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const desc = () => `input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)}${bias ? `, bias ${shapeStr(bias.shape)}` : ''}`;
  if (x.dtype === 'int32' || weight.dtype === 'int32' || (bias && bias.dtype === 'int32')) throw new Error(`linear: expected float tensors, got int32 (${desc()})`);
  if (x.dtype !== weight.dtype || (bias && bias.dtype !== x.dtype)) throw new Error(`linear: dtype mismatch (${x.dtype} input, ${weight.dtype} weight${bias ? `, ${bias.dtype} bias` : ''})`);
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D (out, in), got ${desc()}`);
  const [nOut, nIn] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== nIn) throw new Error(`linear: input's last dimension must be ${nIn}, got ${desc()}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== nOut)) throw new Error(`linear: bias must have shape [${nOut}], got ${desc()}`);
  const rows = x.size / nIn;
  const outShape = [...x.shape.slice(0, -1), nOut];
  const out = new Tensor(empty(x.dtype, rows * nOut), outShape); // bias rows then beta 1, or beta 0: all written
  const be = backend();
  const y = out.data as FloatArray;
  if (bias && rows > 0) {
    // broadcast the bias into every row: one row, then copyWithin doubling the filled prefix (log2(rows) copies)
    y.set(bias.data as FloatArray, 0);
    for (let filled = nOut; filled < rows * nOut; filled *= 2) y.copyWithin(filled, 0, Math.min(filled, rows * nOut - filled));
  }
  be.matmul(x.data as FloatArray, weight.data as FloatArray, y,
    { batch: 1, m: rows, n: nOut, k: nIn, transA: false, transB: true, strideA: 0, strideB: 0, beta: bias ? 1 : 0 });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', out, inputs, (g) => {
    const gd = g.data as FloatArray;
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (x.requiresGrad) {
      gx = new Tensor(empty(x.dtype, x.size), x.shape);
      be.matmul(gd, weight.data as FloatArray, gx.data as FloatArray,
        { batch: 1, m: rows, n: nIn, k: nOut, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 });
    }
    if (weight.requiresGrad) {
      gw = new Tensor(empty(x.dtype, weight.size), weight.shape);
      be.matmul(gd, x.data as FloatArray, gw.data as FloatArray,
        { batch: 1, m: nOut, n: nIn, k: rows, transA: true, transB: false, strideA: 0, strideB: 0, beta: 0 });
    }
    if (bias && bias.requiresGrad) {
      gb = new Tensor(empty(x.dtype, nOut), bias.shape);
      be.reduce('sum', gd, 1, rows, nOut, gb.data);
    }
    return bias ? [gx, gw, gb] : [gx, gw];
  });
}

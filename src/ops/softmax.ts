// softmax and log-softmax along one axis, each one fused kernel forward and one backward.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { empty, sizeOf, type FloatArray } from '../backend/types.ts';
import { normalizeDim, requireFloat } from './base.ts';
import { reshape } from './shape.ts';

function softmaxOp(x: Tensor, dim: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  requireFloat(op, x);
  if (x.ndim === 0) return reshape(softmaxOp(reshape(x, [1]), 0, log), []);
  const a = normalizeDim(op, x.ndim, dim);
  const outer = sizeOf(x.shape.slice(0, a)), n = x.shape[a], inner = sizeOf(x.shape.slice(a + 1));
  const y = new Tensor(empty(x.dtype, x.size), x.shape);
  const be = backend();
  be.softmax(x.data as FloatArray, y.data as FloatArray, outer, n, inner, log);
  return record(op, y, [x], (g) => {
    const gx = new Tensor(empty(x.dtype, x.size), x.shape);
    be.softmaxBackward(y.data as FloatArray, g.data as FloatArray, gx.data as FloatArray, outer, n, inner, log);
    return [gx];
  });
}

/** softmax(x)_i = exp(x_i − max x) / Σ_j exp(x_j − max x) */
export function softmax(x: Tensor, dim = -1): Tensor { return softmaxOp(x, dim, false); }
/** logSoftmax(x)_i = x_i − max x − log Σ_j exp(x_j − max x) */
export function logSoftmax(x: Tensor, dim = -1): Tensor { return softmaxOp(x, dim, true); }

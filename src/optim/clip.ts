// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), scaling each .grad in place.
import type { Tensor } from '../tensor.ts';
import { backend } from '../backend/index.ts';

/** Σ d_i² of a gradient: float32 arrays as one 1×k·k×1 GEMM (a BLAS dot product), others in a float64 loop. */
function sumSquares(d: Tensor['data']): number {
  if (d instanceof Float32Array && d.length >= 1024) {
    const out = new Float32Array(1);
    backend().matmul(d, d, out, { batch: 1, m: 1, n: 1, k: d.length, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 });
    return out[0];
  }
  let acc = 0;
  for (let i = 0; i < d.length; i++) acc += d[i] * d[i];
  return acc;
}

function gradsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = (params && typeof params === 'object' && 'data' in params) ? [params as Tensor] : [...(params as Iterable<Tensor>)];
  const grads: Tensor[] = [];
  for (const p of list) {
    if (!p || typeof p !== 'object' || !('data' in p)) throw new Error(`${op}: expected Tensors, got ${typeof p}`);
    if (p.grad) grads.push(p.grad);
  }
  return grads;
}

/**
 * total = ‖(‖g_1‖_p, …, ‖g_k‖_p)‖_p over the parameters that have gradients (max |g| for p = Infinity);
 * every gradient is multiplied by min(1, maxNorm / (total + 1e−6)). Returns total, the norm before clipping.
 * With errorIfNonfinite a NaN/±Inf total throws instead of scaling every gradient to NaN.
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  const op = 'clipGradNorm';
  if (!(normType > 0)) throw new Error(`${op}: normType must be > 0 or Infinity, got ${normType}`);
  if (!(maxNorm >= 0)) throw new Error(`${op}: maxNorm must be >= 0, got ${maxNorm}`);
  const grads = gradsOf(op, params);
  if (grads.length === 0) return 0;
  // indexed loops: for…of over a typed array can allocate an iterator result per element, which for millions of
  // gradient elements is hundreds of MB of garbage per step
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) { const d = g.data; for (let i = 0; i < d.length; i++) { const a = Math.abs(d[i]); if (a > total || Number.isNaN(a)) total = a; } }
  } else {
    // Σ_k ‖g_k‖_p^p = Σ over every element |g|^p, so one sum serves both levels (p = 2: a BLAS dot per gradient,
    // since embedding and decoder gradients hold millions of elements)
    for (const g of grads) {
      if (normType === 2) { total += sumSquares(g.data); continue; }
      const d = g.data;
      for (let i = 0; i < d.length; i++) total += Math.abs(d[i]) ** normType;
    }
    total = normType === 2 ? Math.sqrt(total) : total ** (1 / normType);
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`${op}: the total norm of order ${normType} of the gradients is ${total}; set errorIfNonfinite = false to clip anyway`);
  }
  const coef = maxNorm / (total + 1e-6);
  // PyTorch multiplies by the clamped coefficient unconditionally, so a NaN norm spreads NaN to every gradient;
  // the scaling runs in place through the backend's elementwise kernel
  if (!(coef >= 1)) {
    const be = backend(), c = new Float64Array([coef]);
    for (const g of grads) {
      const d = g.data;
      if (d instanceof Int32Array) continue;
      be.binary('mul', d, [d.length], d instanceof Float32Array ? Float32Array.from(c) : c, [1], d, [d.length]);
    }
  }
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue';
  if (!(clipValue >= 0)) throw new Error(`${op}: clipValue must be >= 0, got ${clipValue}`);
  for (const g of gradsOf(op, params)) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i] > clipValue ? clipValue : d[i] < -clipValue ? -clipValue : d[i];
  }
}

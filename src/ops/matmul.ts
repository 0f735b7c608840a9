// Matrix products with torch.matmul's rules: 1-D operands gain and then lose an axis; leading (batch) axes
// broadcast. One GEMM kernel call per product; transposes are kernel flags, never copies.
import { Tensor } from '../tensor-core.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import type { MatmulParams } from '../backend/backend.ts';
import { allocate, empty, broadcastShapes, shapeStr, sizeOf, type FloatArray } from '../backend/types.ts';
import { expand, reshape } from './shape.ts';
import { requireFloat } from './base.ts';

function gemm(a: Tensor, b: Tensor, outShape: number[], p: Omit<MatmulParams, 'beta'>, into?: Tensor): Tensor {
  const out = into ?? new Tensor(empty(a.dtype, sizeOf(outShape)), outShape); // beta 0 overwrites
  backend().matmul(a.data as FloatArray, b.data as FloatArray, out.data as FloatArray, { ...p, beta: into ? 1 : 0 });
  return out;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat('matmul', a, b);
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtype mismatch, ${a.dtype} ${shapeStr(a.shape)} vs ${b.dtype} ${shapeStr(b.shape)}`);
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both operands need at least 1 dimension, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n] = b2.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not match (inner dimensions ${k} and ${k2})`);
  const ba = a2.shape.slice(0, -2), bb = b2.shape.slice(0, -2);
  const full = broadcastShapes(ba, bb);
  if (!full) throw new Error(`matmul: batch dimensions of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be broadcast`);
  const batch = sizeOf(full);
  // an operand whose batch is neither complete nor a single matrix is materialized; a single one is read with stride 0
  const A = sizeOf(ba) !== 1 && sizeOf(ba) !== batch ? expand(a2, [...full, m, k]) : a2;
  const B = sizeOf(bb) !== 1 && sizeOf(bb) !== batch ? expand(b2, [...full, k, n]) : b2;
  const sA = A.size === m * k ? 0 : m * k, sB = B.size === k * n ? 0 : k * n;
  const out = gemm(A, B, [...full, m, n], { batch, m, n, k, transA: false, transB: false, strideA: sA, strideB: sB });
  const res = record('matmul', out, [A, B], (g) => {
    let gA: Tensor | null = null, gB: Tensor | null = null;
    if (A.requiresGrad) {
      // ∂L/∂A = g·Bᵀ
      if (sA !== 0 || batch === 1) gA = gemm(g, B, [...A.shape], { batch, m, n: k, k: n, transA: false, transB: true, strideA: m * n, strideB: sB });
      else { // A shared by every batch item: Σ_b g[b]·B[b]ᵀ, accumulated in place
        gA = new Tensor(allocate(A.dtype, m * k), [...A.shape]);
        for (let i = 0; i < batch; i++) {
          const gi = new Tensor(g.data.subarray(i * m * n, (i + 1) * m * n), [m, n]);
          const Bi = new Tensor(B.data.subarray(i * sB, i * sB + k * n), [k, n]);
          gemm(gi, Bi, [m, k], { batch: 1, m, n: k, k: n, transA: false, transB: true, strideA: 0, strideB: 0 }, gA);
        }
      }
    }
    if (B.requiresGrad) {
      // ∂L/∂B = Aᵀ·g
      if (sB !== 0 || batch === 1) gB = gemm(A, g, [...B.shape], { batch, m: k, n, k: m, transA: true, transB: false, strideA: sA, strideB: m * n });
      else if (sA !== 0) { // B shared and A batched: Σ_b A[b]ᵀ g[b] = A_flatᵀ·g_flat, one GEMM with inner size batch·m
        gB = gemm(A, g, [...B.shape], { batch: 1, m: k, n, k: batch * m, transA: true, transB: false, strideA: 0, strideB: 0 });
      } else {
        gB = new Tensor(allocate(B.dtype, k * n), [...B.shape]);
        for (let i = 0; i < batch; i++) {
          const gi = new Tensor(g.data.subarray(i * m * n, (i + 1) * m * n), [m, n]);
          gemm(A, gi, [k, n], { batch: 1, m: k, n, k: m, transA: true, transB: false, strideA: 0, strideB: 0 }, gB);
        }
      }
    }
    return [gA, gB];
  });
  const finalShape = [...full, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  return reshape(res, finalShape);
}

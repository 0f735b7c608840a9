import type { FloatArray } from '../types.ts';

/** PyTorch's update rules, applied in place to p and the state buffers; g is only read. */
export interface OptimKernels {
  /**
   * g' = g + wd·p;  buf ← momentum·buf + (1 − dampening)·g' (buf ← g' on the first step);
   * d = nesterov ? g' + momentum·buf : buf;  p ← p − lr·d.  buf is null when momentum is 0.
   */
  sgdStep(p: FloatArray, g: FloatArray, buf: FloatArray | null, lr: number, momentum: number, dampening: number,
    weightDecay: number, nesterov: boolean, firstStep: boolean): void;
  /**
   * Adam (decoupled = false: g' = g + wd·p) or AdamW (decoupled: p ← p·(1 − lr·wd)); then
   * m ← β1·m + (1−β1)·g';  v ← β2·v + (1−β2)·g'²;  p ← p − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps).
   */
  adamStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, decoupled: boolean, step: number): void;
}

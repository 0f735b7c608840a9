import type { OptimKernels } from '../kernels/optim.ts';

// Fused optimizer updates: one pass over the parameter, its gradient and the state buffers, all in place.
// The arithmetic follows torch.optim's single-tensor implementations (1.13) step for step.
export const optim: OptimKernels = {
  sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep) {
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let d = g[i];
      if (weightDecay !== 0) d += weightDecay * p[i];
      if (buf) {
        // buf ← g' on the first step, else momentum·buf + (1 − dampening)·g'
        const b = firstStep ? d : momentum * buf[i] + (1 - dampening) * d;
        buf[i] = b;
        d = nesterov ? d + momentum * buf[i] : buf[i]; // read back: buf may round (float32), as PyTorch's does
      }
      p[i] -= lr * d;
    }
  },

  adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
    const n = p.length;
    const bc1 = 1 - beta1 ** step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = lr / bc1;
    const shrink = decoupled ? 1 - lr * weightDecay : 1;
    const l2 = decoupled ? 0 : weightDecay;
    for (let i = 0; i < n; i++) {
      if (shrink !== 1) p[i] *= shrink;
      const gi = l2 !== 0 ? g[i] + l2 * p[i] : g[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      // p ← p − (lr/bc1)·m / (√v/√bc2 + eps), with m and v as stored
      p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
    }
  },
};

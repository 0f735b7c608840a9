// Adam (L2 weight decay folded into the gradient) and AdamW (decoupled weight decay), as torch.optim 1.13.
import { backend } from '../backend/index.ts';
import { allocate, type FloatArray } from '../backend/types.ts';
import { Optimizer, checkOption, requireBuffer, type GroupOptions, type ParamState, type ParamsInput } from './optimizer.ts';

export interface AdamOptions extends GroupOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Divide by the running maximum of v̂ instead of v̂ (Reddi et al. 2018). */
  amsgrad: boolean;
}

/**
 * m ← β1·m + (1−β1)·g';  v ← β2·v + (1−β2)·g'²;  p ← p − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps),
 * with g' = g + wd·p (Adam) or g' = g after p ← p·(1 − lr·wd) (AdamW).
 */
abstract class AdamBase extends Optimizer<AdamOptions> {
  constructor(name: string, private readonly decoupled: boolean, params: ParamsInput<AdamOptions>, defaults: AdamOptions, opts: Partial<AdamOptions>) {
    super(name, params, defaults, opts);
  }

  protected checkOptions(o: AdamOptions, where: string): void {
    checkOption(where, 'lr', o.lr, (v) => v >= 0, 'must be >= 0');
    checkOption(where, 'eps', o.eps, (v) => v >= 0, 'must be >= 0');
    checkOption(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'must be >= 0');
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${where}: betas must be a pair [beta1, beta2], got ${JSON.stringify(o.betas)}`);
    checkOption(where, 'beta1', o.betas[0], (v) => v >= 0 && v < 1, 'must be in [0, 1)');
    checkOption(where, 'beta2', o.betas[1], (v) => v >= 0 && v < 1, 'must be in [0, 1)');
    if (typeof o.amsgrad !== 'boolean') throw new Error(`${where}: amsgrad must be a boolean, got ${JSON.stringify(o.amsgrad)}`);
  }

  protected checkState(s: ParamState, o: AdamOptions, where: string): void {
    if (typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) throw new Error(`${where}: 'step' must be a non-negative integer, got ${JSON.stringify(s.step)}`);
    requireBuffer(s, 'expAvg', where);
    requireBuffer(s, 'expAvgSq', where);
    if (o.amsgrad) requireBuffer(s, 'maxExpAvgSq', where);
  }

  step(): void {
    const be = backend();
    for (const group of this.paramGroups) {
      const { lr, betas: [b1, b2], eps, weightDecay, amsgrad } = group;
      for (const p of group.params) {
        const g = this.gradOf(p);
        if (!g) continue;
        let s = this.state.get(p);
        if (!s) {
          s = { step: 0, expAvg: allocate(p.dtype, p.size), expAvgSq: allocate(p.dtype, p.size) } as ParamState;
          this.state.set(p, s);
        }
        if (amsgrad && !(s.maxExpAvgSq instanceof Float32Array || s.maxExpAvgSq instanceof Float64Array)) s.maxExpAvgSq = allocate(p.dtype, p.size) as FloatArray;
        const t = (s.step as number) + 1;
        s.step = t;
        const m = s.expAvg as FloatArray, v = s.expAvgSq as FloatArray;
        if (amsgrad) amsgradStep(p.data as FloatArray, g, m, v, s.maxExpAvgSq as FloatArray, lr, b1, b2, eps, weightDecay, this.decoupled, t);
        else be.adamStep(p.data as FloatArray, g, m, v, lr, b1, b2, eps, weightDecay, this.decoupled, t);
      }
    }
  }
}

/**
 * The AMSGrad variant: as adamStep, but the denominator uses vmax ← max(vmax, v). The kernel interface has no
 * AMSGrad flag, so this one runs here in TypeScript on every backend.
 */
function amsgradStep(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vmax: FloatArray, lr: number, beta1: number,
  beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void {
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < p.length; i++) {
    if (decoupled && weightDecay !== 0) p[i] *= 1 - lr * weightDecay;
    const gi = !decoupled && weightDecay !== 0 ? g[i] + weightDecay * p[i] : g[i];
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    if (v[i] > vmax[i]) vmax[i] = v[i];
    p[i] -= (stepSize * m[i]) / (Math.sqrt(vmax[i]) / bc2Sqrt + eps);
  }
}

export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('Adam', false, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false }, opts);
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); weightDecay defaults to 0.01 as in PyTorch. */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('AdamW', true, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false }, opts);
  }
}

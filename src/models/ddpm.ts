// Model 8 — denoising diffusion probabilistic models (Ho, Jain & Abbeel 2020) with DDIM sampling (Song, Meng &
// Ermon 2021). The forward process adds Gaussian noise over T steps until only noise is left; a network εθ learns
// to predict the noise, and sampling runs the process backwards from pure noise. The network is models/unet.ts;
// this file is the algorithm. Timesteps are 0-based: t = 0 … T−1 (the paper's 1 … T).
//
//   forward process     q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),   ᾱ_t = ∏_{s≤t} α_s,  α_t = 1 − β_t
//   training loss       L = E_{t, x_0, ε} ‖ε − εθ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²            (Ho et al. eq. 14)
//   x̂_0 from ε̂          x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, clamped to the data range [−1, 1]
//   DDIM step (η = 0)   x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε̂'      (t' < t the next timestep, ᾱ_{−1} = 1)
//   ancestral step      x_{t−1} = μ̃_t(x_t, x̂_0) + σ_t z,  z ~ N(0, I) (none at t = 0)
//                       μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x̂_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t
//                       σ_t² = β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t                         (Ho et al. eq. 7)
// ε̂' in the DDIM step is the noise implied by the clamped x̂_0 (ε̂' = ε̂ when nothing was clamped), so each step
// moves exactly along the deterministic path through x̂_0. The schedule is kept in float64; tensors are float32.
import { Tensor, randn } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { mseLoss } from '../ops/loss.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { shapeStr } from '../backend/types.ts';

/** εθ(x_t, t): a batch of noisy images and their B timesteps → the predicted noise, shaped like x_t. */
export type EpsModel = (xt: Tensor, t: Int32Array) => Tensor;

export interface DiffusionConfig {
  /** Number of diffusion steps T. */
  timesteps: number;
  /** β_0 and β_{T−1} of the linear schedule. */
  betaStart: number;
  betaEnd: number;
}

export const diffusionDefaults: DiffusionConfig = { timesteps: 1000, betaStart: 1e-4, betaEnd: 0.02 };

export class GaussianDiffusion {
  readonly config: DiffusionConfig;
  readonly T: number;
  /** β_t, α_t = 1 − β_t and ᾱ_t = ∏_{s≤t} α_s, in float64. */
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphaBar: Float64Array;

  constructor(config: Partial<DiffusionConfig> = {}) {
    const c = (this.config = { ...diffusionDefaults, ...config });
    if (!Number.isInteger(c.timesteps) || c.timesteps < 2) throw new Error(`GaussianDiffusion: timesteps must be an integer ≥ 2, got ${c.timesteps}`);
    if (!(c.betaStart > 0 && c.betaStart <= c.betaEnd && c.betaEnd < 1)) {
      throw new Error(`GaussianDiffusion: need 0 < betaStart ≤ betaEnd < 1, got ${c.betaStart} and ${c.betaEnd}`);
    }
    const T = (this.T = c.timesteps);
    this.betas = new Float64Array(T);
    this.alphas = new Float64Array(T);
    this.alphaBar = new Float64Array(T);
    let prod = 1;
    for (let t = 0; t < T; t++) {
      // β_t linear from betaStart to betaEnd
      this.betas[t] = c.betaStart + ((c.betaEnd - c.betaStart) * t) / (T - 1);
      // α_t = 1 − β_t
      this.alphas[t] = 1 - this.betas[t];
      // ᾱ_t = ∏_{s≤t} α_s
      prod *= this.alphas[t];
      this.alphaBar[t] = prod;
    }
  }

  /** ᾱ_t, with ᾱ_{−1} = 1 (the clean data). */
  abar(t: number): number {
    return t < 0 ? 1 : this.alphaBar[t];
  }

  /** Per-sample coefficients (B, 1, 1, 1) from a float64 function of t. */
  private coef(t: Int32Array, f: (t: number) => number, like: Tensor): Tensor {
    const c = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) c[i] = f(t[i]);
    return new Tensor(c, [t.length, ...like.shape.slice(1).map(() => 1)]);
  }

  private checkT(op: string, x: Tensor, t: Int32Array): void {
    if (t.length !== x.shape[0]) throw new Error(`${op}: ${t.length} timesteps for a batch of shape ${shapeStr(x.shape)}`);
    for (const v of t) if (!Number.isInteger(v) || v < 0 || v >= this.T) throw new Error(`${op}: timestep ${v} is outside [0, ${this.T})`);
  }

  /** x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, one t per sample. */
  qSample(x0: Tensor, t: Int32Array, eps: Tensor): Tensor {
    this.checkT('qSample', x0, t);
    return x0.mul(this.coef(t, (s) => Math.sqrt(this.alphaBar[s]), x0))
      .add(eps.mul(this.coef(t, (s) => Math.sqrt(1 - this.alphaBar[s]), x0)));
  }

  /** The training loss: t ~ U{0, …, T−1}, ε ~ N(0, I) per sample, L = mean (ε − εθ(x_t, t))². */
  loss(model: EpsModel, x0: Tensor, generator: Generator = defaultGenerator): Tensor {
    const b = x0.shape[0];
    const t = new Int32Array(b);
    for (let i = 0; i < b; i++) t[i] = generator.randint(0, this.T);
    const eps = randn([...x0.shape], { generator });
    // x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
    const xt = this.qSample(x0, t, eps);
    // ‖ε − εθ(x_t, t)‖², averaged over every pixel
    return mseLoss(model(xt, t), eps);
  }

  /** x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, clamped to [−1, 1]; one t for the whole batch. */
  predictX0(xt: Tensor, t: number, eps: Tensor): Tensor {
    const ab = this.alphaBar[t];
    return xt.sub(eps.mul(Math.sqrt(1 - ab))).mul(1 / Math.sqrt(ab)).clamp(-1, 1);
  }

  /** The DDIM timesteps: T − stride, T − 2·stride, …, 0 with stride = T/steps (980, 960, …, 0 for 50 of 1000). */
  ddimTimesteps(steps: number): number[] {
    if (!Number.isInteger(steps) || steps < 1 || this.T % steps !== 0) {
      throw new Error(`ddimTimesteps: steps must be a positive divisor of T = ${this.T}, got ${steps}`);
    }
    const stride = this.T / steps;
    return Array.from({ length: steps }, (_, i) => this.T - stride * (i + 1));
  }

  /**
   * Deterministic DDIM sampling (η = 0) from x_T = noise over `steps` timesteps; no autograd. onStep sees x_t
   * before each model call (at its t) and the final x̂_0 at t = −1.
   */
  ddimSample(model: EpsModel, noise: Tensor, steps = 50, onStep?: (t: number, x: Tensor) => void): Tensor {
    const ts = this.ddimTimesteps(steps);
    return noGrad(() => {
      let x = noise;
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i], prev = i + 1 < ts.length ? ts[i + 1] : -1;
        onStep?.(t, x);
        const eps = model(x, new Int32Array(x.shape[0]).fill(t));
        // x̂_0 = clamp((x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, −1, 1)
        const x0 = this.predictX0(x, t, eps);
        if (prev < 0) { x = x0; break; }
        // ε̂' = (x_t − √ᾱ_t x̂_0)/√(1 − ᾱ_t): the noise the clamped x̂_0 implies
        const ab = this.alphaBar[t], abPrev = this.abar(prev);
        const epsC = x.sub(x0.mul(Math.sqrt(ab))).mul(1 / Math.sqrt(1 - ab));
        // x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε̂'
        x = x0.mul(Math.sqrt(abPrev)).add(epsC.mul(Math.sqrt(1 - abPrev)));
      }
      onStep?.(-1, x);
      return x;
    });
  }

  /** Ancestral sampling: all T steps of the learned reverse process p(x_{t−1} | x_t); no autograd. */
  ancestralSample(model: EpsModel, noise: Tensor, generator: Generator = defaultGenerator, onStep?: (t: number, x: Tensor) => void): Tensor {
    return noGrad(() => {
      let x = noise;
      for (let t = this.T - 1; t >= 0; t--) {
        onStep?.(t, x);
        const eps = model(x, new Int32Array(x.shape[0]).fill(t));
        const x0 = this.predictX0(x, t, eps);
        const ab = this.alphaBar[t], abPrev = this.abar(t - 1), beta = this.betas[t];
        // μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x̂_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t
        const mean = x0.mul((Math.sqrt(abPrev) * beta) / (1 - ab)).add(x.mul((Math.sqrt(this.alphas[t]) * (1 - abPrev)) / (1 - ab)));
        if (t === 0) { x = mean; break; }
        // x_{t−1} = μ̃_t + σ_t z,  σ_t² = β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t
        const sigma = Math.sqrt(((1 - abPrev) / (1 - ab)) * beta);
        x = mean.add(randn([...x.shape], { generator }).mul(sigma));
      }
      onStep?.(-1, x);
      return x;
    });
  }
}

/** Images in [−1, 1] → [0, 1] (the judge's input range), clamped. */
export function toUnit(x: Tensor): Tensor {
  return x.add(1).mul(0.5).clamp(0, 1);
}

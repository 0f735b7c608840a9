// DDPM's algorithm (src/models/ddpm.ts): the β/ᾱ schedule against closed form, the forward process, the loss,
// and the samplers: DDIM (η = 0) and ancestral sampling with an oracle ε (computed from a known x_0) return x_0.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';
import { Tensor } from '../../src/index.ts';
import { GaussianDiffusion, type EpsModel } from '../../src/models/ddpm.ts';
import { assertClose } from '../helpers.ts';

const d = new GaussianDiffusion();

/** A batch of images in [−1, 1] (some pixels at the bounds, as binarized digits are). */
function images(b: number, seed: number): Tensor {
  const g = new dt.Generator(seed);
  const x = new Float32Array(b * 49);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, g.uniform(-1.3, 1.3)));
  return new Tensor(x, [b, 1, 7, 7]);
}

/** The ε that turns x0 into x_t: ε = (x_t − √ᾱ_t x0)/√(1 − ᾱ_t), the perfect noise predictor for this x0. */
function oracle(diffusion: GaussianDiffusion, x0: Tensor, calls: number[]): EpsModel {
  return (xt, t) => {
    calls.push(t[0]);
    const ab = diffusion.alphaBar[t[0]];
    return xt.sub(x0.mul(Math.sqrt(ab))).mul(1 / Math.sqrt(1 - ab));
  };
}

describe('noise schedule', () => {
  test('β linear from 1e-4 to 0.02 over T = 1000, in float64', () => {
    assert.ok(d.betas instanceof Float64Array && d.alphaBar instanceof Float64Array);
    assert.equal(d.T, 1000);
    for (const t of [0, 1, 500, 998, 999]) assert.ok(Math.abs(d.betas[t] - (1e-4 + ((0.02 - 1e-4) * t) / 999)) < 1e-18, `β_${t}`);
    assert.equal(d.alphas[10], 1 - d.betas[10]);
  });

  test('ᾱ_t = ∏_{s≤t} (1 − β_s) = exp(Σ log1p(−β_s)), and the published values of the linear schedule', () => {
    let logSum = 0;
    for (let t = 0; t < d.T; t++) {
      logSum += Math.log1p(-d.betas[t]);
      assert.ok(Math.abs(d.alphaBar[t] / Math.exp(logSum) - 1) < 1e-12, `ᾱ_${t}`);
    }
    // numpy: cumprod(1 − linspace(1e-4, 0.02, 1000))
    assert.ok(Math.abs(d.alphaBar[0] - 0.9999) < 1e-15);
    assert.ok(Math.abs(d.alphaBar[499] / 0.07858724288177824 - 1) < 1e-12);
    assert.ok(Math.abs(d.alphaBar[999] / 4.035829765375676e-5 - 1) < 1e-10);
    assert.equal(d.abar(-1), 1);
  });

  test('q(x_t | x_0): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε per sample', () => {
    const x0 = images(3, 1), eps = dt.randn([3, 1, 7, 7]), t = Int32Array.from([0, 500, 999]);
    const xt = d.qSample(x0, t, eps);
    for (let b = 0; b < 3; b++) {
      const ab = d.alphaBar[t[b]];
      for (let i = 0; i < 49; i++) {
        const j = b * 49 + i, want = Math.sqrt(ab) * x0.data[j] + Math.sqrt(1 - ab) * eps.data[j];
        assert.ok(Math.abs(xt.data[j] - want) < 1e-5, `sample ${b} pixel ${i}: ${xt.data[j]} vs ${want}`);
      }
    }
  });

  test('the loss is the MSE between the drawn ε and the prediction, with t and ε from the given generator', () => {
    const x0 = images(4, 2);
    let seen: Int32Array | null = null, input: Tensor | null = null;
    const zero: EpsModel = (xt, t) => { seen = t; input = xt; return dt.zeros([...xt.shape]); };
    const loss = d.loss(zero, x0, new dt.Generator(7)).item();
    // replay the draws: t first (one per sample), then ε
    const g = new dt.Generator(7);
    const t = Int32Array.from({ length: 4 }, () => g.randint(0, 1000));
    const eps = dt.randn([4, 1, 7, 7], { generator: g });
    assert.deepEqual(Array.from(seen!), Array.from(t));
    assertClose(input!, d.qSample(x0, t, eps), 'x_t', 1e-6, 1e-6);
    assert.ok(Math.abs(loss - eps.square().mean().item()) < 1e-6);
  });

  test('bad settings and timesteps give one clear line', () => {
    assert.throws(() => new GaussianDiffusion({ timesteps: 1 }), /timesteps must be an integer ≥ 2, got 1/);
    assert.throws(() => new GaussianDiffusion({ betaStart: 0.1, betaEnd: 0.01 }), /need 0 < betaStart ≤ betaEnd < 1/);
    assert.throws(() => d.qSample(images(2, 3), Int32Array.from([0, 1000]), dt.zeros([2, 1, 7, 7])), /qSample: timestep 1000 is outside \[0, 1000\)/);
    assert.throws(() => d.qSample(images(2, 3), Int32Array.from([0]), dt.zeros([2, 1, 7, 7])), /qSample: 1 timesteps for a batch of shape \[2, 1, 7, 7\]/);
    assert.throws(() => d.ddimTimesteps(3), /steps must be a positive divisor of T = 1000, got 3/);
  });
});

describe('samplers', () => {
  test('DDIM-50 visits t = 980, 960, …, 0', () => {
    const ts = d.ddimTimesteps(50);
    assert.equal(ts.length, 50);
    assert.deepEqual([ts[0], ts[1], ts[48], ts[49]], [980, 960, 20, 0]);
  });

  test('DDIM (η = 0) with an oracle ε returns x_0', () => {
    const x0 = images(5, 4), calls: number[] = [];
    const seen: number[] = [];
    const out = d.ddimSample(oracle(d, x0, calls), dt.randn([5, 1, 7, 7]), 50, (t) => seen.push(t));
    assertClose(out, x0, 'x_0', 1e-4, 1e-4);
    assert.deepEqual(calls, d.ddimTimesteps(50));
    assert.deepEqual(seen, [...d.ddimTimesteps(50), -1]);
    assert.ok(!out.requiresGrad);
  });

  test('DDIM clamps x̂_0 to [−1, 1]: a model predicting far-off noise still gives images in range', () => {
    const wild: EpsModel = (xt) => xt.mul(-50);
    const out = d.ddimSample(wild, dt.randn([3, 1, 7, 7]), 10);
    for (const v of out.data) assert.ok(v >= -1 && v <= 1, `${v}`);
  });

  test('ancestral sampling (all 1000 steps) with an oracle ε returns x_0, and draws its noise from the generator', () => {
    const x0 = images(2, 5), calls: number[] = [];
    const out = d.ancestralSample(oracle(d, x0, calls), dt.randn([2, 1, 7, 7]), new dt.Generator(3));
    assert.equal(calls.length, 1000);
    assert.equal(calls[0], 999);
    assertClose(out, x0, 'x_0', 1e-4, 1e-4);
    // a generator is consumed: the same seed gives the same chain, another seed another chain (model: ε̂ = 0)
    const zero: EpsModel = (xt) => dt.zeros([...xt.shape]);
    const small = new GaussianDiffusion({ timesteps: 20 });
    const a = small.ancestralSample(zero, dt.ones([1, 1, 2, 2]), new dt.Generator(1));
    const b = small.ancestralSample(zero, dt.ones([1, 1, 2, 2]), new dt.Generator(1));
    const c = small.ancestralSample(zero, dt.ones([1, 1, 2, 2]), new dt.Generator(2));
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
  });
});

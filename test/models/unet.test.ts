// The DDPM U-Net: parameter count, PyTorch fixtures for the whole network (fixed weights) and for the fused group
// norm it uses (shift + SiLU), float64 gradchecks, and bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';

import { UNet, timestepEmbedding } from '../../src/models/unet.ts';
import { loadFixtures, replay, gradcheck, randd, backendName, decode, assertClose } from '../helpers.ts';

const count = (m: dt.nn.Module) => m.parameters().reduce((s, p) => s + p.size, 0);

/** gen_unet.py's fixed_value: a·sin(0.37·i + φ) + c, φ = (Σ char codes)/100, rounded to float32. */
function fixedValue(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  let phi = 0;
  for (const ch of name) phi += ch.charCodeAt(0);
  phi /= 100;
  const [a, c] = name.endsWith('bias') ? [0.1, 0] : shape.length === 1 ? [0.2, 1] : [1 / Math.sqrt(n / shape[0]), 0];
  return Float32Array.from({ length: n }, (_, i) => a * Math.sin(0.37 * i + phi) + c);
}

describe(`fused group norm matches PyTorch (${backendName} backend)`, () => {
  const cases = loadFixtures('unet').filter((c) => c.meta.op === 'groupNorm');
  test('fixtures present', () => assert.equal(cases.length, 4));
  for (const c of cases) {
    test(c.name, () => replay(c, (...xs) => {
      const [x, ...rest] = xs;
      const affine = c.meta.affine !== false;
      const w = affine ? rest[0] : null, b = affine ? rest[1] : null, shift = c.meta.shift ? rest[affine ? 2 : 0] : null;
      return dt.groupNorm(x, c.meta.groups, w, b, 1e-5, { activation: c.meta.activation, shift });
    }));
  }
});

describe('fused group norm gradients agree with finite differences (float64)', () => {
  test('shift + SiLU, affine', () => gradcheck((x, w, b, s) => dt.groupNorm(x, 2, w, b, 1e-5, { activation: 'silu', shift: s }),
    [randd([2, 4, 3], 40), randd([4], 41), randd([4], 42), randd([2, 4], 43)]));
  test('SiLU, 4-D, no affine', () => gradcheck((x) => dt.groupNorm(x, 3, null, null, 1e-5, { activation: 'silu' }), [randd([2, 6, 2, 2], 44)]));
  test('shift only, weight only', () => gradcheck((x, w, s) => dt.groupNorm(x, 1, w, null, 1e-5, { shift: s }),
    [randd([3, 2, 4], 45), randd([2], 46), randd([3, 2], 47)]));
  test('parameters and shift only (x constant)', () => {
    const x = randd([2, 4, 3], 48).detach();
    gradcheck((w, b, s) => dt.groupNorm(x, 2, w, b, 1e-5, { activation: 'silu', shift: s }), [randd([4], 49), randd([4], 50), randd([2, 4], 51)]);
  });
  test('GroupNorm module: the fused SiLU equals GN then silu', () => {
    const x = randd([2, 4, 5], 52).detach();
    const fused = new dt.nn.GroupNorm(2, 4, { activation: 'silu', dtype: 'float64' });
    const plain = new dt.nn.GroupNorm(2, 4, { dtype: 'float64' });
    assertClose(fused.forward(x), plain.forward(x).silu(), 'silu(GN(x))', 1e-12, 1e-12);
    const s = randd([2, 4], 53).detach();
    assertClose(fused.forward(x, s), plain.forward(x.add(s.reshape(2, 4, 1))).silu(), 'silu(GN(x + shift))', 1e-12, 1e-12);
  });
});

describe('fused group norm rejects bad input', () => {
  const x = dt.zeros([2, 4, 3]);
  test('shift shape', () => assert.throws(() => dt.groupNorm(x, 2, null, null, 1e-5, { shift: dt.zeros([4]) }), /groupNorm: shift has shape \[4\], expected \[2, 4\]/));
  test('activation', () => assert.throws(() => dt.groupNorm(x, 2, null, null, 1e-5, { activation: 'relu' as 'silu' }), /groupNorm: activation must be 'none' or 'silu', got 'relu'/));
  test('module activation', () => assert.throws(() => new dt.nn.GroupNorm(2, 4, { activation: 'gelu' as 'silu' }), /GroupNorm: activation must be/));
});

describe(`U-Net (${backendName} backend)`, () => {
  test('793,697 parameters with the issue\'s sizes', () => assert.equal(count(new UNet()), 793697));

  test('matches PyTorch with fixed weights: output and parameter gradients', () => {
    const [c] = loadFixtures('unet').filter((k) => k.meta.op === 'unet');
    const net = new UNet();
    for (const [name, p] of net.namedParameters()) p.data.set(fixedValue(name, p.shape));
    const x = decode(c.inputs[0]!);
    const out = net.forward(x, c.meta.t);
    assertClose(out, c.outputs[0]!, 'output', 1e-4, 1e-5);
    out.mul(decode(c.upstream[0]!)).sum().backward();
    const params = new Map(net.namedParameters());
    (c.meta.params as string[]).forEach((name, i) => assertClose(params.get(name)!.grad, c.grads[i]!, `gradient of ${name}`, 1e-4, 1e-5));
  });

  test('timestep embedding: sin and cos halves, t = 0 gives [0…, 1…]', () => {
    const e = timestepEmbedding([0, 10], 8);
    assert.deepEqual([...e.shape], [2, 8]);
    assert.deepEqual(Array.from(e.data.subarray(0, 8)), [0, 0, 0, 0, 1, 1, 1, 1]);
    // ω_0 = 1, ω_3 = 10000^(−1) for h = 4
    assertClose(dt.tensor([e.data[8], e.data[11], e.data[12]]), [Math.sin(10), Math.sin(10 / 10000), Math.cos(10)], 'values', 1e-6, 1e-6);
  });

  test('a small U-Net maps (B, 1, 28, 28) to the same shape and reaches every parameter', () => {
    dt.manualSeed(3);
    const net = new UNet({ widths: [8, 16, 16], timeDim: 16, timeFeatures: 8, groups: 4 });
    const y = net.forward(dt.randn([2, 1, 28, 28]), [1, 500]);
    assert.deepEqual([...y.shape], [2, 1, 28, 28]);
    y.square().sum().backward();
    for (const [name, p] of net.namedParameters()) assert.ok(p.grad && p.grad.data.some((v) => v !== 0), `${name} got no gradient`);
  });

  test('bad input gives one clear line', () => {
    const net = new UNet({ widths: [8, 16, 16], timeDim: 16, timeFeatures: 8, groups: 4 });
    assert.throws(() => net.forward(dt.zeros([2, 1, 30, 30]), [1, 2]), /UNet: expected input \(B, 1, H, W\) with H and W divisible by 4, got \[2, 1, 30, 30\]/);
    assert.throws(() => net.forward(dt.zeros([2, 1, 28, 28]), [1]), /UNet: 1 timesteps for a batch of 2 images/);
    assert.throws(() => timestepEmbedding([1], 7), /timestepEmbedding: dim must be an even integer ≥ 4, got 7/);
  });
});


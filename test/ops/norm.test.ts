// Normalization and dropout: PyTorch fixtures (forward, gradients, running stats), float64 gradchecks, bad inputs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';
import { Generator, type Tensor } from '../../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, backendName, assertClose } from '../helpers.ts';

type Fn = (xs: Tensor[], meta: Record<string, any>) => Tensor | Tensor[];
const ops: Record<string, Fn> = {
  // running stats are updated in place on copies, which are returned so the fixture can check them
  batchNorm: ([x, rm, rv, w, b], m) => {
    const rm2 = rm.detach().clone(), rv2 = rv.detach().clone();
    return [dt.batchNorm(x, rm2, rv2, w ?? null, b ?? null, m.training), rm2, rv2];
  },
  layerNorm: ([x, w, b], m) => dt.layerNorm(x, m.shape, w ?? null, b ?? null),
  groupNorm: ([x, w, b], m) => dt.groupNorm(x, m.groups, w ?? null, b ?? null),
};

describe(`normalization matches PyTorch (${backendName} backend)`, () => {
  const cases = loadFixtures('norm_index').filter((c) => c.meta.op in ops);
  test('fixtures present', () => assert.equal(cases.length, 12));
  for (const c of cases) test(c.name, () => replay(c, (...xs) => ops[c.meta.op](xs, c.meta)));
});

describe('batchNorm running statistics', () => {
  test('training updates running stats with the unbiased variance', () => {
    const x = dt.tensor([[1], [2], [3], [4]], { dtype: 'float64' });
    const rm = dt.zeros([1], { dtype: 'float64' }), rv = dt.ones([1], { dtype: 'float64' });
    const y = dt.batchNorm(x, rm, rv, null, null, true, 0.1, 0);
    // batch mean 2.5, biased var 1.25 (normalizes), unbiased var 5/3 (goes into the running var)
    assertClose(y, [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)), 'y', 1e-12, 1e-12);
    assertClose(rm, [0.25], 'running mean', 1e-12, 1e-12);
    assertClose(rv, [0.9 + 0.1 * (5 / 3)], 'running var', 1e-12, 1e-12);
  });
  test('eval uses the running stats and leaves them alone', () => {
    const x = dt.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const rm = dt.tensor([1, -1], { dtype: 'float64' }), rv = dt.tensor([4, 0.25], { dtype: 'float64' });
    const y = dt.batchNorm(x, rm, rv, dt.tensor([2, 1], { dtype: 'float64' }), dt.tensor([0, 10], { dtype: 'float64' }), false, 0.1, 0);
    assertClose(y, [0, 10 + 3 / 0.5, 2, 10 + 5 / 0.5], 'y', 1e-12, 1e-12);
    assert.deepEqual(rm.toArray(), [1, -1]);
    assert.deepEqual(rv.toArray(), [4, 0.25]);
  });
  test('eval backward uses the stats of its forward, not ones updated since', () => {
    const x = randd([4, 2], 1), rm = dt.zeros([2], { dtype: 'float64' }), rv = dt.ones([2], { dtype: 'float64' });
    const y = dt.batchNorm(x, rm, rv, null, null, false, 0.1, 0);
    dt.noGrad(() => dt.batchNorm(randd([4, 2], 2).mul(5), rm, rv, null, null, true));
    y.sum().backward();
    assertClose(x.grad, [1, 1, 1, 1, 1, 1, 1, 1], 'x.grad', 1e-12, 1e-12);
  });
});

describe('normalization gradients agree with finite differences (float64)', () => {
  const pos = (shape: number[], seed: number) => randd(shape, seed, [0.5, 2]).detach();
  test('batchNorm training (N, C) affine', () => gradcheck((x, w, b) => dt.batchNorm(x, null, null, w, b, true), [randd([5, 3], 1), randd([3], 2), randd([3], 3)]));
  test('batchNorm training (N, C, H, W) affine', () => gradcheck((x, w, b) => dt.batchNorm(x, null, null, w, b, true), [randd([2, 3, 2, 2], 4), randd([3], 5), randd([3], 6)]));
  test('batchNorm training (N, C, L) weight only', () => gradcheck((x, w) => dt.batchNorm(x, null, null, w, null, true), [randd([2, 2, 3], 7), randd([2], 8)]));
  test('batchNorm training no affine with running stats', () => {
    const rm = dt.zeros([3], { dtype: 'float64' }), rv = dt.ones([3], { dtype: 'float64' });
    gradcheck((x) => dt.batchNorm(x, rm, rv, null, null, true), [randd([4, 3], 9)]);
  });
  test('batchNorm eval affine', () => {
    const rm = randd([3], 10).detach(), rv = pos([3], 11);
    gradcheck((x, w, b) => dt.batchNorm(x, rm, rv, w, b, false), [randd([2, 3, 2], 12), randd([3], 13), randd([3], 14)]);
  });
  test('batchNorm eval bias only', () => {
    const rm = randd([2], 15).detach(), rv = pos([2], 16);
    gradcheck((x, b) => dt.batchNorm(x, rm, rv, null, b, false), [randd([3, 2], 17), randd([2], 18)]);
  });
  test('layerNorm last dim affine', () => gradcheck((x, w, b) => dt.layerNorm(x, [4], w, b), [randd([2, 3, 4], 20), randd([4], 21), randd([4], 22)]));
  test('layerNorm last 2 dims affine', () => gradcheck((x, w, b) => dt.layerNorm(x, [3, 4], w, b), [randd([2, 3, 4], 23), randd([3, 4], 24), randd([3, 4], 25)]));
  test('layerNorm no affine', () => gradcheck((x) => dt.layerNorm(x, [5]), [randd([3, 5], 26)]));
  test('layerNorm bias only', () => gradcheck((x, b) => dt.layerNorm(x, [3], null, b), [randd([2, 3], 27), randd([3], 28)]));
  test('groupNorm affine', () => gradcheck((x, w, b) => dt.groupNorm(x, 2, w, b), [randd([2, 4, 3], 30), randd([4], 31), randd([4], 32)]));
  test('groupNorm 4-D weight only', () => gradcheck((x, w) => dt.groupNorm(x, 3, w), [randd([2, 6, 2, 2], 33), randd([6], 34)]));
  test('groupNorm no affine', () => gradcheck((x) => dt.groupNorm(x, 1), [randd([2, 3, 2], 35)]));
  test('groupNorm affine params only (x constant)', () => {
    const x = randd([2, 4, 3], 36).detach();
    gradcheck((w, b) => dt.groupNorm(x, 4, w, b), [randd([4], 37), randd([4], 38)]);
  });
});

describe('normalization rejects bad input', () => {
  const x = dt.zeros([4, 3]);
  const c3 = dt.zeros([3]), c2 = dt.zeros([2]);
  const cases: [string, () => unknown, RegExp][] = [
    ['batchNorm 1-D input', () => dt.batchNorm(dt.zeros([3]), c3, c3), /batchNorm: .*\(N, C\).*\[3\]/],
    ['batchNorm int32 input', () => dt.batchNorm(dt.zeros([4, 3], { dtype: 'int32' }), c3, c3), /batchNorm: expected a float tensor, got int32/],
    ['batchNorm weight shape', () => dt.batchNorm(x, c3, c3, c2), /batchNorm: weight has shape \[2\], expected \[3\] for input of shape \[4, 3\]/],
    ['batchNorm bias shape', () => dt.batchNorm(x, c3, c3, c3, dt.zeros([3, 1])), /batchNorm: bias has shape \[3, 1\], expected \[3\]/],
    ['batchNorm running mean shape', () => dt.batchNorm(x, c2, c3), /batchNorm: runningMean has shape \[2\], expected \[3\]/],
    ['batchNorm running var dtype', () => dt.batchNorm(x, c3, dt.zeros([3], { dtype: 'float64' })), /batchNorm: runningVar has dtype float64, input has float32/],
    ['batchNorm eval without running stats', () => dt.batchNorm(x, null, null), /batchNorm: runningMean and runningVar are required in eval mode/],
    ['batchNorm one value per channel', () => dt.batchNorm(dt.zeros([1, 3]), null, null, null, null, true), /batchNorm: expected more than 1 value per channel when training, got input shape \[1, 3\]/],
    ['batchNorm momentum', () => dt.batchNorm(x, c3, c3, null, null, true, 2), /batchNorm: momentum must be in \[0, 1\], got 2/],
    ['batchNorm eps', () => dt.batchNorm(x, c3, c3, null, null, false, 0.1, -1), /batchNorm: eps must be/],
    ['layerNorm shape not a suffix', () => dt.layerNorm(x, [4]), /layerNorm: normalizedShape \[4\] must be a non-empty suffix of the input shape \[4, 3\]/],
    ['layerNorm empty shape', () => dt.layerNorm(x, []), /layerNorm: normalizedShape \[\]/],
    ['layerNorm too many dims', () => dt.layerNorm(x, [1, 4, 3]), /layerNorm: normalizedShape \[1, 4, 3\]/],
    ['layerNorm weight shape', () => dt.layerNorm(x, [3], c2), /layerNorm: weight has shape \[2\], expected \[3\]/],
    ['layerNorm int32', () => dt.layerNorm(dt.zeros([2], { dtype: 'int32' }), [2]), /layerNorm: expected a float tensor, got int32/],
    ['groupNorm indivisible', () => dt.groupNorm(dt.zeros([2, 6, 3]), 4), /groupNorm: 6 channels \(input shape \[2, 6, 3\]\) cannot be split into 4 groups/],
    ['groupNorm zero groups', () => dt.groupNorm(dt.zeros([2, 6, 3]), 0), /groupNorm: 6 channels .* into 0 groups/],
    ['groupNorm 1-D', () => dt.groupNorm(dt.zeros([6]), 2), /groupNorm: expected input of shape \(N, C, \*\), got \[6\]/],
    ['groupNorm bias shape', () => dt.groupNorm(dt.zeros([2, 6, 3]), 3, null, c3), /groupNorm: bias has shape \[3\], expected \[6\]/],
  ];
  for (const [name, fn, re] of cases) test(name, () => assert.throws(fn, re));
});

describe('dropout', () => {
  const n = 100_000;
  test('keeps ≈ 1 − p of the elements, scaled by 1/(1 − p)', () => {
    const x = dt.rand([n], { dtype: 'float64', low: 1, high: 2, generator: new Generator(1) });
    const p = 0.3;
    const y = dt.dropout(x, p, true, new Generator(2));
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (y.data[i] === 0) continue;
      kept++;
      assert.ok(Math.abs(y.data[i] - x.data[i] / (1 - p)) < 1e-12, `element ${i}: ${y.data[i]} is not ${x.data[i]}/(1 − p)`);
    }
    // binomial std √(n·p(1−p)) ≈ 145 elements: allow 7 std
    assert.ok(Math.abs(kept / n - (1 - p)) < 0.01, `kept fraction ${kept / n}, expected ≈ ${1 - p}`);
  });
  test('same seed gives the same mask; another seed a different one', () => {
    const x = dt.ones([1000]);
    const a = dt.dropout(x, 0.5, true, new Generator(5)).toArray();
    assert.deepEqual(dt.dropout(x, 0.5, true, new Generator(5)).toArray(), a);
    assert.notDeepEqual(dt.dropout(x, 0.5, true, new Generator(6)).toArray(), a);
    dt.manualSeed(11);
    const d1 = dt.dropout(x, 0.5).toArray();
    dt.manualSeed(11);
    assert.deepEqual(dt.dropout(x, 0.5).toArray(), d1, 'the default generator is used and reseeded by manualSeed');
  });
  test('gradient is mask/(1 − p)', () => {
    const x = dt.ones([500], { dtype: 'float64', requiresGrad: true });
    const y = dt.dropout(x, 0.25, true, new Generator(3));
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), y.toArray()); // y = 1·mask/(1 − p)
    assert.ok(y.toArray().every((v) => v === 0 || v === 1 / 0.75));
    assert.ok(y.toArray().some((v) => v === 0) && y.toArray().some((v) => v !== 0));
  });
  test('gradcheck with a fixed mask', () => gradcheck((x) => dt.dropout(x, 0.4, true, new Generator(7)), [randd([4, 5], 1)]));
  test('p = 0 and eval mode return x; p = 1 gives zeros', () => {
    const x = randd([3, 4], 2);
    assert.equal(dt.dropout(x, 0), x);
    assert.equal(dt.dropout(x, 0.5, false), x);
    const y = dt.dropout(x, 1);
    assert.ok(y.toArray().every((v) => v === 0));
    y.sum().backward();
    assert.ok(x.grad!.toArray().every((v) => v === 0));
  });
  test('rejects bad p and int32 input', () => {
    for (const p of [-0.1, 1.5, NaN]) assert.throws(() => dt.dropout(dt.ones([2, 3]), p), /dropout: p must be in \[0, 1\], got .* \(input shape \[2, 3\]\)/);
    assert.throws(() => dt.dropout(dt.ones([2], { dtype: 'int32' })), /dropout: expected a float tensor, got int32/);
  });
});

test('batchNorm (N, C) over many channels in float32 agrees with float64 (the native per-row kernels: forward, running stats, gradients)', () => {
  const run = (dtype: 'float32' | 'float64') => {
    const x = randd([9, 600], 90).to(dtype).detach().requiresGrad_(), w = randd([600], 91).to(dtype).detach().requiresGrad_();
    const b = randd([600], 92).to(dtype).detach().requiresGrad_();
    const rm = dt.zeros([600], { dtype }), rv = dt.ones([600], { dtype });
    const y = dt.batchNorm(x, rm, rv, w, b, true, 0.1, 1e-5);
    y.backward(randd([9, 600], 93).to(dtype));
    const ye = dt.noGrad(() => dt.batchNorm(x, rm, rv, w, b, false, 0.1, 1e-5));
    return [y, x.grad!, w.grad!, b.grad!, rm, rv, ye];
  };
  const r32 = run('float32'), r64 = run('float64');
  ['output', 'input gradient', 'weight gradient', 'bias gradient', 'running mean', 'running var', 'eval output'].forEach((what, i) =>
    assertClose(r32[i], r64[i], `batchNorm (9, 600) ${what} f32 vs f64`, 1e-4, 1e-4));
});

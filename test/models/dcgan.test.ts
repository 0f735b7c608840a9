// DCGAN's networks: issue 15's parameter counts, PyTorch's forward values and gradients (train and eval mode) at a
// small width (test/fixtures/gen_dcgan.py), the initialization's statistics, and bad configurations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DCGAN } from '../../src/models/dcgan.ts';
import { Tensor, randn, noGrad, Generator } from '../../src/index.ts';
import { decode, assertClose, type Encoded } from '../helpers.ts';

const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/dcgan.json', import.meta.url)), 'utf8')) as {
  zDim: number; width: number; params: Record<string, Encoded>; z: Encoded; x: Encoded; u: Encoded;
  fake: Encoded; dReal: Encoded; fakeEval: Encoded; grads: Record<string, Encoded>; runningMean: Encoded; runningVar: Encoded;
};

test('DCGAN: G has 771,969 and D 138,689 parameters (issue 15), with PyTorch-style names', () => {
  const gan = new DCGAN();
  assert.equal(gan.G.numParameters(), 771_969);
  assert.equal(gan.D.numParameters(), 138_689);
  const names = [...gan.stateDict().keys()];
  for (const k of ['G.fc.weight', 'G.bn0.running_var', 'G.deconv1.weight', 'G.deconv2.bias', 'D.conv1.bias', 'D.conv2.weight', 'D.bn2.weight', 'D.fc.weight']) {
    assert.ok(names.includes(k), `state dict has ${k}`);
  }
  assert.ok(!names.includes('G.fc.bias') && !names.includes('G.deconv1.bias') && !names.includes('D.conv2.bias'), 'no bias before a batch norm');
  const z = randn([4, 100]);
  const y = noGrad(() => gan.G.forward(z));
  assert.deepEqual([...y.shape], [4, 1, 28, 28]);
  assert.ok(Array.from(y.data).every((v) => v >= -1 && v <= 1), 'tanh output');
  assert.deepEqual([...noGrad(() => gan.D.forward(y)).shape], [4, 1]);
});

test('DCGAN: initialization N(0, 0.02) for weights, 0 for biases, N(1, 0.02) for batch-norm scales', () => {
  const gan = new DCGAN({}, new Generator(3));
  const stats = (t: Tensor) => {
    const d = Array.from(t.data), m = d.reduce((s, v) => s + v, 0) / d.length;
    return { m, s: Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length) };
  };
  for (const w of [gan.G.fc.weight, gan.G.deconv1.weight, gan.D.conv2.weight]) {
    const { m, s } = stats(w);
    assert.ok(Math.abs(m) < 1e-3 && Math.abs(s - 0.02) < 1e-3, `weight mean ${m} std ${s}`);
  }
  const g = stats(gan.G.bn0.weight!);
  assert.ok(Math.abs(g.m - 1) < 2e-3 && Math.abs(g.s - 0.02) < 2e-3, `BN γ mean ${g.m} std ${g.s}`);
  for (const b of [gan.G.deconv2.bias!, gan.D.conv1.bias!, gan.D.fc.bias!, gan.G.bn1.bias!]) assert.ok(Array.from(b.data).every((v) => v === 0));
});

test('DCGAN: forward (train and eval mode) and gradients match PyTorch', () => {
  const gan = new DCGAN({ zDim: fx.zDim, width: fx.width });
  gan.loadStateDict(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, decode(v)])), { strict: false });
  const fake = gan.G.forward(decode(fx.z));
  assertClose(fake, fx.fake, 'G(z), train mode');
  assertClose(gan.D.forward(decode(fx.x)), fx.dReal, 'D(x), train mode');
  gan.D.forward(fake).mul(decode(fx.u)).sum().backward();
  for (const [name, p] of gan.namedParameters()) assertClose(p.grad, fx.grads[name], `∂/∂${name}`, 1e-3, 1e-5);
  assertClose(gan.G.bn1.running_mean, fx.runningMean, 'G.bn1 running mean');
  assertClose(gan.G.bn1.running_var, fx.runningVar, 'G.bn1 running var');
  gan.G.eval();
  assertClose(noGrad(() => gan.G.forward(decode(fx.z))), fx.fakeEval, 'G(z), eval mode');
});

test('DCGAN: bad configurations and inputs give one clear error', () => {
  assert.throws(() => new DCGAN({ width: 7 }), /DCGAN: width must be an even integer ≥ 2, got 7/);
  assert.throws(() => new DCGAN({ zDim: 0 }), /DCGAN: zDim must be a positive integer, got 0/);
  const gan = new DCGAN({ width: 8, zDim: 4 });
  assert.throws(() => gan.G.forward(randn([2, 5])), /linear: input's last dimension must be 4, got input \[2, 5\]/);
  assert.throws(() => gan.D.forward(randn([2, 1, 32, 32])), /linear: input's last dimension must be 392, got input \[2, 512\]/);
});

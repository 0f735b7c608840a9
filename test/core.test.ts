// Core ops against PyTorch fixtures (forward and gradient) and float64 finite differences.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../src/index.ts';
import type { Tensor } from '../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, backendName } from './helpers.ts';

type Fn = (xs: Tensor[], meta: Record<string, any>) => Tensor | Tensor[];
const unary: Record<string, (x: Tensor) => Tensor> = {
  neg: (x) => x.neg(), exp: (x) => x.exp(), log: (x) => x.log(), sqrt: (x) => x.sqrt(), rsqrt: (x) => x.rsqrt(),
  abs: (x) => x.abs(), reciprocal: (x) => x.reciprocal(), square: (x) => x.square(), sin: (x) => x.sin(),
  cos: (x) => x.cos(), tanh: (x) => x.tanh(), sigmoid: (x) => x.sigmoid(), relu: (x) => x.relu(),
  leakyRelu: (x) => x.leakyRelu(0.2), elu: (x) => x.elu(1.5), gelu: (x) => x.gelu(), silu: (x) => x.silu(),
  softplus: (x) => x.softplus(), powScalar: (x) => x.pow(2.5), clamp: (x) => x.clamp(-0.5, 0.7),
};
const ops: Record<string, Fn> = {
  ...Object.fromEntries(Object.entries(unary).map(([k, f]) => [k, ([x]: Tensor[]) => f(x)])),
  add: ([a, b]) => a.add(b), sub: ([a, b]) => a.sub(b), mul: ([a, b]) => a.mul(b), div: ([a, b]) => a.div(b),
  pow: ([a, b]) => a.pow(b), maximum: ([a, b]) => a.maximum(b), minimum: ([a, b]) => a.minimum(b),
  gt: ([a, b]) => a.gt(b), ge: ([a, b]) => a.ge(b), lt: ([a, b]) => a.lt(b), le: ([a, b]) => a.le(b),
  eq: ([a, b]) => a.eq(b), ne: ([a, b]) => a.ne(b),
  where: ([c, a, b]) => dt.where(c.gt(0), a, b),
  sum: ([x], m) => x.sum(m.dims ?? undefined, m.keepdim), mean: ([x], m) => x.mean(m.dims ?? undefined, m.keepdim),
  max: ([x], m) => x.max(m.dims, m.keepdim), min: ([x], m) => x.min(m.dims, m.keepdim),
  var: ([x], m) => x.var(m.dims, m.keepdim), std: ([x], m) => x.std(m.dims, m.keepdim),
  logsumexp: ([x], m) => x.logsumexp(m.dims, m.keepdim),
  argmax: ([x], m) => x.argmax(m.dim), argmin: ([x], m) => x.argmin(m.dim),
  reshape: ([x]) => x.reshape(4, -1), permute: ([x]) => x.permute(2, 0, 1), transpose: ([x]) => x.transpose(0, 2),
  slice: ([x]) => x.slice(2, 1, 4, 2), narrow: ([x]) => x.narrow(1, 1, 2), select: ([x]) => x.select(1, -1),
  cat: ([a, b]) => dt.cat([a, b], 1), stack: ([a, b]) => dt.stack([a, b], 1), expand: ([x]) => x.expand(2, 4, 3),
  repeat: ([x]) => x.repeat(2, 1, 3), split: ([x]) => x.split(2, 1),
  matmul: ([a, b]) => a.matmul(b),
  softmax: ([x], m) => x.softmax(m.dim), logSoftmax: ([x], m) => x.logSoftmax(m.dim),
};

describe(`core ops match PyTorch (${backendName} backend)`, () => {
  for (const c of loadFixtures('core')) {
    test(c.name, () => {
      const f = ops[c.meta.op];
      assert.ok(f, `no TS mapping for fixture op ${c.meta.op}`);
      replay(c, (...xs) => f(xs, c.meta));
    });
  }
});

describe('core gradients agree with finite differences (float64)', () => {
  const r = (shape: number[], seed: number) => randd(shape, seed);
  const p = (shape: number[], seed: number) => randd(shape, seed, [0.5, 2]);
  for (const [name, f] of Object.entries(unary)) {
    // keep relu/abs/clamp/leakyRelu/elu inputs away from their kinks
    test(`unary ${name}`, () => {
      const x = ['log', 'sqrt', 'rsqrt', 'reciprocal', 'powScalar'].includes(name) ? p([3, 4], 1) : r([3, 4], 1);
      if (['relu', 'abs', 'leakyRelu', 'elu', 'clamp'].includes(name)) for (let i = 0; i < x.size; i++) if (Math.abs(x.data[i]) < 0.01 || Math.abs(Math.abs(x.data[i] - 0.1) - 0.6) < 0.01) x.data[i] += 0.05;
      gradcheck(f, [x], { name });
    });
  }
  test('broadcast binary ops', () => {
    gradcheck((a, b) => a.add(b).mul(a).sub(b.div(p([3], 9))), [r([2, 1, 3], 2), r([4, 1], 3)]);
    gradcheck((a, b) => a.div(b), [r([2, 3], 4), p([3], 5)]);
    gradcheck((a, b) => a.pow(b), [p([2, 3], 6), r([2, 3], 7)]);
    gradcheck((a, b) => a.maximum(b).add(a.minimum(b).mul(2)), [r([3, 4], 8), r([4], 10)]);
  });
  test('where', () => gradcheck((a, b) => dt.where(a.gt(0), a, b), [r([3, 4], 11), r([4], 12)]));
  test('reductions', () => {
    const x = r([2, 3, 4], 13);
    gradcheck((x) => x.sum([0, 2]), [x]);
    gradcheck((x) => x.mean(1, true), [x]);
    gradcheck((x) => x.max(1), [x]);
    gradcheck((x) => x.min([0, 2], true), [x]);
    gradcheck((x) => x.var(2), [x]);
    gradcheck((x) => x.std([0, 1]), [x]);
    gradcheck((x) => x.logsumexp(1), [x]);
  });
  test('movement', () => {
    const x = r([2, 3, 4], 14);
    gradcheck((x) => x.permute(1, 2, 0).reshape(3, 8), [x]);
    gradcheck((x) => x.slice(2, 1, 4, 2), [x]);
    gradcheck((x) => x.select(0, 1).narrow(1, 1, 2), [x]);
    gradcheck((a, b) => dt.cat([a, b, a], 1), [r([2, 3], 15), r([2, 1], 16)]);
    gradcheck((a, b) => dt.stack([a, b], 2), [r([2, 3], 17), r([2, 3], 18)]);
    gradcheck((x) => x.expand(2, 3, 4), [r([3, 1], 19)]);
    gradcheck((x) => x.repeat(2, 2), [r([2, 3], 20)]);
    gradcheck((x) => dt.cat(x.chunk(2, 1).reverse(), 1), [r([2, 4], 21)]);
  });
  test('matmul, batched and broadcast', () => {
    gradcheck((a, b) => a.matmul(b), [r([3, 4], 22), r([4, 2], 23)]);
    gradcheck((a, b) => a.matmul(b), [r([2, 3, 4], 24), r([4, 2], 25)]);
    gradcheck((a, b) => a.matmul(b), [r([3, 4], 26), r([2, 4, 2], 27)]);
    gradcheck((a, b) => a.matmul(b), [r([2, 1, 3, 4], 28), r([3, 4, 2], 29)]);
    gradcheck((a, b) => a.matmul(b), [r([4], 30), r([2, 4, 3], 31)]);
    gradcheck((a, b) => a.matmul(b), [r([4], 32), r([4], 33)]);
    gradcheck((a, b) => a.transpose().matmul(b.T), [r([4, 3], 34), r([2, 4], 35)]);
  });
  test('softmax and logSoftmax', () => {
    gradcheck((x) => x.softmax(1), [r([2, 4, 3], 36)]);
    gradcheck((x) => x.logSoftmax(-1), [r([2, 4, 3], 37)]);
    gradcheck((x) => x.logSoftmax(0), [r([2, 4, 3], 38)]);
  });
});

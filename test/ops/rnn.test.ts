// The fused recurrences (src/ops/rnn.ts): float64 finite-difference gradchecks of each one's hand-written BPTT,
// forward and reverse, with and without b_hh, at T = 1 and T > 1, with and without a gradient for h0; and their
// errors. (The layers built on them are checked against PyTorch in test/nn/rnn.test.ts.)
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { F, zeros, tensor } from '../../src/index.ts';
import { gradcheck, randd } from '../helpers.ts';

describe('lstmRecurrence', () => {
  test('gradcheck (float64), forward and reverse, with and without bias', () => {
    for (const reverse of [false, true]) {
      gradcheck((gx, w, h, c, b) => F.lstmRecurrence(gx, w, b, h, c, reverse),
        [randd([4, 2, 12], 1), randd([12, 3], 2, [-0.5, 0.5]), randd([2, 3], 3), randd([2, 3], 4), randd([12], 5)], { name: `lstmRecurrence reverse=${reverse}` });
    }
    gradcheck((gx, w, h, c) => F.lstmRecurrence(gx, w, null, h, c), [randd([1, 3, 8], 6), randd([8, 2], 7), randd([3, 2], 8), randd([3, 2], 9)], { name: 'lstmRecurrence T=1' });
  });
});

describe('rnnRecurrence', () => {
  for (const nl of ['tanh', 'relu'] as const) {
    test(`gradcheck (float64), ${nl}, forward and reverse, with and without bias`, () => {
      for (const reverse of [false, true]) {
        gradcheck((gx, w, h, b) => F.rnnRecurrence(gx, w, b, h, nl, reverse),
          [randd([5, 2, 3], 1), randd([3, 3], 2, [-0.8, 0.8]), randd([2, 3], 3), randd([3], 4)], { name: `rnnRecurrence ${nl} reverse=${reverse}` });
      }
      gradcheck((gx, w, h) => F.rnnRecurrence(gx, w, null, h, nl), [randd([1, 3, 2], 6), randd([2, 2], 7), randd([3, 2], 8)], { name: `rnnRecurrence ${nl} T=1` });
    });
  }
  test('h0 without a gradient: the others are unchanged', () => {
    const gx = randd([3, 2, 2], 1), w = randd([2, 2], 2), h0 = randd([2, 2], 3);
    h0.requiresGrad = false;
    gradcheck((g, ww) => F.rnnRecurrence(g, ww, null, h0), [gx, w], { name: 'rnnRecurrence, constant h0' });
  });
});

describe('gruRecurrence', () => {
  test('gradcheck (float64), forward and reverse, with and without bias', () => {
    for (const reverse of [false, true]) {
      gradcheck((gx, w, h, b) => F.gruRecurrence(gx, w, b, h, reverse),
        [randd([4, 2, 9], 1), randd([9, 3], 2, [-0.6, 0.6]), randd([2, 3], 3), randd([9], 4)], { name: `gruRecurrence reverse=${reverse}` });
    }
    gradcheck((gx, w, h) => F.gruRecurrence(gx, w, null, h), [randd([1, 3, 6], 6), randd([6, 2], 7), randd([3, 2], 8)], { name: 'gruRecurrence T=1' });
  });
  test('h0 without a gradient', () => {
    const h0 = randd([2, 3], 3);
    h0.requiresGrad = false;
    gradcheck((gx, w, b) => F.gruRecurrence(gx, w, b, h0, true), [randd([3, 2, 9], 1), randd([9, 3], 2), randd([9], 4)], { name: 'gruRecurrence, constant h0' });
  });
});

test('bad inputs name the op and the shapes', () => {
  assert.throws(() => F.lstmRecurrence(zeros([2, 1, 8]), zeros([8, 3]), null, zeros([1, 3]), zeros([1, 3])), /lstmRecurrence: gate sizes disagree/);
  assert.throws(() => F.lstmRecurrence(zeros([2, 1, 8]), zeros([8, 2]), null, zeros([2, 2]), zeros([1, 2])), /lstmRecurrence: h0 and c0 must be \(1, 2\)/);
  assert.throws(() => F.gruRecurrence(zeros([2, 1, 6]), zeros([6, 2]), zeros([3]), zeros([1, 2])), /gruRecurrence: b_hh must be \(6\)/);
  assert.throws(() => F.gruRecurrence(zeros([0, 1, 6]), zeros([6, 2]), null, zeros([1, 2])), /gruRecurrence: empty sequence/);
  assert.throws(() => F.rnnRecurrence(zeros([2, 1, 2]), zeros([2, 2]), null, zeros([1, 2]), 'gelu' as 'tanh'), /rnnRecurrence: nonlinearity must be 'tanh' or 'relu', got 'gelu'/);
  assert.throws(() => F.rnnRecurrence(zeros([2, 1, 2]), zeros([2, 2]), null, tensor([[1, 2]], { dtype: 'int32' })), /rnnRecurrence: expected float tensors of one dtype/);
  assert.throws(() => F.rnnRecurrence(zeros([2, 2]), zeros([2, 2]), null, zeros([1, 2])), /rnnRecurrence: expected gx \(T, B, H\) and W_hh \(H, H\), got gx \[2, 2\]/);
});

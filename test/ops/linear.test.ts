// F.linear: y = x·Wᵀ + b, its float64 gradient, and its errors (nn.Linear's own tests are in test/nn/).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, zeros } from '../../src/index.ts';
import { gradcheck, randd, assertClose } from '../helpers.ts';

describe('F.linear', () => {
  test('gradcheck (float64), with and without bias, 1-D and 3-D input', () => {
    gradcheck((x, w, b) => F.linear(x, w, b), [randd([2, 3, 4], 1), randd([5, 4], 2), randd([5], 3)], { name: 'linear' });
    gradcheck((x, w) => F.linear(x, w), [randd([4], 4), randd([2, 4], 5)], { name: 'linear no bias' });
  });
  test('matches x·Wᵀ + b, for 2-D and 3-D input', () => {
    const w = randn([2, 3]), b = randn([2]);
    for (const shape of [[4, 3], [2, 5, 3]]) {
      const x = randn(shape);
      assertClose(F.linear(x, w, b), x.matmul(w.T).add(b), `linear ${shape}`, 1e-6, 1e-6);
      assertClose(F.linear(x, w), x.matmul(w.T), `linear no bias ${shape}`, 1e-6, 1e-6);
    }
  });
  test('bad inputs name the shapes', () => {
    assert.throws(() => F.linear(zeros([3]), zeros([3])), /linear: weight must be 2-D/);
    assert.throws(() => F.linear(zeros([3]), zeros([2, 3]), zeros([3])), /linear: bias must have shape \[2\]/);
    assert.throws(() => F.linear(zeros([2, 4]), zeros([2, 3])), /linear: input's last dimension must be 3, got input \[2, 4\], weight \[2, 3\]/);
    assert.throws(() => F.linear(zeros([2, 3], { dtype: 'int32' }), zeros([2, 3], { dtype: 'int32' })), /linear: expected float tensors, got int32/);
  });
});

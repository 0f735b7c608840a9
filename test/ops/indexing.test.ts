// gather, indexSelect, scatterAdd, embedding and sparse CSR × dense: PyTorch fixtures, float64 gradchecks,
// CSR construction, and bad inputs (dtype, shape, out-of-range index).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';
import { CsrMatrix, type Tensor } from '../../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, backendName, assertClose } from '../helpers.ts';

const int = (v: number[] | number[][], shape?: number[]) => dt.tensor(v, { dtype: 'int32', shape });

type Fn = (xs: Tensor[], meta: Record<string, any>) => Tensor | Tensor[];
const ops: Record<string, Fn> = {
  gather: ([x, i], m) => dt.gather(x, m.dim, i),
  indexSelect: ([x, i], m) => dt.indexSelect(x, m.dim, i),
  scatterAdd: ([x, i, s], m) => dt.scatterAdd(x, m.dim, i, s),
  embedding: ([i, w], m) => dt.embedding(i, w, m.paddingIdx),
  spmm: ([ri, ci, v, x], m) => dt.spmm(CsrMatrix.fromCoo(m.rows, m.cols, ri.data, ci.data, v.data), x),
};

describe(`indexing and sparse ops match PyTorch (${backendName} backend)`, () => {
  const cases = loadFixtures('norm_index').filter((c) => c.meta.op in ops);
  test('fixtures present', () => assert.equal(cases.length, 13));
  for (const c of cases) test(c.name, () => replay(c, (...xs) => ops[c.meta.op](xs, c.meta)));
});

describe('indexing gradients agree with finite differences (float64)', () => {
  test('gather dim 0', () => gradcheck((x) => dt.gather(x, 0, int([[2, 0, 1], [2, 2, 0], [1, 1, 1], [0, 2, 2]])), [randd([3, 3], 1)]));
  test('gather dim 1, index smaller off-axis', () => gradcheck((x) => dt.gather(x, 1, int([[3, 0, 3, 1, 1], [2, 2, 0, 0, 3]])), [randd([3, 4], 2)]));
  test('gather 3-D dim -2', () => gradcheck((x) => dt.gather(x, -2, int([1, 0, 1, 1, 0, 0, 1, 1], [2, 2, 2])), [randd([2, 2, 3], 3)]));
  test('indexSelect with repeats', () => gradcheck((x) => dt.indexSelect(x, 1, int([2, 0, 2, 2])), [randd([2, 3, 2], 4)]));
  test('scatterAdd dim 0 (x and src)', () => gradcheck((x, s) => dt.scatterAdd(x, 0, int([[0, 2, 2], [0, 0, 1], [2, 2, 2]]), s), [randd([3, 3], 5), randd([3, 3], 6)]));
  test('scatterAdd dim 1, src larger than index, index smaller than x', () =>
    gradcheck((x, s) => dt.scatterAdd(x, 1, int([[4, 0], [0, 0]]), s), [randd([3, 5], 7), randd([2, 3], 8)]));
  // the padding row's zero gradient is by definition not the true derivative: it is tested separately below
  test('embedding with repeats', () => gradcheck((w) => dt.embedding(int([[0, 3, 1], [3, 3, 2]]), w), [randd([4, 2], 9)]));
  test('embedding with an unused paddingIdx', () => gradcheck((w) => dt.embedding(int([[0, 2], [2, 2]]), w, 3), [randd([4, 2], 12)]));
  test('spmm', () => {
    const a = CsrMatrix.fromCoo(3, 4, [0, 0, 2, 2, 1], [3, 1, 0, 3, 3], [0.5, -1, 2, 1.5, 3], 'float64');
    gradcheck((x) => dt.spmm(a, x), [randd([4, 2], 10)]);
    gradcheck((x) => dt.spmm(a, x), [randd([4], 11)]);
  });
});

describe('indexing semantics', () => {
  test('embedding: paddingIdx row gets no gradient (also given as a negative index)', () => {
    for (const pad of [1, -3]) {
      const w = randd([4, 2], 1);
      const y = dt.embedding(int([[1, 0], [1, 3]]), w, pad);
      assert.deepEqual(y.shape, [2, 2, 2]);
      assert.deepEqual(y.toArray().slice(0, 2), w.toArray().slice(2, 4), 'the padding row is still looked up');
      y.sum().backward();
      assert.deepEqual(w.grad!.toArray(), [1, 1, 0, 0, 0, 0, 1, 1]);
    }
  });
  test('embedding gradient accumulates repeated indices', () => {
    const w = randd([3, 1], 2);
    dt.embedding(int([2, 2, 0, 2]), w).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [1, 0, 3]);
  });
  test('scatterAdd is out of place', () => {
    const x = dt.zeros([3]);
    const y = dt.scatterAdd(x, 0, int([1, 1, 2]), dt.tensor([1, 2, 3]));
    assert.deepEqual(y.toArray(), [0, 3, 3]);
    assert.deepEqual(x.toArray(), [0, 0, 0]);
  });
  test('gather and indexSelect work on int32 tensors', () => {
    assert.deepEqual(dt.gather(int([[5, 6], [7, 8]]), 1, int([[1, 1], [0, 1]])).toArray(), [6, 6, 7, 8]);
    assert.deepEqual(dt.indexSelect(int([5, 6, 7]), 0, int([2, 0])).toArray(), [7, 5]);
  });
});

describe('CsrMatrix', () => {
  test('fromCoo sorts each row and sums duplicates; values default to 1', () => {
    const a = CsrMatrix.fromCoo(3, 4, [2, 0, 2, 0, 2], [1, 3, 0, 3, 1], [1, 2, 3, 4, 5]);
    assert.deepEqual([...a.rowPtr], [0, 1, 1, 3]);
    assert.deepEqual([...a.colIdx], [3, 0, 1]);
    assert.deepEqual([...a.values], [6, 3, 6]);
    assert.equal(a.dtype, 'float32');
    const b = CsrMatrix.fromCoo(2, 2, [1, 1, 0], [0, 0, 1], undefined, 'float64');
    assert.deepEqual(b.toDense().toArray(), [0, 1, 2, 0]);
    assert.equal(b.dtype, 'float64');
  });
  test('transpose matches the dense transpose and is cached', () => {
    const a = CsrMatrix.fromCoo(3, 4, [0, 0, 2, 2, 1, 2], [3, 1, 0, 3, 3, 1], [1, 2, 3, 4, 5, 6]);
    const t = a.transpose();
    assert.deepEqual([t.rows, t.cols], [4, 3]);
    assert.deepEqual(t.toDense().toArray(), a.toDense().T.toArray());
    for (let r = 0; r < t.rows; r++) for (let k = t.rowPtr[r] + 1; k < t.rowPtr[r + 1]; k++) assert.ok(t.colIdx[k] > t.colIdx[k - 1]);
    assert.equal(a.transpose(), t);
    assert.equal(t.transpose(), a);
  });
  test('spmm equals the dense product, and its gradient Aᵀg', () => {
    const a = CsrMatrix.fromCoo(3, 4, [0, 0, 2, 2, 1], [3, 1, 0, 3, 3], [0.5, -1, 2, 1.5, 3], 'float64');
    const x = randd([4, 2], 3);
    const y = dt.spmm(a, x);
    assertClose(y, a.toDense().matmul(x.detach()), 'A·x', 1e-12, 1e-12);
    const g = randd([3, 2], 4).detach();
    y.backward(g);
    assertClose(x.grad, a.toDense().T.matmul(g), 'Aᵀ·g', 1e-12, 1e-12);
  });
});

describe('indexing rejects bad input', () => {
  const x = dt.zeros([3, 4]);
  const cases: [string, () => unknown, RegExp][] = [
    ['gather float index', () => dt.gather(x, 0, dt.zeros([2, 4])), /gather: index must be an int32 tensor, got float32 of shape \[2, 4\]/],
    ['gather index too large', () => dt.gather(x, 0, int([[0, 3, 0, 0]])), /gather: index 3 is out of range for dim 0 of input shape \[3, 4\] of size 3/],
    ['gather negative index', () => dt.gather(x, 1, int([[0, -1]])), /gather: index -1 is out of range for dim 1 of input shape \[3, 4\] of size 4/],
    ['gather ndim mismatch', () => dt.gather(x, 0, int([0, 1])), /gather: index has shape \[2\] but input has shape \[3, 4\]/],
    ['gather index larger off-axis', () => dt.gather(x, 0, int([[0, 0, 0, 0, 0]])), /gather: index shape \[1, 5\] is larger than input shape \[3, 4\] at dim 1/],
    ['gather bad dim', () => dt.gather(x, 2, int([[0]])), /gather: dim 2 is out of range/],
    ['indexSelect float index', () => dt.indexSelect(x, 0, dt.zeros([2], { dtype: 'float64' })), /indexSelect: index must be an int32 tensor, got float64 of shape \[2\]/],
    ['indexSelect 2-D index', () => dt.indexSelect(x, 0, int([[0]])), /indexSelect: index must be 1-D, got shape \[1, 1\]/],
    ['indexSelect out of range', () => dt.indexSelect(x, 1, int([0, 4])), /indexSelect: index 4 is out of range for dim 1 of input shape \[3, 4\] of size 4/],
    ['scatterAdd out of range', () => dt.scatterAdd(x, 0, int([[5, 0]]), dt.zeros([1, 2])), /scatterAdd: index 5 is out of range for dim 0 of input shape \[3, 4\] of size 3/],
    ['scatterAdd float index', () => dt.scatterAdd(x, 0, dt.zeros([1, 2]), dt.zeros([1, 2])), /scatterAdd: index must be an int32 tensor, got float32/],
    ['scatterAdd src smaller than index', () => dt.scatterAdd(x, 0, int([[0, 0]]), dt.zeros([1, 1])), /scatterAdd: src shape \[1, 1\] .* index shape \[1, 2\]/],
    ['scatterAdd src dtype', () => dt.scatterAdd(x, 0, int([[0]]), dt.zeros([1, 1], { dtype: 'float64' })), /scatterAdd: src has dtype float64, input has float32/],
    ['embedding float indices', () => dt.embedding(dt.zeros([2]), dt.zeros([4, 2])), /embedding: index must be an int32 tensor, got float32 of shape \[2\]/],
    ['embedding out of range', () => dt.embedding(int([1, 4]), dt.zeros([4, 2])), /embedding: index 4 is out of range for dim 0 of weight shape \[4, 2\] of size 4/],
    ['embedding weight 1-D', () => dt.embedding(int([1]), dt.zeros([4])), /embedding: weight must be 2-D .* got shape \[4\]/],
    ['embedding paddingIdx', () => dt.embedding(int([1]), dt.zeros([4, 2]), 4), /embedding: paddingIdx 4 is out of range for weight of shape \[4, 2\]/],
    ['spmm shape', () => dt.spmm(CsrMatrix.fromCoo(2, 3, [0], [0]), dt.zeros([2, 2])), /spmm: cannot multiply a sparse \[2, 3\] matrix by a dense \[2, 2\] tensor/],
    ['spmm dtype', () => dt.spmm(CsrMatrix.fromCoo(2, 3, [0], [0]), dt.zeros([3, 2], { dtype: 'float64' })), /spmm: dtype mismatch, sparse \[2, 3\] float32 vs dense \[3, 2\] float64/],
    ['fromCoo row out of range', () => CsrMatrix.fromCoo(2, 3, [0, 2], [0, 1]), /CsrMatrix.fromCoo: entry 1 at \(2, 1\) is out of range for a 2×3 matrix/],
    ['fromCoo negative column', () => CsrMatrix.fromCoo(2, 3, [0], [-1]), /CsrMatrix.fromCoo: entry 0 at \(0, -1\) is out of range/],
    ['fromCoo length mismatch', () => CsrMatrix.fromCoo(2, 3, [0, 1], [0], [1, 2]), /CsrMatrix.fromCoo: rowIdx \(2\), colIdx \(1\) and values \(2\) must have the same length/],
    ['fromCoo bad size', () => CsrMatrix.fromCoo(-1, 3, [], []), /CsrMatrix: invalid size -1×3/],
    ['CsrMatrix inconsistent rowPtr', () => new CsrMatrix(2, 2, new Int32Array([0, 1]), new Int32Array([0]), new Float32Array([1])), /CsrMatrix: inconsistent arrays for a 2×2 matrix/],
    ['CsrMatrix column out of range', () => new CsrMatrix(1, 2, new Int32Array([0, 1]), new Int32Array([2]), new Float32Array([1])), /CsrMatrix: column index 2 is out of range for 2 columns/],
  ];
  for (const [name, fn, re] of cases) test(name, () => assert.throws(fn, re));
});

// Autograd semantics, error messages for bad input, and the seeded generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../src/index.ts';
import { tensor, noGrad, detectAnomaly, Generator } from '../src/index.ts';

test('gradients accumulate across backward calls and through shared subexpressions', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(x).sum(); // dy/dx = 2x
  y.backward(undefined, { retainGraph: true });
  assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [4, 8, 12]);
});

test('backward through a freed graph names the op', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward();
  assert.throws(() => y.backward(), /backward: the graph through 'sum' \(input shapes \[2\]\) was already freed/);
});

test('backward needs a scalar or an explicit gradient of the right shape', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => x.mul(2).backward(), /grad can be omitted only for a one-element output, got shape \[2\]/);
  assert.throws(() => x.mul(2).backward(tensor([1, 2, 3])), /backward: grad has shape \[3\], output has shape \[2\]/);
  assert.throws(() => tensor([1]).backward(), /does not require grad/);
});

test('noGrad records nothing; detach cuts the graph; retainGrad keeps a non-leaf gradient', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => x.mul(3));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  const z = x.detach().mul(x).retainGrad();
  z.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 2]);
  assert.deepEqual(z.grad!.toArray(), [1, 1]);
});

test('a leaf gradient owns its storage even when the upstream gradient is shared', () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  a.add(b).sum().backward();
  assert.notEqual(a.grad!.data, b.grad!.data);
  a.grad!.data[0] = 100;
  assert.equal(b.grad!.data[0], 1);
});

test('anomaly detection names the op that made a NaN, forward and backward', () => {
  const x = tensor([-1, 1], { requiresGrad: true });
  assert.throws(() => detectAnomaly(() => x.log()), /anomaly detected: the output of 'log' \(input shapes \[2\]\) has NaN at flat index 0/);
  const z = tensor([0, 1], { requiresGrad: true });
  assert.throws(() => detectAnomaly(() => z.sqrt().sum().backward()), /anomaly detected: the gradient that backward of 'sqrt' \(input shapes \[2\]\) gives input 0 has Infinity/);
  // without anomaly mode the NaN passes silently, as in PyTorch
  assert.ok(Number.isNaN(x.log().data[0]));
});

test('mismatched shapes name the op and both shapes', () => {
  const a = dt.zeros([2, 3]), b = dt.zeros([4]);
  assert.throws(() => a.add(b), /add: shapes \[2, 3\] and \[4\] cannot be broadcast together/);
  assert.throws(() => a.matmul(dt.zeros([4, 5])), /matmul: shapes \[2, 3\] and \[4, 5\] do not match \(inner dimensions 3 and 4\)/);
  assert.throws(() => dt.cat([a, dt.zeros([3, 3])], 1), /cat: shapes \[2, 3\], \[3, 3\] differ outside dim 1/);
  assert.throws(() => a.reshape(4, 2), /reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/);
  assert.throws(() => a.expand(3, 3), /expand: cannot expand shape \[2, 3\] to \[3, 3\]/);
  assert.throws(() => dt.where(dt.zeros([5]), a, a), /where: condition shape \[5\] cannot be broadcast with \[2, 3\]/);
});

test('wrong dtypes name the op and the dtypes', () => {
  const f32 = dt.zeros([2]), f64 = dt.zeros([2], { dtype: 'float64' }), i32 = dt.zeros([2], { dtype: 'int32' });
  assert.throws(() => f32.add(f64), /add: dtype mismatch, float32 \[2\] vs float64 \[2\]/);
  assert.throws(() => i32.exp(), /exp: expected a float tensor, got int32 of shape \[2\]/);
  assert.throws(() => i32.matmul(i32), /matmul: expected a float tensor, got int32/);
  assert.throws(() => dt.zeros([2], { dtype: 'int32', requiresGrad: true }), /only float tensors can require gradients/);
});

test('out-of-range axes and indices name the op', () => {
  const a = dt.zeros([2, 3]);
  assert.throws(() => a.sum(2), /sum: dim 2 is out of range for a tensor with 2 dimension\(s\)/);
  assert.throws(() => a.softmax(-3), /softmax: dim -3 is out of range/);
  assert.throws(() => a.select(1, 3), /select: index 3 is out of range for dim 1 of size 3 \(shape \[2, 3\]\)/);
  assert.throws(() => a.narrow(0, 1, 2), /narrow: range \[1, 3\) is outside dim 0 of size 2/);
  assert.throws(() => a.permute(0, 0), /permute: repeated axis/);
  assert.throws(() => tensor([[1, 2], [3]]), /tensor: ragged nested array/);
  assert.throws(() => dt.add(1, 2), /add: at least one operand must be a Tensor, got number and number/);
});

test('the same seed gives bit-identical streams; state export/import resumes exactly', () => {
  dt.manualSeed(42);
  const a = dt.randn([1000]);
  const b = dt.rand([7]);
  dt.manualSeed(42);
  assert.deepEqual(dt.randn([1000]).data, a.data);
  assert.deepEqual(dt.rand([7]).data, b.data);
  const g = new Generator(7);
  g.normal(); // leaves a spare normal in the state
  const saved = g.getState();
  const next = [g.normal(), g.random(), g.randint(0, 10)];
  const h = new Generator(0);
  h.setState(saved);
  assert.deepEqual([h.normal(), h.random(), h.randint(0, 10)], next);
  assert.notDeepEqual(new Generator(1).random(), new Generator(2).random());
  assert.throws(() => h.setState({ s: [1, 2, 3], spare: null } as never), /setState: expected/);
});

test('random draws have the right distribution', () => {
  const g = new Generator(3);
  const n = 20000;
  const x = dt.randn([n], { generator: g });
  const mean = x.mean().item(), std = x.std().item();
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 1) < 0.03, `randn mean ${mean} std ${std}`);
  const u = dt.rand([n], { generator: g, low: -2, high: 2 });
  assert.ok(u.min().item() >= -2 && u.max().item() < 2 && Math.abs(u.mean().item()) < 0.05);
  const k = dt.randint(0, 5, [n], { generator: g });
  const counts = [0, 0, 0, 0, 0];
  for (const v of k.data) counts[v]++;
  for (const c of counts) assert.ok(Math.abs(c / n - 0.2) < 0.02, `randint counts ${counts}`);
  const p = g.permutation(10);
  assert.deepEqual([...p].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

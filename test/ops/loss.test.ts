// Losses: PyTorch fixture replay (outputs and gradients), float64 gradchecks, and every rejected input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, Tensor, crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropyWithLogits,
  binaryCrossEntropy, type Reduction,
} from '../../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, type FixtureCase } from '../helpers.ts';

const cases = loadFixtures('loss');

function lossFor(c: FixtureCase): (...xs: Tensor[]) => Tensor {
  const m = c.meta;
  const reduction = (m.reduction ?? 'mean') as Reduction;
  const weight = m.weight ? tensor(m.weight) : undefined;
  const posWeight = m.posWeight ? tensor(m.posWeight) : undefined;
  const kind = c.name.split('_')[0];
  switch (kind) {
    case 'ce': return (x, t) => crossEntropy(x, t, { reduction, weight, ignoreIndex: m.ignoreIndex, labelSmoothing: m.labelSmoothing });
    case 'nll': return (x, t) => nllLoss(x, t, { reduction, weight, ignoreIndex: m.ignoreIndex });
    case 'mse': return (a, b) => mseLoss(a, b, reduction);
    case 'l1': return (a, b) => l1Loss(a, b, reduction);
    case 'smoothl1': return (a, b) => smoothL1Loss(a, b, { beta: m.beta, reduction });
    case 'huber': return (a, b) => huberLoss(a, b, { delta: m.delta, reduction });
    case 'bcel': return (a, b) => binaryCrossEntropyWithLogits(a, b, { reduction, weight, posWeight });
    case 'bce': return m.target ? (a) => binaryCrossEntropy(a, tensor(m.target), { reduction, weight }) : (a, b) => binaryCrossEntropy(a, b, { reduction, weight });
    default: throw new Error(`no loss for fixture ${c.name}`);
  }
}

test('losses match PyTorch (outputs and gradients)', () => {
  assert.ok(cases.length > 100);
  const kinds = new Set(cases.map((c) => c.name.split('_')[0]));
  assert.deepEqual([...kinds].sort(), ['bce', 'bcel', 'ce', 'huber', 'l1', 'mse', 'nll', 'smoothl1']);
  for (const c of cases) replay(c, lossFor(c));
});

test('cross entropy: every target ignored gives a NaN mean but zero gradients (as PyTorch)', () => {
  for (const labelSmoothing of [0, 0.1]) {
    const x = tensor([[1, 2, 3], [0, -1, 4]], { requiresGrad: true });
    const l = crossEntropy(x, tensor([-100, -100], { dtype: 'int32' }), { labelSmoothing });
    assert.ok(Number.isNaN(l.item()));
    l.backward();
    assert.deepEqual(x.grad!.toArray(), [0, 0, 0, 0, 0, 0]);
  }
});

test('binaryCrossEntropyWithLogits is finite for huge logits', () => {
  const x = tensor([-1000, 1000, 0], { requiresGrad: true });
  const l = binaryCrossEntropyWithLogits(x, tensor([1, 0, 1]), { reduction: 'sum' });
  assert.ok(Math.abs(l.item() - (2000 + Math.log(2))) < 1e-3);
  l.backward();
  assert.deepEqual(x.grad!.toArray(), [-1, 1, -0.5]);
});

const int = (v: number[], shape?: number[]) => tensor(v, { dtype: 'int32', shape });

test('gradcheck: class-index losses in float64', () => {
  const t2 = int([0, 3, -100, 2, 1]);
  const t4 = int([0, 2, 1, -100, 2, 0, 1, 1], [2, 2, 2]);
  const w = tensor([0.5, 1.5, 1, 2], { dtype: 'float64' });
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    gradcheck((x) => crossEntropy(x, t2, { reduction }), [randd([5, 4], 1)], { name: `ce ${reduction}` });
    gradcheck((x) => crossEntropy(x, t2, { reduction, weight: w, labelSmoothing: 0.1 }), [randd([5, 4], 2)], { name: `ce smooth weight ${reduction}` });
    gradcheck((x) => crossEntropy(x, t4, { reduction, labelSmoothing: 0.2, weight: w.slice(0, 0, 3) }), [randd([2, 3, 2, 2], 3)], { name: `ce 4d ${reduction}` });
    gradcheck((x) => nllLoss(x, t2, { reduction, weight: w }), [randd([5, 4], 4)], { name: `nll ${reduction}` });
  }
  gradcheck((x) => crossEntropy(x, int([3], []), { labelSmoothing: 0.1 }), [randd([5], 5)], { name: 'ce unbatched' });
});

test('gradcheck: elementwise losses in float64 (input and target)', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    const a = () => randd([3, 4], 10, [-3, 3]), b = () => randd([3, 4], 11, [-3, 3]);
    gradcheck((x, y) => mseLoss(x, y, reduction), [a(), b()], { name: `mse ${reduction}` });
    gradcheck((x, y) => l1Loss(x, y, reduction), [a(), b()], { name: `l1 ${reduction}` });
    gradcheck((x, y) => smoothL1Loss(x, y, { beta: 1.5, reduction }), [a(), b()], { name: `smoothL1 ${reduction}` });
    gradcheck((x, y) => huberLoss(x, y, { delta: 0.8, reduction }), [a(), b()], { name: `huber ${reduction}` });
    const pw = tensor([0.5, 2, 1, 3], { dtype: 'float64' }), wr = tensor([[1.5], [0.5], [2]], { dtype: 'float64' });
    gradcheck((x, y) => binaryCrossEntropyWithLogits(x, y, { reduction, posWeight: pw, weight: wr }), [a(), randd([3, 4], 12, [0, 1])], { name: `bcel ${reduction}` });
    gradcheck((x, y) => binaryCrossEntropy(x, y, { reduction, weight: wr }), [randd([3, 4], 13, [0.05, 0.95]), randd([3, 4], 14, [0, 1])], { name: `bce ${reduction}` });
  }
});

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: Error) => {
    for (const p of parts) assert.ok(e.message.includes(p), `message "${e.message}" should mention "${p}"`);
    return true;
  });
}

test('class-index losses reject bad inputs, naming the op and the shapes', () => {
  const x = tensor([[1, 2, 3, 4], [0, 0, 0, 0]]);
  throwsWith(() => crossEntropy(x, tensor([1, 2])), 'crossEntropy', 'int32', 'float32', '[2, 4]', '[2]');
  throwsWith(() => nllLoss(x, tensor([1, 2])), 'nllLoss', 'int32');
  throwsWith(() => crossEntropy(x, int([1, 2, 3])), 'crossEntropy', '[2, 4]', '[3]');
  throwsWith(() => crossEntropy(x, int([1, 2], [2, 1])), 'crossEntropy', '[2, 4]', '[2, 1]');
  throwsWith(() => crossEntropy(tensor([[[1, 2]]]), int([0])), 'crossEntropy', '[1, 1, 2]', '[1]');
  throwsWith(() => crossEntropy(x, int([1, 4])), 'crossEntropy', 'target value 4', '4 classes');
  throwsWith(() => nllLoss(x, int([-1, 0])), 'nllLoss', 'target value -1', '4 classes');
  throwsWith(() => crossEntropy(x, int([-100, 0]), { ignoreIndex: 3 }), 'target value -100');
  throwsWith(() => crossEntropy(x.int(), int([1, 0])), 'crossEntropy', 'float');
  throwsWith(() => crossEntropy(tensor(3), int([0], [])), 'crossEntropy', 'scalar');
  throwsWith(() => crossEntropy(x, int([1, 0]), { weight: tensor([1, 2, 3]) }), 'crossEntropy', 'weight', '[3]', '[4]');
  throwsWith(() => crossEntropy(x, int([1, 0]), { labelSmoothing: 1.5 }), 'crossEntropy', 'labelSmoothing', '1.5');
  throwsWith(() => crossEntropy(x, int([1, 0]), { reduction: 'avg' as Reduction }), 'crossEntropy', 'avg');
  throwsWith(() => nllLoss(x, int([1, 0]), { reduction: 'batchmean' as Reduction }), 'nllLoss', 'batchmean');
});

test('elementwise losses reject bad inputs, naming the op and the shapes', () => {
  const a = tensor([[1, 2, 3]]), b = tensor([1, 2, 3]);
  for (const [name, fn] of [
    ['mseLoss', mseLoss], ['l1Loss', l1Loss], ['smoothL1Loss', (x: Tensor, y: Tensor) => smoothL1Loss(x, y)],
    ['huberLoss', (x: Tensor, y: Tensor) => huberLoss(x, y)], ['binaryCrossEntropyWithLogits', (x: Tensor, y: Tensor) => binaryCrossEntropyWithLogits(x, y)],
    ['binaryCrossEntropy', (x: Tensor, y: Tensor) => binaryCrossEntropy(x.mul(0.1), y)],
  ] as [string, (x: Tensor, y: Tensor) => Tensor][]) {
    throwsWith(() => fn(a, b), name, '[1, 3]', '[3]');
    throwsWith(() => fn(b, b.double()), name, 'float64');
    throwsWith(() => fn(b.int(), b.int()), name, 'int32');
  }
  throwsWith(() => mseLoss(b, b, 'total' as Reduction), 'mseLoss', 'total');
  throwsWith(() => smoothL1Loss(b, b, { beta: -1 }), 'smoothL1Loss', 'beta', '-1');
  throwsWith(() => huberLoss(b, b, { delta: 0 }), 'huberLoss', 'delta', '0');
  throwsWith(() => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])), 'binaryCrossEntropy', '1.5', '[2]');
  throwsWith(() => binaryCrossEntropy(tensor([NaN, 0.5]), tensor([0, 1])), 'binaryCrossEntropy', 'NaN');
  throwsWith(() => binaryCrossEntropyWithLogits(a, a, { posWeight: tensor([1, 2]) }), 'binaryCrossEntropyWithLogits', 'posWeight', '[2]', '[1, 3]');
  throwsWith(() => binaryCrossEntropyWithLogits(b, b, { weight: tensor([[1], [2]]) }), 'binaryCrossEntropyWithLogits', 'weight', '[2, 1]', '[3]');
  throwsWith(() => binaryCrossEntropy(b.mul(0.1), b, { weight: tensor([1, 2]) }), 'binaryCrossEntropy', 'weight', '[2]', '[3]');
});

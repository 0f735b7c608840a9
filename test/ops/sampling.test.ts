// Sampling in the engine (src/ops/sampling.ts): topk against hand examples (values, indices, gradient, any dim),
// seeded multinomial (reproducible, proportional, without replacement), and sampleLogits: the same seed gives the
// same draws, top-k never leaves the top k, top-p never leaves the nucleus, temperature → 0 is argmax.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, tensor, randn } from '../../src/index.ts';

describe('topk', () => {
  test('values and indices along the last axis, largest and smallest', () => {
    const x = tensor([[1, 5, 3, 5], [7, 2, 9, -1]]);
    const [v, i] = F.topk(x, 2);
    assert.deepEqual(v.toArray(), [5, 5, 9, 7]);
    assert.deepEqual(i.toArray(), [1, 3, 2, 0], 'ties keep index order');
    assert.equal(i.dtype, 'int32');
    const [vs, is] = F.topk(x, 3, 1, false);
    assert.deepEqual(vs.toArray(), [1, 3, 5, -1, 2, 7]);
    assert.deepEqual(is.toArray(), [0, 2, 1, 3, 1, 0]);
  });

  test('along dim 0 of a 3-D tensor, and its gradient scatters back to the chosen entries', () => {
    const x = tensor([[[1, 8]], [[4, 2]], [[3, 6]]], { requiresGrad: true }); // (3, 1, 2)
    const [v, i] = F.topk(x, 2, 0);
    assert.deepEqual(v.shape, [2, 1, 2]);
    assert.deepEqual(v.toArray(), [4, 8, 3, 6]);
    assert.deepEqual(i.toArray(), [1, 0, 2, 2]);
    v.mul(tensor([[[1, 2]], [[3, 4]]])).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [0, 2, 1, 0, 3, 4]);
  });

  test('bad k and inputs name the op', () => {
    assert.throws(() => F.topk(tensor([1, 2, 3]), 4), /topk: k must be an integer in \[0, 3\] for dim 0 of shape \[3\], got 4/);
    assert.throws(() => F.topk(tensor([1, 2], { dtype: 'int32' }), 1), /topk: expected a float tensor/);
  });
});

describe('multinomial', () => {
  test('the same generator seed gives the same draws; frequencies follow the weights', () => {
    const p = tensor([0.1, 0.0, 0.6, 0.3]);
    const a = F.multinomial(p, 20000, { replacement: true, generator: new Generator(5) });
    const b = F.multinomial(p, 20000, { replacement: true, generator: new Generator(5) });
    assert.deepEqual(a.toArray(), b.toArray());
    const counts = [0, 0, 0, 0];
    for (const v of a.data) counts[v]++;
    assert.equal(counts[1], 0, 'a zero weight is never drawn');
    // fixed seed: deterministic; 20,000 draws put each frequency within ±0.015 of its weight (≈ 4 s.d.)
    [0.1, 0, 0.6, 0.3].forEach((w, k) => assert.ok(Math.abs(counts[k] / 20000 - w) < 0.015, `index ${k}: ${counts[k] / 20000} vs ${w}`));
    assert.notDeepEqual(F.multinomial(p, 50, { replacement: true, generator: new Generator(6) }).toArray(), a.toArray().slice(0, 50));
  });

  test('without replacement each index once; unnormalised rows; (B, V) → (B, n)', () => {
    const p = tensor([[1, 1, 1, 1, 0], [0, 5, 0, 5, 10]]);
    const s = F.multinomial(p, 3, { generator: new Generator(1) });
    assert.deepEqual(s.shape, [2, 3]);
    const rows = [s.toArray().slice(0, 3), s.toArray().slice(3)];
    assert.equal(new Set(rows[0]).size, 3);
    assert.ok(!rows[0].includes(4));
    assert.deepEqual([...rows[1]].sort(), [1, 3, 4]);
    assert.throws(() => F.multinomial(p, 4), /cannot draw 4 samples without replacement from row 1, which has 3 non-zero weights/);
  });

  test('bad probabilities are refused with the row and index', () => {
    assert.throws(() => F.multinomial(tensor([0.5, -0.1]), 1), /multinomial: probabilities must be finite and ≥ 0, got -0\.1\d* at row 0, index 1/);
    assert.throws(() => F.multinomial(tensor([0, 0]), 1), /row 0 of the probabilities sums to 0/);
    assert.throws(() => F.multinomial(tensor([NaN, 1]), 1), /got NaN at row 0, index 0/);
  });
});

describe('sampleLogits', () => {
  const logits = randn([3, 50], { generator: new Generator(9) });

  test('the same seed gives the same tokens, another seed others', () => {
    const draw = (seed: number) => { const g = new Generator(seed); return Array.from({ length: 30 }, () => F.sampleLogits(logits, { generator: g }).toArray()).flat(); };
    assert.deepEqual(draw(1), draw(1));
    assert.notDeepEqual(draw(1), draw(2));
  });

  test('top-k never emits a token outside the top k', () => {
    const g = new Generator(3);
    const [, top] = F.topk(logits, 5);
    for (let n = 0; n < 400; n++) {
      const s = F.sampleLogits(logits, { topK: 5, temperature: 2, generator: g }).data;
      for (let b = 0; b < 3; b++) assert.ok(Array.from(top.data.subarray(b * 5, b * 5 + 5)).includes(s[b]), `row ${b}: token ${s[b]} is not in the top 5`);
    }
  });

  test('top-p keeps the smallest set reaching p: here the two most likely tokens', () => {
    // probabilities 0.5, 0.3, 0.15, 0.05: with p = 0.7 the nucleus is {0.5, 0.3}
    const l = tensor([0.15, 0.5, 0.05, 0.3].map(Math.log));
    const g = new Generator(4);
    const seen = new Set<number>();
    for (let n = 0; n < 500; n++) seen.add(F.sampleLogits(l, { topP: 0.7, generator: g }).item());
    assert.deepEqual([...seen].sort(), [1, 3]);
    for (let n = 0; n < 50; n++) assert.equal(F.sampleLogits(l, { topP: 0.4, generator: g }).item(), 1, 'p below the top probability: only the argmax');
  });

  test('temperature 0 is argmax, and temperature → 0 tends to it', () => {
    const am = F.argmax(logits, 1).toArray();
    assert.deepEqual(F.sampleLogits(logits, { temperature: 0 }).toArray(), am);
    const g = new Generator(8);
    for (let n = 0; n < 20; n++) assert.deepEqual(F.sampleLogits(logits, { temperature: 1e-4, generator: g }).toArray(), am);
    assert.deepEqual(F.sampleLogits(logits.select(0, 1), { temperature: 0 }).shape, [], '(V) logits → one token');
  });

  test('a high temperature flattens the distribution', () => {
    const l = tensor([0, 2, 4]), g = new Generator(2);
    const freq = (t: number) => { let c = 0; for (let n = 0; n < 3000; n++) if (F.sampleLogits(l, { temperature: t, generator: g }).item() === 0) c++; return c / 3000; };
    const cold = freq(1), hot = freq(100);
    assert.ok(cold < 0.03 && hot > 0.3, `P(token 0): ${cold} at T = 1, ${hot} at T = 100`);
  });

  test('bad options are refused, naming the option', () => {
    assert.throws(() => F.sampleLogits(logits, { temperature: -1 }), /temperature must be a finite number ≥ 0, got -1/);
    assert.throws(() => F.sampleLogits(logits, { topK: 51 }), /topK 51 exceeds the vocabulary of 50 tokens/);
    assert.throws(() => F.sampleLogits(logits, { topK: 1.5 }), /topK must be a non-negative integer/);
    assert.throws(() => F.sampleLogits(logits, { topP: 0 }), /topP must be in \(0, 1\], got 0/);
    assert.throws(() => F.sampleLogits(tensor([1, NaN]), {}), /logit 1 of row 0 is NaN/);
  });
});

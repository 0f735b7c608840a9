// The adding problem's data (src/data/adding.ts): shapes, exactly two markers (one per half), targets = the sum of
// the marked values, reproducible from the generator, and the mean predictor's MSE ≈ 1/6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/index.ts';
import { addingBatch, ADDING_BASELINE_MSE } from '../../src/data/adding.ts';

test('addingBatch: two markers, one in each half; the target is their values\' sum', () => {
  const T = 9, B = 50;
  const [x, y] = addingBatch(T, B, new Generator(1));
  assert.deepEqual(x.shape, [T, B, 2]);
  assert.deepEqual(y.shape, [B, 1]);
  for (let b = 0; b < B; b++) {
    const marked: number[] = [];
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const v = x.data[(t * B + b) * 2], m = x.data[(t * B + b) * 2 + 1];
      assert.ok(v >= 0 && v < 1);
      assert.ok(m === 0 || m === 1);
      if (m === 1) { marked.push(t); sum += v; }
    }
    assert.equal(marked.length, 2);
    assert.ok(marked[0] < 4 && marked[1] >= 4, `markers at ${marked}`);
    assert.ok(Math.abs(y.data[b] - sum) < 1e-6);
  }
  const [x2] = addingBatch(T, B, new Generator(1));
  assert.deepEqual(x2.toArray(), x.toArray(), 'the same generator seed, the same batch');
});

test('predicting the mean sum 1 gives MSE ≈ 1/6', () => {
  const [, y] = addingBatch(20, 20000, new Generator(2));
  let s = 0;
  for (const v of y.data) s += (v - 1) ** 2;
  assert.ok(Math.abs(s / 20000 - ADDING_BASELINE_MSE) < 0.01, `MSE ${s / 20000}`);
  assert.throws(() => addingBatch(1, 2, new Generator(0)), /addingBatch: T must be an integer ≥ 2, got 1/);
});

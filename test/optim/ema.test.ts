// The exponential moving average of weights (src/optim/ema.ts): its arithmetic, the (1 + s)/(10 + s) warm-up,
// buffers, state, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dt from '../../src/index.ts';
import { ExponentialMovingAverage } from '../../src/optim/ema.ts';

const net = () => new dt.nn.Sequential(new dt.nn.Linear(3, 2), new dt.nn.BatchNorm1d(2));

test('θ̄ ← d·θ̄ + (1 − d)·θ with d = min(0.999, (1 + s)/(10 + s))', () => {
  dt.manualSeed(1);
  const model = net(), shadow = net();
  const ema = new ExponentialMovingAverage(model, shadow);
  const w = () => Array.from(model.parameters()[0].data), sw = () => Array.from(shadow.parameters()[0].data);
  assert.deepEqual(sw(), w(), 'starts as a copy of the model');
  let expected = w();
  for (let s = 0; s < 5; s++) {
    const d = Math.min(0.999, (1 + s) / (10 + s));
    assert.equal(ema.currentDecay(), d);
    for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += 0.5 * (i + 1);  // a "step"
    const now = w();
    expected = expected.map((e, i) => d * e + (1 - d) * now[i]);
    ema.update();
    sw().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `update ${s}, weight ${i}: ${v} vs ${expected[i]}`));
  }
  assert.equal(ema.updates, 5);
  // the warm-up reaches the ceiling at s = 8981: (1 + s)/(10 + s) ≥ 0.999
  ema.updates = 10_000;
  assert.equal(ema.currentDecay(), 0.999);
  assert.equal(new ExponentialMovingAverage(model, shadow, { warmup: false, decay: 0.9 }).currentDecay(), 0.9);
});

test('buffers are copied, not averaged; state round-trips; the shadow must match the model', () => {
  const model = net(), shadow = net();
  const ema = new ExponentialMovingAverage(model, shadow);
  const bn = [...model.modules()].find((m) => m instanceof dt.nn.BatchNorm1d) as dt.nn.BatchNorm1d;
  bn.running_mean!.data.set([3, 4]);
  ema.update();
  const sbn = [...shadow.modules()].find((m) => m instanceof dt.nn.BatchNorm1d) as dt.nn.BatchNorm1d;
  assert.deepEqual(Array.from(sbn.running_mean!.data), [3, 4]);
  const other = new ExponentialMovingAverage(model, net());
  other.loadStateDict(ema.stateDict());
  assert.equal(other.updates, 1);
  assert.throws(() => other.loadStateDict({ updates: -1 }), /'updates' must be a non-negative integer, got -1/);
  assert.throws(() => new ExponentialMovingAverage(model, new dt.nn.Linear(3, 2)), /the shadow model has no entry for '0.weight'/);
  assert.throws(() => new ExponentialMovingAverage(model, net(), { decay: 1.5 }), /decay must be in \[0, 1\], got 1.5/);
});

// The gating experiments' network (src/models/recurrent-regressor.ts): parameter counts, equal budgets, the
// forget-gate bias and init scale, and its output shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn } from '../../src/index.ts';
import { RecurrentRegressor, type CellKind } from '../../src/models/recurrent-regressor.ts';

test('parameterCount is the module\'s; hiddenForBudget matches budgets', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as CellKind[]) {
    const m = new RecurrentRegressor({ cell, inputSize: 2, hiddenSize: 7, initScale: null, forgetBias: null });
    assert.equal(m.parameters().reduce((s, p) => s + p.size, 0), RecurrentRegressor.parameterCount(cell, 2, 7), cell);
  }
  const budget = RecurrentRegressor.parameterCount('lstm', 2, 32);
  assert.equal(RecurrentRegressor.hiddenForBudget('lstm', 2, budget), 32);
  for (const cell of ['gru', 'rnn'] as CellKind[]) {
    const H = RecurrentRegressor.hiddenForBudget(cell, 2, budget);
    const n = (h: number) => Math.abs(RecurrentRegressor.parameterCount(cell, 2, h) - budget);
    assert.ok(n(H) <= n(H - 1) && n(H) <= n(H + 1), `${cell}: ${H} is the nearest`);
  }
});

test('forget bias and init scale; output shapes', () => {
  const m = new RecurrentRegressor({ cell: 'lstm', inputSize: 2, hiddenSize: 3, initScale: 0.5, forgetBias: 1 });
  const rnn = m.rnn as any;
  for (const name of ['bias_ih_l0', 'bias_hh_l0']) assert.deepEqual(Array.from(rnn[name].data.subarray(3, 6)), [0.5, 0.5, 0.5], name);
  for (const p of m.rnn.parameters()) for (const v of p.data) assert.ok(Math.abs(v) <= 0.5);
  const [pred, hs] = m.forward(randn([5, 4, 2]));
  assert.deepEqual(pred.shape, [4, 1]);
  assert.deepEqual(hs.shape, [5, 4, 3]);
  assert.throws(() => new RecurrentRegressor({ cell: 'gru', inputSize: 2, hiddenSize: 3, initScale: null, forgetBias: 1 }), /forgetBias applies to an LSTM, not a gru/);
});

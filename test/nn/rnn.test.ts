// The recurrent layers (src/nn/rnn.ts): RNN (tanh, relu), GRU and LSTM — multi-layer, bidirectional, batch-first,
// unbatched, without bias — and the three cells, against PyTorch fixtures (test/fixtures/gen_rnn.py: outputs, final
// states, the gradient of every input, initial state and parameter), float64 gradchecks of whole modules, and
// their bookkeeping and errors. The fused recurrences themselves: test/ops/rnn.test.ts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as dt from '../../src/index.ts';
import { nn, Generator, Tensor, randn, zeros } from '../../src/index.ts';
import { decode, gradcheck, randd, assertClose, backendName, type Encoded } from '../helpers.ts';

interface RnnCase {
  name: string;
  config: { type: string; args: any[] };
  state: Record<string, Encoded>;
  inputs: Encoded[];
  outputs: Encoded[];
  upstream: Encoded[];
  inputGrads: Encoded[];
  paramGrads: Record<string, Encoded>;
}

const cases: RnnCase[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/rnn.json', import.meta.url)), 'utf8')).cases;

/** Runs the module as gen_rnn.py called the torch one; returns the flat output list. */
function run(type: string, m: nn.Module, xs: Tensor[]): Tensor[] {
  switch (type) {
    case 'LSTM': {
      const [out, [h, c]] = (m as nn.LSTM).forward(xs[0], xs.length === 3 ? [xs[1], xs[2]] : undefined);
      return [out, h, c];
    }
    case 'RNN': case 'GRU': {
      const [out, h] = (m as nn.RNN | nn.GRU).forward(xs[0], xs[1]);
      return [out, h];
    }
    case 'LSTMCell': return (m as nn.LSTMCell).forward(xs[0], [xs[1], xs[2]]);
    default: return [(m as nn.RNNCell | nn.GRUCell).forward(xs[0], xs[1])];
  }
}

describe(`recurrent layers match PyTorch: outputs, final states, every gradient (${backendName} backend)`, () => {
  test('fixtures present', () => assert.equal(cases.length, 15));
  for (const c of cases) {
    test(c.name, () => {
      const m: nn.Module = new (nn as any)[c.config.type](...c.config.args);
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), 'state dict names, in PyTorch\'s order');
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, e]) => [k, decode(e)])));
      m.eval();
      const xs = c.inputs.map((e) => decode(e, true));
      const outs = run(c.config.type, m, xs);
      assert.equal(outs.length, c.outputs.length, 'number of outputs');
      c.outputs.forEach((e, i) => assertClose(outs[i], e, `${c.name}: output ${i}`, 1e-4, 1e-5));
      let loss = outs[0].mul(decode(c.upstream[0])).sum();
      for (let i = 1; i < outs.length; i++) loss = loss.add(outs[i].mul(decode(c.upstream[i])).sum());
      loss.backward();
      c.inputGrads.forEach((g, i) => assertClose(xs[i].grad, g, `${c.name}: gradient of input ${i}`, 1e-4, 1e-4));
      const params = new Map(m.namedParameters());
      assert.deepEqual([...params.keys()], Object.keys(c.paramGrads), 'parameter names');
      for (const [name, g] of Object.entries(c.paramGrads)) assertClose(params.get(name)!.grad, g, `${c.name}: gradient of ${name}`, 1e-4, 1e-4);
    });
  }
});

describe('module gradchecks (float64): input, initial state and every parameter', () => {
  const opts = { numLayers: 2, bidirectional: true, batchFirst: true, dtype: 'float64' as const };
  test('RNN tanh and relu', () => {
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const m = new nn.RNN(2, 3, { ...opts, nonlinearity, generator: new Generator(3) });
      gradcheck((x, h) => { const [o, hn] = m.forward(x, h); return dt.cat([o.flatten(), hn.flatten()]); },
        [randd([2, 3, 2], 10), randd([4, 2, 3], 11), ...m.parameters()], { name: `RNN ${nonlinearity}` });
    }
  });
  test('GRU', () => {
    const m = new nn.GRU(2, 3, { ...opts, generator: new Generator(4) });
    gradcheck((x, h) => { const [o, hn] = m.forward(x, h); return dt.cat([o.flatten(), hn.flatten()]); },
      [randd([2, 3, 2], 12), randd([4, 2, 3], 13), ...m.parameters()], { name: 'GRU' });
  });
  test('LSTM', () => {
    const m = new nn.LSTM(2, 2, { ...opts, generator: new Generator(3) });
    gradcheck((x, h, c) => { const [o, [hn, cn]] = m.forward(x, [h, c]); return dt.cat([o.flatten(), hn.flatten(), cn.flatten()]); },
      [randd([2, 3, 2], 10), randd([4, 2, 2], 11), randd([4, 2, 2], 12), ...m.parameters()], { name: 'LSTM' });
  });
  test('cells', () => {
    const g = new nn.GRUCell(3, 2, { dtype: 'float64', generator: new Generator(5) });
    gradcheck((x, h) => g.forward(x, h), [randd([2, 3], 14), randd([2, 2], 15), ...g.parameters()], { name: 'GRUCell' });
    const r = new nn.RNNCell(3, 2, { dtype: 'float64', nonlinearity: 'relu', generator: new Generator(6) });
    gradcheck((x, h) => r.forward(x, h), [randd([2, 3], 16), randd([2, 2], 17), ...r.parameters()], { name: 'RNNCell relu' });
  });
});

describe('bookkeeping', () => {
  test('every parameter ~ U(±1/√hidden), PyTorch\'s shapes per gate count', () => {
    for (const [m, G] of [[new nn.LSTM(100, 256, { numLayers: 2 }), 4], [new nn.GRU(100, 256, { numLayers: 2 }), 3], [new nn.RNN(100, 256, { numLayers: 2 }), 1]] as const) {
      for (const [name, p] of m.namedParameters()) {
        assert.equal(p.shape[0], G * 256, name);
        let lo = Infinity, hi = -Infinity, sum = 0;
        for (const v of p.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
        assert.ok(lo >= -1 / 16 && hi <= 1 / 16 && hi > 0.9 / 16 && lo < -0.9 / 16, `${name}: range [${lo}, ${hi}]`);
        assert.ok(Math.abs(sum / p.size) < 0.01, `${name}: mean ${sum / p.size}`);
      }
    }
  });

  test('state dict names with reverse directions and layers', () => {
    const m = new nn.GRU(3, 4, { numLayers: 2, bidirectional: true });
    assert.deepEqual([...m.stateDict().keys()].slice(0, 8), ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']);
    assert.deepEqual(m.stateDict().get('weight_ih_l1')!.shape, [12, 8], 'layer 1 reads both directions');
    assert.equal(String(new nn.RNN(3, 4, { nonlinearity: 'relu', numLayers: 2 })), "RNN(3, 4, num_layers=2, nonlinearity='relu')");
  });

  test('cells equal one step of a 1-layer module with the same weights', () => {
    const pairs: [nn.Module, nn.Module][] = [[new nn.GRUCell(3, 4), new nn.GRU(3, 4)], [new nn.RNNCell(3, 4), new nn.RNN(3, 4)], [new nn.LSTMCell(3, 4), new nn.LSTM(3, 4)]];
    for (const [cell, layer] of pairs) {
      layer.loadStateDict(new Map([...cell.stateDict()].map(([k, v]) => [`${k}_l0`, v])));
      const x = randn([2, 3]), h = randn([2, 4]), c = randn([2, 4]);
      if (cell instanceof nn.LSTMCell) {
        const [h1, c1] = cell.forward(x, [h, c]);
        const [out, [hn, cn]] = (layer as nn.LSTM).forward(x.unsqueeze(0), [h.unsqueeze(0), c.unsqueeze(0)]);
        assertClose(h1, hn.squeeze(0), 'LSTM h', 1e-6, 1e-6);
        assertClose(c1, cn.squeeze(0), 'LSTM c', 1e-6, 1e-6);
        assertClose(h1, out.squeeze(0), 'LSTM output', 1e-6, 1e-6);
      } else {
        const h1 = (cell as nn.GRUCell).forward(x, h);
        const [out, hn] = (layer as nn.GRU).forward(x.unsqueeze(0), h.unsqueeze(0));
        assertClose(h1, hn.squeeze(0), `${cell.constructor.name} h`, 1e-6, 1e-6);
        assertClose(h1, out.squeeze(0), `${cell.constructor.name} output`, 1e-6, 1e-6);
        assert.deepEqual((cell as nn.GRUCell).forward(x.select(0, 1)).shape, [4], 'unbatched, no state');
      }
    }
  });

  test('a bidirectional layer\'s final states: forward direction at t = T−1, reverse at t = 0', () => {
    const m = new nn.GRU(2, 3, { bidirectional: true });
    const [out, hn] = m.forward(randn([5, 2, 2]));
    assertClose(hn.select(0, 0), out.select(0, 4).narrow(1, 0, 3), 'forward final', 0, 0);
    assertClose(hn.select(0, 1), out.select(0, 0).narrow(1, 3, 3), 'reverse final', 0, 0);
  });

  test('inter-layer dropout acts only in training, from the given generator', () => {
    for (const Ctor of [nn.LSTM, nn.GRU, nn.RNN]) {
      const make = () => new Ctor(3, 8, { numLayers: 2, dropout: 0.5, generator: new Generator(1), dropoutGenerator: new Generator(5) });
      const x = randn([4, 2, 3]);
      const a = make(), b = make();
      const evalOut = a.eval().forward(x)[0].toArray();
      a.train();
      const t1 = a.forward(x)[0].toArray();
      assert.notDeepEqual(t1, evalOut, `${Ctor.name}: training differs from eval`);
      assert.deepEqual(b.forward(x)[0].toArray(), t1, `${Ctor.name}: same dropout generator seed → same masks`);
    }
  });

  test('bad inputs name the layer and the shapes', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    assert.throws(() => lstm.forward(zeros([5, 2, 4])), /LSTM: expected input size 3 in the last dim, got shape \[5, 2, 4\]/);
    assert.throws(() => lstm.forward(zeros([3])), /LSTM: expected a 2-D \(unbatched\) or 3-D input, got shape \[3\]/);
    assert.throws(() => lstm.forward(zeros([5, 2, 3]), [zeros([1, 2, 4]), zeros([1, 2, 4])]),
      /LSTM: expected h0 and c0 of shape \[2, 2, 4\], got \[1, 2, 4\] and \[1, 2, 4\]/);
    assert.throws(() => new nn.GRU(3, 4, { bidirectional: true }).forward(zeros([5, 2, 3]), zeros([1, 2, 4])),
      /GRU: expected h0 of shape \[2, 2, 4\], got \[1, 2, 4\]/);
    assert.throws(() => new nn.LSTM(3, 4, { dropout: 2 }), /LSTM: dropout must be in \[0, 1\], got 2/);
    assert.throws(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' }), /RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'/);
    assert.throws(() => new nn.GRU(0, 4), /GRU: inputSize must be a positive integer, got 0/);
    assert.throws(() => new nn.LSTMCell(3, 4).forward(zeros([2, 2])), /LSTMCell: expected input \(B, 3\) or \(3\), got shape \[2, 2\]/);
    assert.throws(() => new nn.GRUCell(3, 4).forward(zeros([2, 3]), zeros([2, 5])), /GRUCell: expected h of shape \[2, 4\], got \[2, 5\]/);
  });
});

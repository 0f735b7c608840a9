// The LSTM language model (src/models/lstm.ts): reference logits, final states, loss and every gradient against
// PyTorch (test/fixtures/gen_rnn.py → lstm_lm.json), tied weights, the sampling stream against the full forward pass,
// truncated BPTT (the carried state is detached, so the graph does not grow over 200 steps), and generation over it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, Generator, manualSeed, F, noGrad } from '../../src/index.ts';
import { LstmLanguageModel, detachState, type LstmLmConfig } from '../../src/models/lstm.ts';
import { generate } from '../../src/models/generate.ts';
import { SGD, clipGradNorm } from '../../src/optim/index.ts';
import type { LSTMState } from '../../src/nn/rnn.ts';
import { decode, assertClose, backendName, type Encoded } from '../helpers.ts';

interface LmCase {
  name: string;
  config: { vocabSize: number; embedSize: number; hiddenSize: number; numLayers: number; tieWeights: boolean };
  state: Record<string, Encoded>;
  tokens: number[]; targets: number[]; shape: [number, number];
  h0: Encoded | null; c0: Encoded | null;
  logits: Encoded; hN: Encoded; cN: Encoded; loss: number;
  grads: Record<string, Encoded>;
}

const cases: LmCase[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/lstm_lm.json', import.meta.url)), 'utf8')).cases;
const cfg = (c: Partial<LstmLmConfig> = {}): LstmLmConfig => ({ vocabSize: 7, embedSize: 4, hiddenSize: 5, numLayers: 2, dropout: 0, tieWeights: false, initRange: 0.1, ...c });

describe(`LstmLanguageModel matches PyTorch: logits, final states, loss, every gradient (${backendName} backend)`, () => {
  test('fixtures present', () => assert.equal(cases.length, 2));
  for (const c of cases) {
    test(c.name, () => {
      const m = new LstmLanguageModel({ ...c.config, dropout: 0, initRange: 0.1 });
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), 'state dict names, PyTorch\'s order');
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, e]) => [k, decode(e)])));
      const [T, B] = c.shape;
      const x = new Tensor(Int32Array.from(c.tokens), [T, B]);
      const state: LSTMState | null = c.h0 ? [decode(c.h0), decode(c.c0!)] : null;
      const [logits, [h, cc]] = m.forward(x, state);
      assertClose(logits, c.logits, 'logits', 1e-4, 1e-5);
      assertClose(h, c.hN, 'hN', 1e-4, 1e-5);
      assertClose(cc, c.cN, 'cN', 1e-4, 1e-5);
      const loss = F.crossEntropy(logits.reshape([T * B, c.config.vocabSize]), new Tensor(Int32Array.from(c.targets), [T * B])).mul(T);
      assert.ok(Math.abs(loss.item() - c.loss) < 1e-4 * Math.abs(c.loss), `loss ${loss.item()} vs ${c.loss}`);
      loss.backward();
      const params = new Map(m.namedParameters());
      assert.deepEqual([...params.keys()], Object.keys(c.grads), 'parameter names (a tied weight once)');
      for (const [name, g] of Object.entries(c.grads)) assertClose(params.get(name)!.grad, g, `gradient of ${name}`, 1e-4, 1e-5);
    });
  }
});

describe('LstmLanguageModel', () => {
  test('every parameter ~ U(−initRange, initRange); tied weights are one parameter', () => {
    manualSeed(3);
    const m = new LstmLanguageModel(cfg({ embedSize: 5, tieWeights: true, initRange: 0.05 }));
    for (const [name, p] of m.namedParameters()) for (const v of p.data) assert.ok(Math.abs(v) <= 0.05, `${name}: ${v}`);
    assert.equal(m.decoder.weight, m.encoder.weight);
    assert.ok(![...m.namedParameters()].some(([n]) => n === 'decoder.weight'));
    assert.throws(() => new LstmLanguageModel(cfg({ tieWeights: true })), /tied weights need embedSize = hiddenSize, got 4 and 5/);
    assert.throws(() => m.forward(new Tensor(new Float32Array(4), [2, 2])), /expected int32 tokens \(T, B\), got float32 \[2, 2\]/);
  });

  test('the sampling stream, fed piece by piece, gives the logits of a full forward pass', () => {
    manualSeed(4);
    const m = new LstmLanguageModel(cfg());
    const ids = Int32Array.of(1, 5, 2, 2, 6, 0);
    const [logits] = noGrad(() => m.forward(new Tensor(ids, [ids.length, 1])));
    const s = m.stream();
    const a = s.feed(ids.subarray(0, 3)), b = s.feed(ids.subarray(3, 4)), c = s.feed(ids.subarray(4));
    for (const [got, t] of [[a, 2], [b, 3], [c, 5]] as const) assertClose(new Tensor(got, [7]), logits.select(0, t).reshape([7]), `position ${t}`, 1e-5, 1e-6);
    assert.equal(m.training, false, 'a stream puts the model in eval mode');
  });

  test('truncated BPTT: the carried state is detached, so the graph stays the same size over 200 steps', () => {
    manualSeed(5);
    const m = new LstmLanguageModel(cfg({ vocabSize: 20 }));
    const opt = new SGD(m.parameters(), { lr: 0.5 });
    const g = new Generator(1);
    const T = 4, B = 3;
    let state: LSTMState | null = null;
    const sizes: number[] = [];
    /** Graph nodes reachable from t (each tensor with a gradFn once). */
    const nodes = (t: Tensor): number => {
      const seen = new Set<Tensor>(), stack = [t];
      while (stack.length) {
        const u = stack.pop()!;
        if (!u.gradFn || seen.has(u)) continue;
        seen.add(u);
        stack.push(...u.gradFn.inputs);
      }
      return seen.size;
    };
    for (let step = 0; step < 200; step++) {
      const x = new Tensor(Int32Array.from({ length: T * B }, () => g.randint(0, 20)), [T, B]);
      const y = new Tensor(Int32Array.from({ length: T * B }, () => g.randint(0, 20)), [T * B]);
      const [logits, next] = m.forward(x, state);
      const loss = F.crossEntropy(logits.reshape([T * B, 20]), y);
      sizes.push(nodes(loss));
      state = detachState(next);
      assert.ok(!state[0].gradFn && !state[1].gradFn && !state[0].requiresGrad, 'the carried state has no graph behind it');
      opt.zeroGrad();
      loss.mul(T).backward();
      clipGradNorm(m.parameters(), 5);
      opt.step();
    }
    assert.equal(new Set(sizes.slice(1)).size, 1, `graph sizes ${[...new Set(sizes)].join(', ')}`);
    assert.ok(sizes[1] >= sizes[0], 'from step 2 the state is an input, not a constant zero');
    // without the detach, the graph of step k reaches back through every earlier step
    const [l1, s1] = m.forward(new Tensor(Int32Array.of(1, 2, 3), [1, 3]), null);
    const [l2] = m.forward(new Tensor(Int32Array.of(1, 2, 3), [1, 3]), s1);
    assert.ok(nodes(l2) > nodes(l1) + 5, 'an undetached state drags the previous window\'s graph along');
  });

  test('generate: the same seed gives the same tokens; greedy follows the argmax chain', () => {
    manualSeed(6);
    const m = new LstmLanguageModel(cfg());
    const prompt = Int32Array.of(3, 1);
    const a = generate(m, prompt, { length: 30, seed: 9 }), b = generate(m, prompt, { length: 30, seed: 9 });
    assert.deepEqual([...a], [...b]);
    assert.notDeepEqual([...generate(m, prompt, { length: 30, seed: 10 })], [...a]);
    const greedy = generate(m, prompt, { length: 5, temperature: 0 });
    const chain = [...prompt];
    for (let i = 0; i < 5; i++) {
      const [logits] = noGrad(() => m.forward(new Tensor(Int32Array.from(chain), [chain.length, 1])));
      chain.push(F.argmax(logits.select(0, chain.length - 1).reshape([7])).item());
    }
    assert.deepEqual([...greedy], chain.slice(2));
  });
});

// The character GPT: logits and every parameter gradient against a PyTorch model with nanoGPT's names and math
// (state dict loaded into ours), the KV-cached stream against full recomputation (also past the block size),
// learning a small sequence, and bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { F, Generator, Tensor, noGrad, optim, tensor } from '../../src/index.ts';
import { GPT, type GPTConfig } from '../../src/models/gpt.ts';
import { decode, assertClose, backendName, type Encoded } from '../helpers.ts';

interface GptCase { name: string; config: GPTConfig; state: Record<string, Encoded>; idx: Encoded; target: Encoded; logits: Encoded; paramGrads: Record<string, Encoded> }
const cases: GptCase[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/gpt.json', import.meta.url)), 'utf8')).cases;

describe(`GPT matches a PyTorch nanoGPT-style model (${backendName} backend)`, () => {
  test('fixtures present', () => assert.equal(cases.length, 2));
  for (const c of cases) {
    test(c.name, () => {
      const m = new GPT(c.config);
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), 'state dict keys: nanoGPT names, the tied weight under both');
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, e]) => [k, decode(e)])));
      const logits = m.forward(decode(c.idx));
      assertClose(logits, c.logits, 'logits', 1e-4, 1e-5);
      F.crossEntropy(logits.reshape(-1, c.config.vocabSize), decode(c.target).reshape(-1)).backward();
      const params = new Map(m.namedParameters());
      assert.deepEqual([...params.keys()], Object.keys(c.paramGrads), 'parameters, the tied one once');
      for (const [name, g] of Object.entries(c.paramGrads)) assertClose(params.get(name)!.grad, g, `gradient of ${name}`, 1e-4, 1e-5);
    });
  }
});

describe('GPT generation stream (KV cache)', () => {
  const cfg = { blockSize: 6, vocabSize: 7, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0.1, bias: true };
  const model = () => new GPT(cfg, { generator: new Generator(3) });

  test('logits for each next token equal a full forward pass over the context to 1e-5, past the block size too', () => {
    const m = model();
    const ids = [1, 4, 0, 6, 2, 2, 5, 3, 1, 0];
    const s = m.stream();
    // first a chunk of three, then one at a time; from token 7 on the context slides (last 6 tokens)
    const chunks = [[1, 4, 0], [6], [2], [2], [5], [3], [1], [0]];
    let seen: number[] = [];
    for (const ch of chunks) {
      const got = s.feed(Int32Array.from(ch));
      seen = seen.concat(ch);
      const ctx = seen.slice(-cfg.blockSize);
      const full = noGrad(() => m.eval().forward(new Tensor(Int32Array.from(ctx), [1, ctx.length])));
      const last = Array.from(full.data.subarray((ctx.length - 1) * cfg.vocabSize));
      assertClose(tensor(Array.from(got)), last, `after ${seen.length} tokens`, 0, 1e-5);
    }
    assert.equal(seen.join(), ids.join());
  });

  test('the stream leaves the model in its mode and records no graph', () => {
    const m = model().train();
    const logits = m.stream().feed(Int32Array.from([1, 2]));
    assert.equal(m.training, true);
    assert.equal(logits.length, cfg.vocabSize);
    assert.ok(m.parameters().every((p) => p.grad === null));
  });

  test('bad input: too long, out of vocabulary, wrong dtype', () => {
    const m = model();
    assert.throws(() => m.forward(new Tensor(new Int32Array(7), [1, 7])), /GPT: a sequence of 7 tokens is longer than the block size 6/);
    assert.throws(() => m.forward(tensor([[1, 2]])), /GPT: expected int32 token ids \(B, T\), got float32 \[1, 2\]/);
    assert.throws(() => m.stream().feed(Int32Array.from([7])), /GPT.stream: token 7 is outside the vocabulary of 7/);
    assert.throws(() => new GPT({ nEmbd: 10, nHead: 4 }), /GPT: nEmbd 10 must be divisible by nHead 4/);
  });
});

test('GPT learns a repeating sequence: every next token predicted within 150 Adam steps', () => {
  const period = [3, 1, 4, 1, 5, 9, 2, 6];
  const m = new GPT({ blockSize: 16, vocabSize: 10, nLayer: 1, nHead: 2, nEmbd: 16 }, { generator: new Generator(1) });
  const opt = new optim.AdamW(m.parameters(), { lr: 1e-2, weightDecay: 0 });
  const g = new Generator(2);
  const seq = Array.from({ length: 64 }, (_, i) => period[i % period.length]);
  const batch = () => {
    const x = new Int32Array(4 * 16), y = new Int32Array(4 * 16);
    for (let b = 0; b < 4; b++) {
      const s = g.randint(0, seq.length - 17);
      for (let t = 0; t < 16; t++) { x[b * 16 + t] = seq[s + t]; y[b * 16 + t] = seq[s + t + 1]; }
    }
    return [new Tensor(x, [4, 16]), new Tensor(y, [64])];
  };
  for (let step = 0; step < 150; step++) {
    const [x, y] = batch();
    const loss = F.crossEntropy(m.forward(x).reshape(-1, 10), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  // from position 1 on (position 0 alone cannot tell which '1' it follows) every prediction is right
  const [x, y] = batch();
  const pred = noGrad(() => m.eval().forward(x)).argmax(-1);
  for (let b = 0; b < 4; b++) for (let t = 1; t < 16; t++) assert.equal(pred.data[b * 16 + t], y.data[b * 16 + t], `batch ${b}, position ${t}`);
});

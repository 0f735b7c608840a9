// The encoder-decoder: cached incremental decoding against full recomputation, a tiny copy task learned to 100%,
// beam search (width 1 = greedy), and bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, Tensor, noGrad, optim } from '../../src/index.ts';
import { Seq2SeqTransformer, type TransformerConfig } from '../../src/models/transformer.ts';
import { greedyDecode, beamSearch } from '../../src/eval/decode.ts';
import { padSequences } from '../../src/data/tokenize.ts';
import { assertClose, backendName } from '../helpers.ts';

const PAD = 0, BOS = 2, EOS = 3, SYMBOLS = 8; // tokens 4 … 11

function tiny(cfg: Partial<TransformerConfig> = {}, seed = 1): Seq2SeqTransformer {
  return new Seq2SeqTransformer(4 + SYMBOLS, 4 + SYMBOLS, PAD,
    { dModel: 32, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 64, dropout: 0, maxLen: 12, ...cfg },
    { generator: new Generator(seed) });
}

/** n random sources of 2 … 6 symbols, and the same as targets (a copy task). */
function copies(n: number, g: Generator): { src: number[][]; tgt: number[][] } {
  const src = Array.from({ length: n }, () => Array.from({ length: g.randint(2, 7) }, () => 4 + g.randint(0, SYMBOLS)));
  return { src, tgt: src.map((s) => [...s]) };
}

describe(`Seq2SeqTransformer (${backendName} backend)`, () => {
  for (const cfg of [{ positional: 'learned' as const }, { positional: 'sinusoidal' as const, normFirst: true }]) {
    test(`cached incremental decoding equals full recomputation to 1e-5 (${JSON.stringify(cfg)})`, () => {
      const m = tiny({ ...cfg, numDecoderLayers: 2 }, 5).eval();
      const g = new Generator(6);
      const { src } = copies(3, g);
      const s = padSequences(src, PAD);
      const x = new Tensor(s.data, [3, s.maxLen]);
      const y = new Tensor(Int32Array.from({ length: 3 * 7 }, (_, i) => (i % 7 === 0 ? BOS : 4 + g.randint(0, SYMBOLS))), [3, 7]);
      noGrad(() => {
        const full = m.forward(x, y); // (3, 7, V)
        const pad = m.paddingMask(x), memory = m.encode(x, pad), state = m.initState();
        const steps: Tensor[] = [];
        for (let t = 0; t < 7; t++) steps.push(m.decodeStep(y.narrow(1, t, 1), memory, state, pad));
        assertClose(F.cat(steps, 1), full, 'logits', 0, 1e-5);
      });
    });
  }

  test('learns to copy sequences: 100% exact on held-out ones (greedy and beam)', () => {
    const m = tiny({}, 2);
    const opt = new optim.Adam(m.parameters(), { lr: 3e-3 });
    const g = new Generator(3);
    for (let step = 0; step < 200; step++) {
      const { src, tgt } = copies(32, g);
      const s = padSequences(src, PAD), t = padSequences(tgt.map((y) => [BOS, ...y, EOS]), PAD);
      const x = new Tensor(s.data, [32, s.maxLen]), y = new Tensor(t.data, [32, t.maxLen]);
      const logits = m.forward(x, y.narrow(1, 0, t.maxLen - 1));
      const loss = F.crossEntropy(logits.reshape(-1, 4 + SYMBOLS), y.narrow(1, 1, t.maxLen - 1).reshape(-1), { ignoreIndex: PAD });
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    const { src, tgt } = copies(40, new Generator(99));
    const s = padSequences(src, PAD);
    const out = greedyDecode(m, new Tensor(s.data, [40, s.maxLen]), { bos: BOS, eos: EOS, maxLen: 10 });
    out.forEach((o, i) => assert.deepEqual(Array.from(o), tgt[i], `greedy, sentence ${i}`));
    for (let i = 0; i < 10; i++) {
      const h = beamSearch(m, Int32Array.from(src[i]), { bos: BOS, eos: EOS, maxLen: 10, beamWidth: 3, lengthPenalty: 1 });
      assert.deepEqual(Array.from(h.tokens), tgt[i], `beam 3, sentence ${i}`);
    }
  });

  test('beam search with width 1 equals greedy decoding (untrained model, 30 sentences)', () => {
    const m = tiny({ numDecoderLayers: 2 }, 7);
    const { src } = copies(30, new Generator(8));
    for (let i = 0; i < src.length; i++) {
      const x = Int32Array.from(src[i]);
      const [greedy] = greedyDecode(m, new Tensor(x, [1, x.length]), { bos: BOS, eos: EOS, maxLen: 12 });
      const beam = beamSearch(m, x, { bos: BOS, eos: EOS, maxLen: 12, beamWidth: 1, lengthPenalty: 0.7 });
      assert.deepEqual(Array.from(beam.tokens), Array.from(greedy), `sentence ${i}`);
    }
  });

  test('bad input: an empty source, a sequence longer than the position table, unknown ids', () => {
    const m = tiny();
    assert.throws(() => m.encode(new Tensor(new Int32Array(0), [1, 0])), /Seq2SeqTransformer: src is empty \(B, 0\)/);
    assert.throws(() => m.encode(new Tensor(new Int32Array(13).fill(4), [1, 13])), /LearnedPositionalEncoding: positions 0\.\.12 do not fit the table of 12 positions \(a sequence of 13 is too long\)/);
    assert.throws(() => m.encode(new Tensor(Int32Array.from([4, 12]), [1, 2])), /Seq2SeqTransformer: src holds token 12, outside the vocabulary of 12/);
    assert.throws(() => beamSearch(m, Int32Array.from([4]), { bos: BOS, eos: EOS, maxLen: 5, beamWidth: 0, lengthPenalty: 1 }), /beamSearch: beamWidth must be a positive integer, got 0/);
  });
});

// Transformer layers: every module against PyTorch 1.13 fixtures (weights loaded through loadStateDict; outputs,
// input gradients including float masks', parameter gradients) with every mask kind, float64 gradchecks,
// incremental (KV-cached) decoding against full recomputation, positional encodings, and bad inputs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nn, F, Generator, Tensor, noGrad, randn, tensor, zeros, cat } from '../../src/index.ts';
import { decode, gradcheck, randd, assertClose, backendName, type Encoded } from '../helpers.ts';

interface Case {
  name: string;
  config: { type: string; args?: any[]; layer?: { type: string; args: any[] }; numLayers?: number; norm?: boolean };
  call: 'encoder' | 'decoder' | 'transformer';
  mode: 'train' | 'eval';
  meta: { masks: string[]; subsequent: [string, number] | null };
  state: Record<string, Encoded>;
  inputs: Encoded[];
  outputs: Encoded[];
  upstream: Encoded[];
  inputGrads: (Encoded | null)[];
  paramGrads: Record<string, Encoded>;
}

const cases: Case[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/transformer.json', import.meta.url)), 'utf8')).cases;

function build(cfg: Case['config']): nn.Module {
  if (cfg.type === 'TransformerEncoder' || cfg.type === 'TransformerDecoder') {
    const layer = build(cfg.layer!) as any;
    const norm = cfg.norm ? new nn.LayerNorm(layer.dModel) : null;
    return cfg.type === 'TransformerEncoder' ? new nn.TransformerEncoder(layer, cfg.numLayers!, norm) : new nn.TransformerDecoder(layer, cfg.numLayers!, norm);
  }
  const Ctor = (nn as any)[cfg.type];
  assert.ok(Ctor, `no nn.${cfg.type}`);
  return new Ctor(...cfg.args!);
}

/** Runs the module as gen_transformer.py did; `causal` replaces the subsequent mask by the isCausal flag. */
function run(c: Case, m: nn.Module, xs: Tensor[], causal = false): Tensor {
  const nseq = xs.length - c.meta.masks.length;
  const opts: Record<string, unknown> = {};
  c.meta.masks.forEach((name, i) => { opts[name] = xs[nseq + i]; });
  if (c.meta.subsequent) {
    const [name, size] = c.meta.subsequent;
    if (causal) opts[name === 'srcMask' ? 'isCausal' : 'tgtIsCausal'] = true;
    else opts[name] = nn.Transformer.generateSquareSubsequentMask(size);
  }
  if (c.call === 'encoder') return m.forward(xs[0], opts);
  return m.forward(xs[0], xs[1], opts);
}

function replay(c: Case, causal = false): void {
  const m = build(c.config);
  assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), `${c.name}: state dict keys (PyTorch's names and order)`);
  m.loadStateDict(new Map(Object.entries(c.state).map(([k, e]) => [k, decode(e)])));
  m.train(c.mode === 'train');
  const xs = c.inputs.map((e) => decode(e, e.dtype === 'float32'));
  const out = run(c, m, xs, causal);
  assertClose(out, c.outputs[0], `${c.name}: output`, 1e-4, 1e-5);
  out.mul(decode(c.upstream[0])).sum().backward();
  c.inputGrads.forEach((g, i) => g && assertClose(xs[i].grad, g, `${c.name}: gradient of input ${i}`, 1e-4, 1e-4));
  const params = new Map(m.namedParameters());
  assert.deepEqual([...params.keys()], Object.keys(c.paramGrads), `${c.name}: parameter names`);
  for (const [name, g] of Object.entries(c.paramGrads)) assertClose(params.get(name)!.grad, g, `${c.name}: gradient of ${name}`, 1e-4, 1e-4);
}

describe(`Transformer layers match PyTorch (${backendName} backend)`, () => {
  test('fixtures present', () => assert.equal(cases.length, 14));
  for (const c of cases) test(c.name, () => replay(c));
  for (const c of cases.filter((x) => x.meta.subsequent)) {
    test(`${c.name}: isCausal equals the subsequent mask`, () => replay(c, true));
  }
});

describe('Transformer layers: float64 gradients', () => {
  test('encoder layer, post-norm, float additive mask and key padding: input, mask and every parameter', () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, batchFirst: true, dtype: 'float64', generator: new Generator(1) });
    for (const p of layer.parameters()) if (p.ndim === 1) nn.init.normal_(p, 0.5, 0.5, new Generator(2));
    const x = randd([2, 3, 4], 3), mask = randd([3, 3], 4);
    const pad = tensor([[0, 0, 1], [0, 0, 0]], { dtype: 'int32' });
    gradcheck((a, b) => layer.forward(a, { srcMask: b, srcKeyPaddingMask: pad }), [x, mask, ...layer.parameters()], { name: 'encoder layer' });
  });

  test('decoder layer, norm first, gelu, causal, bool memory mask: inputs and every parameter', () => {
    const layer = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: 'gelu', dtype: 'float64', generator: new Generator(5) });
    for (const p of layer.parameters()) if (p.ndim === 1) nn.init.normal_(p, 0.5, 0.5, new Generator(6));
    const tgt = randd([3, 2, 4], 7), mem = randd([4, 2, 4], 8);
    const memMask = tensor([[0, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]], { dtype: 'int32' });
    gradcheck((a, b) => layer.forward(a, b, { tgtIsCausal: true, memoryMask: memMask }), [tgt, mem, ...layer.parameters()], { name: 'decoder layer' });
  });
});

describe('incremental decoding with a key/value cache', () => {
  for (const normFirst of [false, true]) {
    test(`TransformerDecoder.step equals full recomputation to 1e-5 (${normFirst ? 'norm first' : 'post-norm'}, one and several positions per step)`, () => {
      const layer = new nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, normFirst, generator: new Generator(11) });
      const dec = new nn.TransformerDecoder(layer, 3, new nn.LayerNorm(16)).eval();
      for (const p of dec.parameters()) if (p.ndim === 1) nn.init.normal_(p, 0.2, 0.3, new Generator(12));
      const g = new Generator(13);
      const tgt = randn([3, 7, 16], { generator: g }), mem = randn([3, 5, 16], { generator: g });
      const pad = tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], { dtype: 'int32' });
      noGrad(() => {
        const full = dec.forward(tgt, mem, { tgtIsCausal: true, memoryKeyPaddingMask: pad }); // (3, 7, 16)
        for (const chunks of [[1, 1, 1, 1, 1, 1, 1], [3, 1, 2, 1], [7]]) {
          const state = dec.initState();
          const outs: Tensor[] = [];
          let t = 0;
          for (const n of chunks) {
            outs.push(dec.step(tgt.narrow(1, t, n), mem, state, pad));
            t += n;
          }
          assert.equal(state.length, 7);
          assertClose(cat(outs, 1), full, `chunks ${chunks}`, 0, 1e-5);
        }
      });
    });
  }

  test('DecoderState.select reorders every cache (beam search)', () => {
    const layer = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 8, batchFirst: true, generator: new Generator(3) });
    const dec = new nn.TransformerDecoder(layer, 2).eval();
    const g = new Generator(4);
    const tgt = randn([2, 3, 8], { generator: g }), mem = randn([2, 4, 8], { generator: g });
    noGrad(() => {
      const s = dec.initState();
      dec.step(tgt.narrow(1, 0, 2), mem, s);
      const idx = tensor([1, 1, 0], { dtype: 'int32' });
      s.select(idx);
      const got = dec.step(F.indexSelect(tgt.narrow(1, 2, 1), 0, idx), F.indexSelect(mem, 0, idx), s);
      const full = dec.forward(F.indexSelect(tgt, 0, idx), F.indexSelect(mem, 0, idx), { tgtIsCausal: true }).narrow(1, 2, 1);
      assertClose(got, full, 'after select', 0, 1e-5);
    });
  });
});

describe('positional encodings', () => {
  test('sinusoidal table: PE(p, 2i) = sin(p/10000^(2i/d)), PE(p, 2i+1) = cos(…), added to the input', () => {
    const pe = new nn.PositionalEncoding(6, { maxLen: 10, batchFirst: true });
    const x = zeros([1, 10, 6]);
    const y = pe.forward(x);
    for (let p = 0; p < 10; p++) {
      for (let i = 0; i < 3; i++) {
        const a = p / 10000 ** (2 * i / 6);
        assert.ok(Math.abs(y.data[p * 6 + 2 * i] - Math.sin(a)) < 1e-6, `sin at ${p}, ${i}`);
        assert.ok(Math.abs(y.data[p * 6 + 2 * i + 1] - Math.cos(a)) < 1e-6, `cos at ${p}, ${i}`);
      }
    }
    assert.deepEqual([...pe.stateDict().keys()], [], 'the table is not saved');
    const seqFirst = new nn.PositionalEncoding(6, { maxLen: 10 }).forward(zeros([4, 2, 6]), 3);
    assert.equal(seqFirst.data[6], y.data[3 * 6], 'seq-first, batch 1 gets position 3 at offset 3');
  });

  test('learned positions: a trainable (maxLen, d) table; offset picks rows', () => {
    const lp = new nn.LearnedPositionalEncoding(4, { maxLen: 5, batchFirst: true, generator: new Generator(1) });
    assert.deepEqual([...lp.stateDict().keys()], ['weight']);
    const x = zeros([2, 2, 4], { requiresGrad: true });
    const y = lp.forward(x, 3);
    assert.deepEqual(Array.from(y.data.subarray(0, 8)), Array.from(lp.weight.data.subarray(12, 20)));
    y.sum().backward();
    assert.deepEqual(Array.from(lp.weight.grad!.data), [...Array(12).fill(0), ...Array(8).fill(2)]);
  });

  test('a sequence longer than the table is a clear error', () => {
    assert.throws(() => new nn.PositionalEncoding(4, { maxLen: 5, batchFirst: true }).forward(zeros([1, 6, 4])),
      /PositionalEncoding: positions 0\.\.5 do not fit the table of 5 positions \(a sequence of 6 is too long\)/);
    assert.throws(() => new nn.LearnedPositionalEncoding(4, { maxLen: 5 }).forward(zeros([3, 1, 4]), 3),
      /LearnedPositionalEncoding: positions 3\.\.5 do not fit the table of 5 positions/);
    assert.throws(() => new nn.PositionalEncoding(4).forward(zeros([2, 3, 5])), /PositionalEncoding: expected input \(T, B, 4\), got \[2, 3, 5\]/);
  });
});

describe('Transformer modules: construction and errors', () => {
  test('stacks clone the layer: equal initial weights, separate storage (torch deepcopies)', () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8 });
    const enc = new nn.TransformerEncoder(layer, 2);
    const [a, b] = [enc.layers.get(0), enc.layers.get(1)];
    assert.deepEqual(a.linear1.weight.toArray(), layer.linear1.weight.toArray());
    assert.deepEqual(b.linear1.weight.toArray(), layer.linear1.weight.toArray());
    assert.notEqual(a.linear1.weight.data, b.linear1.weight.data);
  });

  test('nn.Transformer: xavier-uniform matrices, LayerNorms at 1/0, the state dict of torch', () => {
    const t = new nn.Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 32, generator: new Generator(3) });
    const keys = [...t.stateDict().keys()];
    assert.equal(keys[0], 'encoder.layers.0.self_attn.in_proj_weight');
    assert.ok(keys.includes('decoder.layers.0.multihead_attn.out_proj.weight') && keys.includes('decoder.norm.bias') && keys.includes('encoder.norm.weight'));
    const w = (t.encoder as nn.TransformerEncoder).layers.get(0).linear1.weight;
    const bound = Math.sqrt(6 / (16 + 32));
    assert.ok(w.toArray().every((v) => Math.abs(v) <= bound) && w.toArray().some((v) => Math.abs(v) > bound / 2), 'xavier bound');
  });

  test('dropout in training mode draws from the given generator (same seed, same output)', () => {
    const mk = () => {
      const l = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0.3, generator: new Generator(1), dropoutGenerator: new Generator(9) });
      return l.forward(randn([3, 2, 8], { generator: new Generator(2) })).toArray();
    };
    const a = mk();
    assert.deepEqual(mk(), a);
    const ev = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0.3, generator: new Generator(1) }).eval();
    assert.notDeepEqual(ev.forward(randn([3, 2, 8], { generator: new Generator(2) })).toArray(), a, 'eval mode has no dropout');
  });

  test('bad arguments name the layer and the problem', () => {
    assert.throws(() => new nn.TransformerEncoderLayer(8, 3), /MultiheadAttention: embedDim 8 must be divisible by numHeads 3/);
    assert.throws(() => new nn.TransformerEncoderLayer(8, 2, { activation: 'tanh' as any }), /TransformerEncoderLayer: activation should be 'relu', 'gelu' or a function, got "tanh"/);
    assert.throws(() => new nn.TransformerDecoderLayer(8, 2, { dropout: 2 }), /TransformerDecoderLayer: dropout must be in \[0, 1\], got 2/);
    assert.throws(() => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2), 0), /TransformerEncoder: numLayers must be a positive integer, got 0/);
    const t = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 });
    assert.throws(() => t.forward(zeros([3, 2, 8]), zeros([4, 3, 8])), /Transformer: the batch sizes of src \[3, 2, 8\] and tgt \[4, 3, 8\] differ/);
    assert.throws(() => t.forward(zeros([3, 2, 8]), zeros([4, 2, 6])), /Transformer: the feature size of src \[3, 2, 8\] and tgt \[4, 2, 6\] must be dModel 8/);
    const l = new nn.TransformerEncoderLayer(8, 2);
    assert.throws(() => l.forward(zeros([3, 2, 8]), { srcKeyPaddingMask: zeros([3, 3]) }), /MultiheadAttention: keyPaddingMask must be \[2, 3\], got \[3, 3\]/);
    assert.throws(() => l.forward(zeros([3, 2, 8]), { srcMask: zeros([2, 2]) }), /MultiheadAttention: attnMask must be \(3, 3\) or \(4, 3, 3\), got \[2, 2\]/);
  });
});

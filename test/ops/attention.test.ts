// F.scaledDotProductAttention: forward and gradients against PyTorch's reference math (fixtures), float64 gradchecks
// through every input and mask kind, dropout, the fused kernels native vs TypeScript, nn.MultiheadAttention's
// packed self-attention path against its general path, and bad inputs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, Tensor, nn, noGrad, randn, tensor, zeros } from '../../src/index.ts';
import { scaledDotProductAttention as sdpa, type ScaledDotProductAttentionOptions } from '../../src/ops/attention.ts';
import { jsBackend as js } from '../../src/backend/js/index.ts';
import { loadNative } from '../../src/backend/native.ts';
import type { AttentionSoftmaxParams } from '../../src/backend/kernels/attention.ts';
import { assertClose, backendName, gradcheck, loadFixtures, randd, replay } from '../helpers.ts';

describe(`scaledDotProductAttention matches PyTorch (${backendName} backend)`, () => {
  const cases = loadFixtures('attention');
  test('fixtures present', () => assert.equal(cases.length, 9));
  for (const c of cases) {
    test(c.name, () => replay(c, (q, k, v, ...masks) => {
      const opts: ScaledDotProductAttentionOptions = { isCausal: c.meta.isCausal, scale: c.meta.scale ?? undefined };
      (c.meta.masks as string[]).forEach((name, i) => { (opts as any)[name] = masks[i]; });
      for (const i of c.meta.negInf ?? []) masks[0].data[i] = -Infinity; // JSON cannot hold −∞
      return F.scaledDotProductAttention(q, k, v, opts);
    }));
  }
});

describe('scaledDotProductAttention gradients (float64)', () => {
  test('q, k, v and a float mask, 4-D, L != S', () => {
    const q = randd([2, 2, 3, 4], 1), k = randd([2, 2, 5, 4], 2), v = randd([2, 2, 5, 3], 3), m = randd([2, 1, 3, 5], 4);
    gradcheck((a, b, c, d) => sdpa(a, b, c, { attnMask: d }), [q, k, v, m], { name: 'sdpa float mask' });
  });

  test('causal, boolean mask, key padding and a custom scale, 3-D', () => {
    const q = randd([2, 4, 3], 5), k = randd([2, 4, 3], 6), v = randd([2, 4, 2], 7);
    const keep = tensor([[1, 1, 0, 1], [1, 0, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]], { dtype: 'int32' });
    const pad = tensor([[0, 0, 0, 1], [0, 1, 0, 0]]);
    gradcheck((a, b, c) => sdpa(a, b, c, { isCausal: true, attnMask: keep, keyPaddingMask: pad, scale: 0.7 }), [q, k, v], { name: 'sdpa masks' });
  });

  test('with dropout (the same seeded draws every call)', () => {
    const q = randd([1, 2, 3, 4], 8), k = randd([1, 2, 4, 4], 9), v = randd([1, 2, 4, 2], 10);
    gradcheck((a, b, c) => sdpa(a, b, c, { dropoutP: 0.4, generator: new Generator(3) }), [q, k, v], { name: 'sdpa dropout' });
  });

  test('one tensor as q, k and v (gradients of the three uses add up)', () => {
    const x = randd([2, 3, 4], 11);
    gradcheck((a) => sdpa(a, a, a, { isCausal: true }), [x], { name: 'sdpa self' });
  });
});

describe('scaledDotProductAttention behaviour', () => {
  test('equals softmax(q·kᵀ·scale)·v built from ops', () => {
    const q = randn([2, 3, 5, 4]), k = randn([2, 3, 6, 4]), v = randn([2, 3, 6, 2]);
    const ref = F.softmax(q.matmul(F.transpose(k, -2, -1)).mul(0.5), -1).matmul(v);
    assertClose(sdpa(q, k, v), ref, 'default scale 1/√4', 1e-5, 1e-6);
  });

  test('dropout: keep factors drawn like F.dropout, from the given generator', () => {
    const q = randn([1, 2, 3, 4]), k = randn([1, 2, 5, 4]), v = randn([1, 2, 5, 3]);
    const p = 0.5;
    const out = sdpa(q, k, v, { dropoutP: p, generator: new Generator(7) });
    const w = F.softmax(q.matmul(F.transpose(k, -2, -1)).mul(0.5), -1);
    const g = new Generator(7);
    const keep = new Float32Array(w.size);
    for (let i = 0; i < keep.length; i++) keep[i] = g.nextU32() >= p * 4294967296 ? 1 / (1 - p) : 0;
    assert.ok(keep.some((x) => x === 0) && keep.some((x) => x !== 0));
    assertClose(out, w.mul(tensor(keep, { shape: w.shape })).matmul(v), 'dropped weights · v', 1e-5, 1e-6);
    assert.deepEqual(sdpa(q, k, v, { dropoutP: p, generator: new Generator(7) }).toArray(), out.toArray(), 'same seed, same result');
    assert.ok(sdpa(q, k, v, { dropoutP: 1 }).toArray().every((x) => x === 0), 'p = 1 drops every weight');
  });

  test('a fully masked row gets uniform weights (torch gives NaN)', () => {
    const q = randn([2, 3]), k = randn([4, 3]), v = randn([4, 2]);
    const keep = tensor([[1, 0, 1, 0], [0, 0, 0, 0]], { dtype: 'int32' });
    const out = sdpa(q, k, v, { attnMask: keep }).toArray();
    const vm = v.toArray();
    for (let c = 0; c < 2; c++) assert.ok(Math.abs(out[2 + c] - (vm[c] + vm[2 + c] + vm[4 + c] + vm[6 + c]) / 4) < 1e-6, 'mean of v');
    assert.ok(Number.isFinite(out[0]) && Number.isFinite(out[1]));
  });

  test('no gradient wanted: no graph', () => {
    const out = noGrad(() => sdpa(randn([2, 3, 4], { requiresGrad: true }), randn([2, 3, 4]), randn([2, 3, 4])));
    assert.equal(out.gradFn, null);
  });
});

describe('fused attention kernels: native vs TypeScript', () => {
  const loaded = loadNative();
  const nat = typeof loaded === 'string' ? null : loaded;
  const skip = nat ? false : `native backend unavailable: ${loaded as string}`;
  const gen = new Generator(5);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.normal() * 3);
  const agree = (actual: Float32Array, expected: Float32Array, what: string) => {
    for (let i = 0; i < expected.length; i++) {
      if (!(Math.abs(actual[i] - expected[i]) <= 1e-6 + 1e-5 * Math.abs(expected[i]))) assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  };

  test('attentionSoftmax with bias, both mask kinds, causal, threaded sizes', { skip }, () => {
    for (const [d0, d1, L, S] of [[1, 1, 1, 1], [2, 3, 5, 7], [2, 4, 64, 64], [1, 2, 150, 130]]) {
      const n = d0 * d1 * L * S;
      const s = rand(n), bias = rand(d1 * L * S);
      const mask = Int32Array.from({ length: L * S }, () => (gen.uniform(0, 1) < 0.3 ? 0 : 1));
      const pad = Float32Array.from({ length: d0 * S }, () => (gen.uniform(0, 1) < 0.2 ? 1 : 0));
      const variants: [string, Float32Array | null, Int32Array | null, Float32Array | null, boolean][] = [
        ['plain', null, null, null, false], ['bias', bias, null, null, false], ['causal', null, null, null, true],
        ['everything', bias, mask, pad, true],
      ];
      for (const [what, b, m, pd, causal] of variants) {
        const q: AttentionSoftmaxParams = {
          d0, d1, L, S, scale: 0.37, causal, maskKeepsNonZero: true,
          biasStrides: [0, L * S, S, 1], maskStrides: [0, 0, S, 1], paddingStrides: [S, 0, 0, 1],
        };
        const pj = new Float32Array(n), pn = new Float32Array(n);
        js.attentionSoftmax(s, pj, b, m, pd, q);
        const sn = s.slice(); // in place on the native side
        nat!.attentionSoftmax(sn, sn, b, m, pd, q);
        pn.set(sn);
        agree(pn, pj, `${what} ${[d0, d1, L, S]}`);
      }
    }
  });

  test('attentionSoftmaxBackward with and without keep factors', { skip }, () => {
    for (const [rows, S] of [[1, 1], [7, 13], [600, 64]]) {
      const n = rows * S;
      const p = Float32Array.from({ length: n }, () => gen.uniform(0, 1)), gp = rand(n);
      const keep = Float32Array.from({ length: n }, () => (gen.uniform(0, 1) < 0.5 ? 0 : 2));
      for (const k of [null, keep]) {
        const gj = new Float32Array(n), gn = gp.slice();
        js.attentionSoftmaxBackward(p, gp, k, gj, rows, S, 0.25);
        nat!.attentionSoftmaxBackward(p, gn, k, gn, rows, S, 0.25); // in place
        agree(gn, gj, `${rows}×${S} keep ${!!k}`);
      }
    }
  });

  test('native argument checks', { skip }, () => {
    const q: AttentionSoftmaxParams = { d0: 1, d1: 1, L: 2, S: 3, scale: 1, causal: false, maskKeepsNonZero: true,
      biasStrides: [0, 0, 3, 1], maskStrides: [0, 0, 0, 0], paddingStrides: [0, 0, 0, 0] };
    assert.throws(() => nat!.attentionSoftmax(new Float32Array(6), new Float32Array(6), new Float32Array(5), null, null, q), /attentionSoftmax: argument 2 has 5 elements, needs 6/);
  });
});

describe('MultiheadAttention on the fused op', () => {
  test('packed self-attention equals the key === value and general paths (outputs, weights, every gradient)', () => {
    for (const batchFirst of [false, true]) {
      const m = new nn.MultiheadAttention(8, 2, { batchFirst, generator: new Generator(4) });
      nn.init.normal_(m.in_proj_bias!, 0, 0.5);
      const x = randn([3, 4, 8]);
      const [B, L] = batchFirst ? [3, 4] : [4, 3];
      const pad = tensor(Array.from({ length: B }, (_, b) => Array.from({ length: L }, (_, j) => (j > 0 && j === b % L ? 1 : 0))));
      // distinct[i] says which of the three arguments are separate copies of x
      const run = (q: Tensor, k: Tensor, v: Tensor) => {
        m.zeroGrad();
        const [out, w] = m.forward(q, k, v, { keyPaddingMask: pad, isCausal: true, averageAttnWeights: false });
        out.mul(out).sum().add(w!.mul(w!).sum()).backward();
        return [out, w!, ...m.parameters().map((p) => p.grad!)];
      };
      const leaf = () => x.detach().requiresGrad_();
      const x1 = leaf(), packed = run(x1, x1, x1);
      const q2 = leaf(), kv2 = leaf(), kvShared = run(q2, kv2, kv2);
      const q3 = leaf(), k3 = leaf(), v3 = leaf(), general = run(q3, k3, v3);
      const tag = `batchFirst ${batchFirst}`;
      packed.forEach((t, i) => assertClose(kvShared[i], t, `${tag}: key === value path, result ${i}`, 1e-4, 1e-5));
      packed.forEach((t, i) => assertClose(general[i], t, `${tag}: general path, result ${i}`, 1e-4, 1e-5));
      assertClose(q2.grad!.add(kv2.grad!), x1.grad!, `${tag}: input gradient, key === value path`, 1e-4, 1e-5);
      assertClose(q3.grad!.add(k3.grad!).add(v3.grad!), x1.grad!, `${tag}: input gradient, general path`, 1e-4, 1e-5);
    }
  });

  test('an attnBias of another dtype than the query is rejected before any work', () => {
    const m = new nn.MultiheadAttention(4, 2);
    const x = zeros([3, 2, 4]);
    assert.throws(() => m.forward(x, x, x, { attnBias: zeros([3, 3], { dtype: 'float64' }) }), /MultiheadAttention: attnBias must be float32 like the query, got float64/);
  });
});

describe('scaledDotProductAttention bad inputs', () => {
  const q = zeros([2, 3, 4, 5]), k = zeros([2, 3, 6, 5]), v = zeros([2, 3, 6, 7]);
  test('shapes and dtypes name the op and the shapes', () => {
    assert.throws(() => sdpa(zeros([2, 3, 4, 6]), k, v), /scaledDotProductAttention: q and k must have the same last dimension, got q \[2, 3, 4, 6\], k \[2, 3, 6, 5\], v \[2, 3, 6, 7\]/);
    assert.throws(() => sdpa(q, k, zeros([2, 3, 5, 7])), /scaledDotProductAttention: k and v must have the same length \(dim −2\), got q \[2, 3, 4, 5\], k \[2, 3, 6, 5\], v \[2, 3, 5, 7\]/);
    assert.throws(() => sdpa(q, zeros([2, 2, 6, 5]), v), /scaledDotProductAttention: leading \(batch\) dimensions differ: q \[2, 3, 4, 5\], k \[2, 2, 6, 5\]/);
    assert.throws(() => sdpa(zeros([5]), zeros([5]), zeros([5])), /scaledDotProductAttention: q, k and v must all be 2-D to 4-D \(…, L, E\) with the same rank, got q \[5\]/);
    assert.throws(() => sdpa(zeros([1, 1, 1, 2, 5]), zeros([1, 1, 1, 6, 5]), zeros([1, 1, 1, 6, 7])), /must all be 2-D to 4-D/);
    assert.throws(() => sdpa(q, zeros([3, 6, 5]), zeros([3, 6, 7])), /with the same rank, got q \[2, 3, 4, 5\], k \[3, 6, 5\]/);
    assert.throws(() => sdpa(zeros([2, 3, 4, 5], { dtype: 'int32' }), k, v), /scaledDotProductAttention: q, k and v must be float tensors, got int32 \(q \[2, 3, 4, 5\]/);
    assert.throws(() => sdpa(zeros([2, 3, 4, 5], { dtype: 'float64' }), k, v), /scaledDotProductAttention: dtype mismatch, float64 q, float32 k, float32 v \(q \[2, 3, 4, 5\]/);
  });
  test('masks and options', () => {
    assert.throws(() => sdpa(q, k, v, { attnMask: zeros([4, 5]) }), /scaledDotProductAttention: attnMask \[4, 5\] does not broadcast to \[2, 3, 4, 6\] \(q \[2, 3, 4, 5\]/);
    assert.throws(() => sdpa(q, k, v, { attnMask: zeros([1, 2, 3, 4, 6]) }), /attnMask \[1, 2, 3, 4, 6\] does not broadcast to \[2, 3, 4, 6\]/);
    assert.throws(() => sdpa(q, k, v, { attnMask: zeros([4, 6], { dtype: 'float64' }) }), /scaledDotProductAttention: a float attnMask must be float32 like q, got float64 \(q \[2, 3, 4, 5\]/);
    assert.throws(() => sdpa(q, k, v, { keyPaddingMask: zeros([3, 6]) }), /scaledDotProductAttention: keyPaddingMask must be \[2, 6\], got \[3, 6\] \(q \[2, 3, 4, 5\]/);
    assert.throws(() => sdpa(q, k, v, { keyPaddingMask: zeros([6]) }), /keyPaddingMask must be \[2, 6\], got \[6\]/);
    assert.throws(() => sdpa(q, k, v, { dropoutP: 1.5 }), /scaledDotProductAttention: dropoutP must be in \[0, 1\], got 1.5 \(q \[2, 3, 4, 5\]/);
    assert.throws(() => sdpa(q, k, v, { scale: Infinity }), /scaledDotProductAttention: scale must be a finite number, got Infinity/);
  });
});

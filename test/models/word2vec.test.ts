// Word2Vec (src/models/word2vec.ts): the C tool's tables against their formulas and a hand-built tree, learning on a
// corpus with planted clusters for both objectives and both losses, determinism, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Word2Vec, buildVocabulary, encodeCorpus, keepThresholds, noiseDistribution, noiseTable, huffmanTree, skipgramConfig, cbowConfig,
  type Word2VecConfig,
} from '../../src/models/word2vec.ts';
import { WordVectors } from '../../src/models/word-vectors.ts';
import { tokenizeText } from '../../src/data/word-corpus.ts';
import { Generator } from '../../src/random.ts';
import { tensor } from '../../src/tensor.ts';

test('subsampling keep-probabilities follow (√(f/s) + 1)·s/f, capped at 1', () => {
  const counts = new Float64Array([500_000, 100_000, 20_000, 1000, 10, 1]);
  const total = counts.reduce((a, b) => a + b, 0);
  for (const s of [1e-3, 1e-4, 1e-5]) {
    const keep = keepThresholds(counts, s);
    counts.forEach((c, w) => {
      const f = c / total;
      const p = Math.min(1, (Math.sqrt(f / s) + 1) * (s / f));
      if (p >= 1) assert.equal(keep[w], 0xffffffff, `s ${s} word ${w} always kept`);
      else assert.ok(Math.abs((keep[w] + 1) / 2 ** 32 - p) < 1e-9, `s ${s} word ${w}: ${keep[w] / 2 ** 32} vs ${p}`);
    });
  }
  // the most frequent word at s = 1e-4: f = 500000/621011
  const f0 = 500_000 / total;
  assert.ok(Math.abs(keepThresholds(counts, 1e-4)[0] / 2 ** 32 - (Math.sqrt(f0 / 1e-4) + 1) * 1e-4 / f0) < 1e-9);
  assert.ok(keepThresholds(counts, 0).every((k) => k === 0xffffffff), 'sample 0 keeps everything');
});

test('the noise table gives P_n(w) ∝ count^0.75: exactly in its columns, and in 2·10^6 draws', () => {
  const counts = new Float64Array([1000, 400, 400, 90, 30, 7, 5, 5, 1]);
  const p = noiseDistribution(counts);
  const z = Array.from(counts, (c) => c ** 0.75).reduce((a, b) => a + b, 0);
  p.forEach((v, i) => assert.ok(Math.abs(v - counts[i] ** 0.75 / z) < 1e-15));
  const { prob, alias } = noiseTable(counts);
  const V = counts.length;
  // column i gives i with probability prob[i]/2^32 and alias[i] otherwise; each column has weight 1/V
  const implied = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const keepI = prob[i] === 0xffffffff ? 1 : prob[i] / 2 ** 32;
    implied[i] += keepI / V;
    implied[alias[i]] += (1 - keepI) / V;
  }
  implied.forEach((v, i) => assert.ok(Math.abs(v - p[i]) < 1e-9, `word ${i}: ${v} vs ${p[i]}`));
  // draws as the kernels make them: one 32-bit r, column ⌊r·V/2^32⌋, coin (r·V mod 2^32) < prob
  const gen = new Generator(5);
  const n = 2_000_000, hits = new Float64Array(V);
  for (let k = 0; k < n; k++) {
    const x = gen.nextU32() * V;
    const i = Math.floor(x / 2 ** 32), u = x - i * 2 ** 32;
    hits[u < prob[i] ? i : alias[i]]++;
  }
  // within 5 standard deviations of the binomial count
  hits.forEach((h, i) => {
    const sd = Math.sqrt(n * p[i] * (1 - p[i]));
    assert.ok(Math.abs(h - n * p[i]) < 5 * sd + 1, `word ${i}: ${h} draws, expected ${n * p[i]}`);
  });
});

test('Huffman codes and points on a hand-checked vocabulary (counts 5, 4, 3, 2, 1)', () => {
  // merges (the C tool's order, ties to the inner node): 1+2 → n0 (3), n0+3 → n1 (6), 4+5 → n2 (9), n1+n2 → n3 (15, root);
  // the second of each pair gets bit 1
  const { codeStart, codes, points } = huffmanTree(new Float64Array([5, 4, 3, 2, 1]));
  const path = (w: number) => ({
    codes: Array.from(codes.subarray(codeStart[w], codeStart[w + 1])),
    points: Array.from(points.subarray(codeStart[w], codeStart[w + 1])),
  });
  assert.deepEqual(path(0), { codes: [1, 1], points: [3, 2] });
  assert.deepEqual(path(1), { codes: [1, 0], points: [3, 2] });
  assert.deepEqual(path(2), { codes: [0, 1], points: [3, 1] });
  assert.deepEqual(path(3), { codes: [0, 0, 1], points: [3, 1, 0] });
  assert.deepEqual(path(4), { codes: [0, 0, 0], points: [3, 1, 0] });
  // optimal: Σ count·length = 3 + 6 + 9 + 15
  const cost = [5, 4, 3, 2, 1].reduce((s, c, w) => s + c * (codeStart[w + 1] - codeStart[w]), 0);
  assert.equal(cost, 33);
  assert.throws(() => huffmanTree(new Float64Array([1, 2])), /sorted in decreasing order/);
});

test('hierarchical softmax is a distribution: Σ_w Π_k σ((1 − 2c_k)·u′_{n_k}·h) = 1 for any h', () => {
  const counts = new Float64Array([50, 31, 20, 20, 9, 8, 3, 2, 2, 1, 1]);
  const { codeStart, codes, points } = huffmanTree(counts);
  const V = counts.length, D = 4, gen = new Generator(3);
  const node = Array.from({ length: V - 1 }, () => Array.from({ length: D }, () => gen.normal()));
  const h = Array.from({ length: D }, () => gen.normal());
  const sigma = (x: number) => 1 / (1 + Math.exp(-x));
  let sum = 0;
  for (let w = 0; w < V; w++) {
    let p = 1;
    for (let k = codeStart[w]; k < codeStart[w + 1]; k++) {
      const f = node[points[k]].reduce((s, u, c) => s + u * h[c], 0);
      p *= sigma((1 - 2 * codes[k]) * f);
    }
    sum += p;
  }
  assert.ok(Math.abs(sum - 1) < 1e-12, `Σ p = ${sum}`);
});

test('the vocabulary: min-count, sorted by count (ties by first appearance); the encoded corpus drops the rest', () => {
  const c = tokenizeText('b a c a b a d e\nd d x\n');
  const v = buildVocabulary(c, 2);
  assert.deepEqual(v.words, ['a', 'd', 'b']);
  assert.deepEqual(Array.from(v.counts), [3, 3, 2]);
  const enc = encodeCorpus(c, v);
  assert.deepEqual(Array.from(enc.ids), [2, 0, 0, 2, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(enc.sentenceStarts), [0, 6, 8]);
});

/** K clusters of M words; each sentence uses the words of one cluster only. */
function clusterCorpus(K: number, M: number, sentences: number, length: number, seed: number): string {
  const gen = new Generator(seed);
  const lines: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const k = gen.randint(0, K);
    lines.push(Array.from({ length }, () => `c${k}w${gen.randint(0, M)}`).join(' '));
  }
  return lines.join('\n') + '\n';
}

/** Fraction of words whose n nearest neighbours all lie in their own cluster. */
function clusterPurity(m: Word2Vec, n: number): number {
  const wv = new WordVectors(m.vocab.words, m.inputVectors.data as Float32Array, m.config.dim);
  let pure = 0;
  for (const w of wv.words) {
    const cluster = w.split('w')[0];
    if (wv.mostSimilar([w], [], n).every((x) => x.word.startsWith(cluster + 'w'))) pure++;
  }
  return pure / wv.size;
}

const small: Word2VecConfig = { ...skipgramConfig, dim: 16, window: 3, negative: 5, sample: 0, minCount: 1, epochs: 4, seed: 7 };

for (const arch of ['skipgram', 'cbow'] as const) {
  for (const loss of ['negative sampling', 'hierarchical softmax'] as const) {
    test(`planted clusters: ${arch} with ${loss} puts each word's nearest neighbours in its cluster`, () => {
      const corpus = tokenizeText(clusterCorpus(4, 10, 400, 20, 11));
      const cfg: Word2VecConfig = {
        ...small, arch, lr: arch === 'cbow' ? 0.05 : 0.025,
        negative: loss === 'negative sampling' ? 5 : 0, hs: loss === 'hierarchical softmax',
      };
      const m = Word2Vec.fromCorpus(corpus, cfg);
      const data = m.encode(corpus);
      const before = clusterPurity(m, 5);
      let last = { words: 0, kept: 0, loss: 0, terms: 0 };
      const losses: number[] = [];
      for (let e = 0; e < cfg.epochs; e++) {
        last = m.trainSentences(data, e, 0, data.sentenceStarts.length - 1, 1);
        losses.push(last.loss / last.terms);
        assert.equal(last.words, 8000);
        assert.equal(last.kept, 8000, 'sample 0 keeps every word');
      }
      const after = clusterPurity(m, 5);
      assert.ok(before < 0.5, `random vectors should not be clustered yet (${before})`);
      assert.ok(after >= 0.95, `after training ${after} of the words have all 5 neighbours in their cluster`);
      assert.ok(losses[losses.length - 1] < losses[0], `loss fell: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    });
  }
}

test('one thread is deterministic for a seed; another seed gives other vectors', () => {
  const corpus = tokenizeText(clusterCorpus(3, 8, 60, 15, 2));
  const run = (seed: number, arch: 'skipgram' | 'cbow') => {
    const m = Word2Vec.fromCorpus(corpus, { ...small, arch, seed, sample: 1e-2 });
    const data = m.encode(corpus);
    for (let e = 0; e < 2; e++) m.trainSentences(data, e, 0, data.sentenceStarts.length - 1, 1);
    return Array.from(m.inputVectors.data).concat(Array.from(m.outputVectors!.data));
  };
  for (const arch of ['skipgram', 'cbow'] as const) {
    assert.deepEqual(run(3, arch), run(3, arch), `${arch}: same seed, same vectors`);
    assert.notDeepEqual(run(3, arch), run(4, arch), `${arch}: another seed`);
  }
  // training in chunks of sentences is the same as one call (the random streams are per sentence)
  const m1 = Word2Vec.fromCorpus(corpus, small), m2 = Word2Vec.fromCorpus(corpus, small);
  const data = m1.encode(corpus), S = data.sentenceStarts.length - 1;
  m1.trainSentences(data, 0, 0, S, 1);
  for (let s = 0; s < S; s += 7) m2.trainSentences(data, 0, s, Math.min(S, s + 7), 1);
  assert.deepEqual(Array.from(m1.inputVectors.data), Array.from(m2.inputVectors.data));
});

test('the model: initial vectors in ±0.5/D, zero output vectors, forward looks vectors up', () => {
  const corpus = tokenizeText('a b c a b a\n');
  const m = Word2Vec.fromCorpus(corpus, { ...small, minCount: 1, hs: true });
  assert.deepEqual(m.inputVectors.shape, [3, 16]);
  assert.deepEqual(m.nodeVectors!.shape, [2, 16]);
  assert.ok(Array.from(m.inputVectors.data).every((x) => Math.abs(x) <= 0.5 / 16));
  assert.ok(Array.from(m.outputVectors!.data).every((x) => x === 0));
  assert.equal(m.inputVectors.requiresGrad, false);
  const y = m.forward(tensor([2, 0], { dtype: 'int32' }));
  assert.deepEqual(y.shape, [2, 16]);
  assert.deepEqual(Array.from(y.data.subarray(0, 16)), Array.from(m.inputVectors.data.subarray(32, 48)));
  // the two configs
  assert.deepEqual([skipgramConfig.dim, skipgramConfig.window, skipgramConfig.negative, skipgramConfig.sample, skipgramConfig.epochs, skipgramConfig.minCount, skipgramConfig.lr], [100, 5, 5, 1e-4, 5, 5, 0.025]);
  assert.deepEqual([cbowConfig.dim, cbowConfig.window, cbowConfig.negative, cbowConfig.sample, cbowConfig.epochs, cbowConfig.minCount, cbowConfig.lr], [200, 8, 25, 1e-4, 15, 5, 0.05]);
});

test('bad input: an empty corpus, too few frequent words, a corpus no longer than the window, bad settings', () => {
  assert.throws(() => Word2Vec.fromCorpus(tokenizeText('  \n', { source: 'empty.txt' }), small), /empty\.txt: the corpus is empty/);
  assert.throws(() => Word2Vec.fromCorpus(tokenizeText('a b c d'), { ...small, minCount: 2 }), /only 0 distinct words occur at least minCount = 2 times/);
  const tiny = tokenizeText('a b a b', { source: 'tiny.txt' });
  const m = Word2Vec.fromCorpus(tiny, { ...small, window: 5 });
  assert.throws(() => m.encode(tiny), /tiny\.txt: the corpus has 4 words in the vocabulary, no more than the window \(5\)/);
  assert.throws(() => Word2Vec.fromCorpus(tiny, { ...small, negative: 0, hs: false }), /one of negative sampling or hierarchical softmax/);
  assert.throws(() => Word2Vec.fromCorpus(tiny, { ...small, dim: 0 }), /dim must be a positive integer/);
  assert.throws(() => Word2Vec.fromCorpus(tiny, { ...small, arch: 'glove' as 'cbow' }), /arch must be 'skipgram' or 'cbow'/);
  const data = Word2Vec.fromCorpus(tiny, { ...small, window: 1 }).encode(tiny);
  const m1 = Word2Vec.fromCorpus(tiny, { ...small, window: 1 });
  assert.throws(() => m1.trainSentences(data, 0, 0, 5), /sentences \[0, 5\) are outside the corpus's 1 sentences/);
  assert.throws(() => m1.trainSentences(data, 9, 0, 1), /epoch 9 is outside \[0, 4\)/);
  const wrong = { ids: Int32Array.from([0, 1, 7]), sentenceStarts: Int32Array.from([0, 3]) };
  assert.throws(() => m1.trainSentences(wrong, 0, 0, 1), /word index 7 at position 2 is outside the 2-word vocabulary/);
});

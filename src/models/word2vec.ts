// Model 5 — Word2Vec (Mikolov et al. 2013, "Efficient Estimation of Word Representations in Vector Space" and
// "Distributed Representations of Words and Phrases and their Compositionality"), as the original C tool trains it.
// Each word w has an input vector v_w (the word vector people use) and output vectors u that score targets.
//
// Skip-gram: predict each context word from the center word; maximise over positions t
//   Σ_t Σ_{0 < |j| ≤ b_t} log p(w_{t+j} | w_t),   b_t ~ U{1 … window}  (a window shrunk at random per center word)
// (the C tool trains each pair with the roles exchanged, h = v_{w_{t+j}} predicting w_t; the sum is the same.)
// CBOW: predict the center word from the mean of its context
//   Σ_t log p(w_t | h_t),   h_t = (1/|C_t|) Σ_{c ∈ C_t} v_c
// Negative sampling replaces log p(w | h) by
//   log σ(u_w·h) + Σ_{k=1..K} log σ(−u_{n_k}·h),   n_k ~ P_n(w) ∝ count(w)^0.75   (the noise table)
// Hierarchical softmax writes p(w | h) as the probability of the path from the root of a Huffman tree to leaf w:
//   p(w | h) = Π_{k=1..L(w)−1} σ((1 − 2c_k)·u'_{n_k}·h)   over the inner nodes n_k on the path, c_k the branch bit
// so frequent words (short codes) cost few dot products.
// Subsampling drops an occurrence of w with the C tool's formula: with f(w) = count(w)/T (T words) and threshold s,
//   P_keep(w) = (√(f(w)/s) + 1)·s/f(w)
// SGD with the learning rate decaying linearly in the words processed: α_p = α₀·max(1e-4, 1 − p/(epochs·T)).
// Training runs outside autograd (a dense V×D gradient per step would be hopeless): the word2vecTrain kernel
// (src/ops/word2vec.ts → src/backend/) applies the sparse updates to the rows it touches, Hogwild over threads.
import { Tensor } from '../tensor.ts';
import { Module, Parameter } from '../nn/module.ts';
import { embedding } from '../ops/indexing.ts';
import { word2vecTrain, type Word2VecCorpus, type Word2VecStats, type Word2VecTables } from '../ops/word2vec.ts';
import { Generator } from '../random.ts';
import type { WordCorpus } from '../data/word-corpus.ts';

export interface Word2VecConfig {
  /** 'skipgram' or 'cbow'. */
  arch: 'skipgram' | 'cbow';
  /** Vector size D. */
  dim: number;
  /** Largest context window (words on each side). */
  window: number;
  /** Noise words per positive example; 0 turns negative sampling off. */
  negative: number;
  /** Hierarchical softmax. */
  hs: boolean;
  /** Subsampling threshold s; 0 keeps every word. */
  sample: number;
  /** Words seen fewer times are dropped from the vocabulary (and the corpus). */
  minCount: number;
  epochs: number;
  /** Starting learning rate α₀: 0.025 for skip-gram, 0.05 for CBOW (the C tool's defaults). */
  lr: number;
  seed: number;
}

/** The C tool's skip-gram config of the issue: d 100, window 5, negative 5, sample 1e-4, 5 epochs, min-count 5. */
export const skipgramConfig: Word2VecConfig = {
  arch: 'skipgram', dim: 100, window: 5, negative: 5, hs: false, sample: 1e-4, minCount: 5, epochs: 5, lr: 0.025, seed: 1,
};
/** The C tool's CBOW config: d 200, window 8, negative 25, sample 1e-4, 15 epochs, min-count 5. */
export const cbowConfig: Word2VecConfig = {
  arch: 'cbow', dim: 200, window: 8, negative: 25, hs: false, sample: 1e-4, minCount: 5, epochs: 15, lr: 0.05, seed: 1,
};

export function checkConfig(c: Word2VecConfig): void {
  const bad = (what: string) => { throw new Error(`word2vec config: ${what}`); };
  if (c.arch !== 'skipgram' && c.arch !== 'cbow') bad(`arch must be 'skipgram' or 'cbow', got '${c.arch}'`);
  for (const k of ['dim', 'window', 'epochs', 'minCount'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (!Number.isInteger(c.negative) || c.negative < 0 || c.negative > 1000) bad(`negative must be an integer in [0, 1000], got ${c.negative}`);
  if (c.negative === 0 && !c.hs) bad('negative is 0 and hs is off: one of negative sampling or hierarchical softmax is needed');
  if (!(c.sample >= 0) || !Number.isFinite(c.sample)) bad(`sample must be ≥ 0, got ${c.sample}`);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) bad(`lr must be positive, got ${c.lr}`);
  if (!Number.isInteger(c.seed)) bad(`seed must be an integer, got ${c.seed}`);
}

// ---------------------------------------------------------------- vocabulary

/** Words kept for training, most frequent first (ties in order of first appearance), with their counts. */
export interface Vocabulary {
  words: string[];
  counts: Float64Array;
}

/** The words seen at least minCount times, sorted by count (the C tool's SortVocab). */
export function buildVocabulary(corpus: WordCorpus, minCount: number): Vocabulary {
  const order: number[] = [];
  for (let i = 0; i < corpus.words.length; i++) if (corpus.counts[i] >= minCount) order.push(i);
  order.sort((a, b) => corpus.counts[b] - corpus.counts[a] || a - b);
  return { words: order.map((i) => corpus.words[i]), counts: Float64Array.from(order, (i) => corpus.counts[i]) };
}

/** The corpus as vocabulary indices: words outside the vocabulary are dropped, as are sentences left empty. */
export function encodeCorpus(corpus: WordCorpus, vocab: Vocabulary): Word2VecCorpus {
  const index = new Map<string, number>();
  vocab.words.forEach((w, i) => index.set(w, i));
  const map = Int32Array.from(corpus.words, (w) => index.get(w) ?? -1);
  const ids = new Int32Array(corpus.tokens.length);
  const starts: number[] = [0];
  let n = 0;
  for (let s = 0; s + 1 < corpus.sentenceStarts.length; s++) {
    for (let p = corpus.sentenceStarts[s]; p < corpus.sentenceStarts[s + 1]; p++) {
      const id = map[corpus.tokens[p]];
      if (id >= 0) ids[n++] = id;
    }
    if (n > starts[starts.length - 1]) starts.push(n);
  }
  return { ids: ids.slice(0, n), sentenceStarts: Int32Array.from(starts) };
}

// ---------------------------------------------------------------- the C tool's tables

const U32_MAX = 0xffffffff;

/**
 * Subsampling: keep[w] = ⌊min(1, P_keep(w))·(2³² − 1)⌋, P_keep(w) = (√(f/s) + 1)·s/f with f = count(w)/T (T = total
 * count); an occurrence is kept when a uniform 32-bit draw r ≤ keep[w]. sample = 0 keeps everything.
 */
export function keepThresholds(counts: Float64Array, sample: number): Uint32Array {
  let total = 0;
  for (const c of counts) total += c;
  const keep = new Uint32Array(counts.length).fill(U32_MAX);
  if (sample <= 0) return keep;
  for (let w = 0; w < counts.length; w++) {
    const f = counts[w] / total;
    const p = (Math.sqrt(f / sample) + 1) * (sample / f);
    if (p < 1) keep[w] = Math.floor(p * U32_MAX);
  }
  return keep;
}

/** P_n(w) = count(w)^power / Σ_v count(v)^power (the unigram^0.75 noise distribution). */
export function noiseDistribution(counts: Float64Array, power = 0.75): Float64Array {
  const p = Float64Array.from(counts, (c) => c ** power);
  let z = 0;
  for (const v of p) z += v;
  for (let i = 0; i < p.length; i++) p[i] /= z;
  return p;
}

/**
 * The noise table, as Walker's alias table (Vose's construction): O(1) per draw like the C tool's 10⁸-entry table,
 * but exact and V entries long (it stays in cache). Column i keeps word i with probability prob[i]/2³², else gives
 * alias[i]; the columns' shares add up to P_n.
 */
export function noiseTable(counts: Float64Array, power = 0.75): { prob: Uint32Array; alias: Int32Array } {
  const V = counts.length;
  const scaled = Float64Array.from(noiseDistribution(counts, power), (p) => p * V);
  const prob = new Uint32Array(V), alias = new Int32Array(V);
  const small: number[] = [], large: number[] = [];
  for (let i = 0; i < V; i++) (scaled[i] < 1 ? small : large).push(i);
  while (small.length && large.length) {
    const s = small.pop()!, l = large[large.length - 1];
    prob[s] = Math.min(U32_MAX, Math.round(scaled[s] * 2 ** 32));
    alias[s] = l;
    scaled[l] -= 1 - scaled[s];
    if (scaled[l] < 1) { large.pop(); small.push(l); }
  }
  // what is left is 1 up to rounding: the column is the word itself
  for (const i of [...small, ...large]) { prob[i] = U32_MAX; alias[i] = i; }
  return { prob, alias };
}

/**
 * The Huffman tree over the word counts (the C tool's CreateBinaryTree: counts sorted in decreasing order, so two
 * queues — leaves from the rarest up, inner nodes in creation order — give the two smallest in O(1)). Inner node k
 * (0 … V−2, the root last) is made at step k. Word w's path runs from the root: points[codeStart[w] + d] is the inner
 * node at depth d and codes[…] the bit (0/1) of the branch towards w; the second smallest of each merge gets bit 1.
 */
export function huffmanTree(counts: Float64Array): { codeStart: Int32Array; codes: Uint8Array; points: Int32Array } {
  const V = counts.length;
  for (let i = 1; i < V; i++) if (counts[i] > counts[i - 1]) throw new Error('huffmanTree: counts must be sorted in decreasing order');
  const count = new Float64Array(2 * V).fill(Infinity);
  count.set(counts);
  const parent = new Int32Array(2 * V), bit = new Uint8Array(2 * V);
  let leaf = V - 1, inner = V;
  const smallest = () => (leaf >= 0 && count[leaf] < count[inner] ? leaf-- : inner++);
  for (let k = 0; k < V - 1; k++) {
    const a = smallest(), b = smallest();
    count[V + k] = count[a] + count[b];
    parent[a] = V + k; parent[b] = V + k;
    bit[b] = 1;
  }
  const root = 2 * V - 2;
  const codeStart = new Int32Array(V + 1);
  const paths: number[][] = [];
  for (let w = 0; w < V; w++) {
    const path: number[] = [];
    for (let n = w; n !== root && V > 1; n = parent[n]) path.push(n);
    paths.push(path);
    codeStart[w + 1] = codeStart[w] + path.length;
  }
  const codes = new Uint8Array(codeStart[V]), points = new Int32Array(codeStart[V]);
  for (let w = 0; w < V; w++) {
    // path: leaf … child of the root; reversed, the node above path[i] is parent[path[i]]
    const path = paths[w], L = path.length;
    for (let d = 0; d < L; d++) {
      const child = path[L - 1 - d];
      codes[codeStart[w] + d] = bit[child];
      points[codeStart[w] + d] = parent[child] - V;
    }
  }
  return { codeStart, codes, points };
}

// ---------------------------------------------------------------- the model

export class Word2Vec extends Module {
  readonly config: Word2VecConfig;
  readonly vocab: Vocabulary;
  /** v: the word vectors (the C tool's syn0), (V, D), uniform in ±0.5/D at the start. */
  inputVectors: Parameter;
  /** u: output vectors for negative sampling (syn1neg), (V, D), zero at the start; null without negative sampling. */
  outputVectors: Parameter | null;
  /** u': the Huffman tree's inner-node vectors for hierarchical softmax (syn1), (V − 1, D), zero; null without hs. */
  nodeVectors: Parameter | null;
  readonly tables: Word2VecTables;

  constructor(vocab: Vocabulary, config: Word2VecConfig) {
    super();
    checkConfig(config);
    const V = vocab.words.length, D = config.dim;
    if (V < 2) throw new Error(`Word2Vec: the vocabulary has ${V} word${V === 1 ? '' : 's'}; at least 2 are needed (lower minCount or use a larger corpus)`);
    this.config = { ...config };
    this.vocab = vocab;
    const gen = new Generator(config.seed);
    const v = new Float32Array(V * D);
    for (let i = 0; i < v.length; i++) v[i] = (gen.random() - 0.5) / D;
    this.inputVectors = new Parameter(v, [V, D], false);
    this.outputVectors = config.negative > 0 ? new Parameter(new Float32Array(V * D), [V, D], false) : null;
    this.nodeVectors = config.hs ? new Parameter(new Float32Array((V - 1) * D), [V - 1, D], false) : null;
    const noise = config.negative > 0 ? noiseTable(vocab.counts) : { prob: new Uint32Array(0), alias: new Int32Array(0) };
    const tree = config.hs ? huffmanTree(vocab.counts) : { codeStart: new Int32Array(V + 1), codes: new Uint8Array(0), points: new Int32Array(0) };
    this.tables = { keep: keepThresholds(vocab.counts, config.sample), noiseProb: noise.prob, noiseAlias: noise.alias, ...tree };
  }

  /** A model over the corpus's vocabulary (words seen at least minCount times). */
  static fromCorpus(corpus: WordCorpus, config: Word2VecConfig): Word2Vec {
    checkConfig(config);
    if (corpus.tokens.length === 0) throw new Error(`${corpus.source}: the corpus is empty (no words)`);
    const vocab = buildVocabulary(corpus, config.minCount);
    if (vocab.words.length < 2) {
      throw new Error(`${corpus.source}: only ${vocab.words.length} distinct word${vocab.words.length === 1 ? '' : 's'} occur at least ` +
        `minCount = ${config.minCount} times (of ${corpus.tokens.length} words); lower minCount or use a larger corpus`);
    }
    return new Word2Vec(vocab, config);
  }

  get numWords(): number { return this.vocab.words.length; }

  /** The corpus in this model's vocabulary; an error if it leaves nothing to learn from. */
  encode(corpus: WordCorpus): Word2VecCorpus {
    const data = encodeCorpus(corpus, this.vocab);
    const n = data.ids.length;
    if (n <= this.config.window) {
      throw new Error(`${corpus.source}: the corpus has ${n} word${n === 1 ? '' : 's'} in the vocabulary, no more than the ` +
        `window (${this.config.window}): there is no context to learn from; use a larger corpus or a smaller window`);
    }
    return data;
  }

  /** v_w for each word index: (…, D), like nn.Embedding. */
  forward(ids: Tensor): Tensor {
    return embedding(ids, this.inputVectors);
  }

  /** One SGD pass over sentences [first, last) of `data` in epoch `epoch` (0-based); updates the vectors in place. */
  trainSentences(data: Word2VecCorpus, epoch: number, first: number, last: number, threads = 0): Word2VecStats {
    const c = this.config;
    return word2vecTrain(this.inputVectors, this.outputVectors, this.nodeVectors, data, this.tables, {
      sg: c.arch === 'skipgram', window: c.window, negative: c.negative, hs: c.hs,
      lr: c.lr, minLr: c.lr * 1e-4, epochs: c.epochs, epoch, first, last, seed: c.seed, threads,
    });
  }
}

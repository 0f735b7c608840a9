import type { FloatArray } from '../types.ts';

/**
 * The tables word2vec training reads (built by src/models/word2vec.ts). V words, most frequent first.
 */
export interface Word2VecTables {
  /** Subsampling: an occurrence of word w is kept when a uniform 32-bit draw r satisfies r ≤ keep[w] (0xffffffff: always). */
  keep: Uint32Array;
  /** Noise distribution P_n(w) ∝ count(w)^0.75 as an alias table: draw i uniform in [0, V) and u uniform in [0, 2³²);
   * the noise word is i when u < noiseProb[i], else noiseAlias[i]. */
  noiseProb: Uint32Array;
  noiseAlias: Int32Array;
  /** Huffman tree: word w's path is nodes points[codeStart[w] + k] with branch bits codes[codeStart[w] + k],
   * k < codeStart[w + 1] − codeStart[w]; nodes index the rows of nodeVectors (V − 1 of them). */
  codeStart: Int32Array;
  codes: Uint8Array;
  points: Int32Array;
}

/** The corpus, as word indices cut into sentences. */
export interface Word2VecCorpus {
  /** Word indices of the whole corpus (words below min-count already removed). */
  ids: Int32Array;
  /** Sentence s is ids[sentenceStarts[s] .. sentenceStarts[s + 1]). */
  sentenceStarts: Int32Array;
}

export interface Word2VecParams {
  /** Skip-gram (true) or CBOW (false). */
  sg: boolean;
  /** Vector size D. */
  dim: number;
  /** Largest context window b_max; each center word draws b uniform in [1, b_max]. */
  window: number;
  /** Noise words per positive example (0: no negative sampling). */
  negative: number;
  /** Hierarchical softmax. */
  hs: boolean;
  /** Learning rate at the start (α₀) and the floor α₀·1e-4 it decays to. */
  lr: number;
  minLr: number;
  /** Epochs of the whole run: α decays linearly over epochs · ids.length words. */
  epochs: number;
  /** Which epoch, and which sentences [first, last) of the corpus, this call trains on. */
  epoch: number;
  first: number;
  last: number;
  /** The run's seed; sentence s of epoch e draws its random numbers from a stream seeded by (seed, e, s). */
  seed: number;
  /** Hogwild threads (the TypeScript kernel always runs one). */
  threads: number;
}

/** Filled by word2vecTrain: words read, words kept after subsampling, and the summed loss over its terms. */
export interface Word2VecStats {
  words: number;
  kept: number;
  loss: number;
  /** Terms in loss: positive and noise examples (negative sampling) plus tree nodes (hierarchical softmax). */
  terms: number;
}

export interface Word2VecKernels {
  /**
   * Trains word vectors on sentences [first, last) in place, outside autograd (Mikolov et al. 2013; the C tool's
   * algorithm). For each sentence: subsample (keep word w with probability keep[w] / 2³²), then for each kept
   * position i with center word w_i, draw b ~ U{0 … window−1} and use the context C_i = {w_j : 0 < |j − i| ≤ window − b}.
   * The learning rate of the word at corpus position p in epoch e is α = max(minLr, lr·(1 − (e·N + p) / (epochs·N))).
   *   skip-gram: for each context word c ∈ C_i, the pair (input h = v_c, target w_i);
   *   CBOW:      one pair per position, input h = mean of v_c over C_i (skipped when C_i is empty), target w_i.
   * For each pair, with σ(x) = 1/(1 + e^{−x}) read from a table on (−6, 6):
   *   negative sampling: targets t = w_i (label 1) and `negative` draws from the noise table (label 0; a draw equal
   *     to w_i is skipped); g = α·(label − σ(h·u_t)) (σ saturates to 0 or 1 outside ±6);
   *     e += g·u_t;  u_t += g·h          (u = outputVectors)
   *   hierarchical softmax: for each node n on w_i's Huffman path with bit c: f = h·u'_n; skipped when |f| ≥ 6;
   *     g = α·(1 − c − σ(f));  e += g·u'_n;  u'_n += g·h          (u' = nodeVectors)
   *   then v_c += e for the context word (skip-gram) or for every context word (CBOW).
   * Loss (reported, not used): −log σ(±f) per term. Hogwild: threads share the vectors without locks.
   */
  word2vecTrain(inputVectors: FloatArray, outputVectors: FloatArray | null, nodeVectors: FloatArray | null,
    corpus: Word2VecCorpus, tables: Word2VecTables, p: Word2VecParams, stats: Word2VecStats): void;
}

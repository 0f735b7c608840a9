// Trained word vectors, queried by cosine similarity (gensim's KeyedVectors): nearest neighbours and analogies.
// Analogies use 3CosAdd (Mikolov et al. 2013): "a is to b as c is to ?" is the word d ∉ {a, b, c} maximising
//   cos(d, b − a + c)  with every vector normalised to unit length first (the C tool's word-analogy / compute-accuracy).
import { Tensor } from '../tensor.ts';
import { matmul } from '../ops/matmul.ts';
import { noGrad } from '../autograd.ts';

export interface Neighbour {
  word: string;
  similarity: number;
}

/** The message for a word without a vector: word2vec knows only the words it saw (at least min-count times). */
export class OutOfVocabularyError extends Error {}

export class WordVectors {
  readonly words: readonly string[];
  /** (V, D) row-major, row i is words[i]'s vector. */
  readonly vectors: Float32Array;
  readonly dim: number;
  /** Where the vectors came from, for messages. */
  readonly source: string;
  private readonly index = new Map<string, number>();
  private unit: Float32Array | null = null;

  constructor(words: readonly string[], vectors: Float32Array, dim: number, source = '<vectors>') {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`WordVectors: dim must be a positive integer, got ${dim}`);
    if (vectors.length !== words.length * dim) {
      throw new Error(`WordVectors: ${words.length} words of dimension ${dim} need ${words.length * dim} values, got ${vectors.length}`);
    }
    this.words = words;
    this.vectors = vectors;
    this.dim = dim;
    this.source = source;
    // the first (most frequent) occurrence wins if a word repeats
    words.forEach((w, i) => { if (!this.index.has(w)) this.index.set(w, i); });
  }

  get size(): number { return this.words.length; }

  has(word: string): boolean { return this.index.has(word); }

  /** The row of `word`, or −1. */
  indexOf(word: string): number { return this.index.get(word) ?? -1; }

  /** The row of `word`; an OutOfVocabularyError saying so when it has none. */
  require(word: string): number {
    const i = this.index.get(word);
    if (i === undefined) {
      throw new OutOfVocabularyError(`'${word}' is not in the vocabulary of ${this.source} (${this.size} words): word2vec has no ` +
        'vector for a word it never saw in training, or saw fewer than min-count times');
    }
    return i;
  }

  vector(word: string): Float32Array {
    const i = this.require(word);
    return this.vectors.slice(i * this.dim, (i + 1) * this.dim);
  }

  /** Every vector scaled to unit length (zero vectors stay zero). */
  unitVectors(): Float32Array {
    if (this.unit) return this.unit;
    const D = this.dim, u = new Float32Array(this.vectors.length);
    for (let i = 0; i < this.size; i++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += this.vectors[i * D + c] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < D; c++) u[i * D + c] = this.vectors[i * D + c] * inv;
    }
    return (this.unit = u);
  }

  /**
   * The n words nearest by cosine to Σ positive − Σ negative (each word's unit vector), leaving out the query
   * words themselves; `restrict` limits the candidates to the first (most frequent) words.
   */
  mostSimilar(positive: string[], negative: string[] = [], n = 10, restrict = this.size): Neighbour[] {
    const rows = [...positive, ...negative].map((w) => this.require(w));
    const D = this.dim, u = this.unitVectors();
    const q = new Float64Array(D);
    rows.forEach((r, k) => { const sign = k < positive.length ? 1 : -1; for (let c = 0; c < D; c++) q[c] += sign * u[r * D + c]; });
    let norm = 0;
    for (let c = 0; c < D; c++) norm += q[c] * q[c];
    norm = Math.sqrt(norm) || 1;
    const exclude = new Set(rows);
    const best: Neighbour[] = [];
    const limit = Math.min(restrict, this.size);
    for (let i = 0; i < limit; i++) {
      if (exclude.has(i)) continue;
      let s = 0;
      for (let c = 0; c < D; c++) s += q[c] * u[i * D + c];
      s /= norm;
      if (best.length < n || s > best[best.length - 1].similarity) {
        best.push({ word: this.words[i], similarity: s });
        best.sort((a, b) => b.similarity - a.similarity);
        if (best.length > n) best.pop();
      }
    }
    return best;
  }

  /** "a is to b as c is to ?": the n best d by 3CosAdd, cos(d, b − a + c) over unit vectors, d ∉ {a, b, c}. */
  analogy(a: string, b: string, c: string, n = 1, restrict = this.size): Neighbour[] {
    return this.mostSimilar([b, c], [a], n, restrict);
  }

  /**
   * For each query (a, b, c) as row indices (in the first `restrict` rows): the row index of the 3CosAdd answer among
   * the first `restrict` rows, excluding a, b and c (−1 if no candidate scores above 0, as compute-accuracy). One
   * matrix product per batch of queries.
   */
  answerAnalogies(queries: Int32Array, restrict = this.size, batch = 256): Int32Array {
    const W = Math.min(restrict, this.size), D = this.dim, Q = queries.length / 3;
    const u = this.unitVectors().subarray(0, W * D);
    // uᵀ: (D, W), so scores = q · uᵀ is one (B, D)·(D, W) product
    const ut = new Float32Array(D * W);
    for (let i = 0; i < W; i++) for (let c = 0; c < D; c++) ut[c * W + i] = u[i * D + c];
    const uT = new Tensor(ut, [D, W]);
    const answers = new Int32Array(Q);
    for (let q0 = 0; q0 < Q; q0 += batch) {
      const B = Math.min(batch, Q - q0);
      const qv = new Float32Array(B * D);
      for (let k = 0; k < B; k++) {
        const a = queries[3 * (q0 + k)], b = queries[3 * (q0 + k) + 1], c = queries[3 * (q0 + k) + 2];
        for (let x = 0; x < D; x++) qv[k * D + x] = u[b * D + x] - u[a * D + x] + u[c * D + x];
      }
      const scores = noGrad(() => matmul(new Tensor(qv, [B, D]), uT)).data;
      for (let k = 0; k < B; k++) {
        const a = queries[3 * (q0 + k)], b = queries[3 * (q0 + k) + 1], c = queries[3 * (q0 + k) + 2];
        let best = -1, bestScore = 0;
        for (let i = 0; i < W; i++) {
          const s = scores[k * W + i];
          if (s > bestScore && i !== a && i !== b && i !== c) { bestScore = s; best = i; }
        }
        answers[q0 + k] = best;
      }
    }
    return answers;
  }
}

// Tokenizers and vocabularies: word and character level, special tokens, padding, and length-bucketing of
// sentence pairs (so a batch holds sentences of similar length and little padding).
import type { Generator } from '../random.ts';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';
export const SPECIALS = [PAD, UNK, BOS, EOS] as const;

/** Whitespace word tokenizer (the corpora here are pre-tokenised: Moses / Mikolov / text8). Splits on ASCII whitespace. */
export function wordTokenize(line: string, opts: { lower?: boolean } = {}): string[] {
  const s = opts.lower ? line.toLowerCase() : line;
  // a scan instead of split(/\s+/): about a third faster on the 20 MB word2vec corpus
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (start >= 0) { out.push(s.slice(start, i)); start = -1; }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

export interface VocabOptions {
  /** Tokens seen fewer times are left out (they map to <unk>). Default 1. */
  minFreq?: number;
  /** Tokens placed first, in this order (default <pad>, <unk>, <bos>, <eos>). */
  specials?: readonly string[];
  /** Keep at most this many tokens in total, specials included. */
  maxSize?: number;
  /**
   * 'frequency': most frequent first, ties alphabetical (torchtext's build_vocab_from_iterator);
   * 'first': order of first appearance (PyTorch's word_language_model Dictionary).
   */
  order?: 'frequency' | 'first';
}

/** A token ↔ index table. */
export class Vocab {
  readonly itos: readonly string[];
  private readonly stoi: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.itos = Object.freeze([...tokens]);
    this.stoi = new Map();
    tokens.forEach((t, i) => {
      if (this.stoi.has(t)) throw new Error(`Vocab: token ${JSON.stringify(t)} appears twice`);
      this.stoi.set(t, i);
    });
  }

  /** Counts tokens over sequences and keeps those with count ≥ minFreq. */
  static build(sequences: Iterable<Iterable<string>>, opts: VocabOptions = {}): Vocab {
    const minFreq = opts.minFreq ?? 1;
    const specials = opts.specials ?? SPECIALS;
    const counts = new Map<string, number>();
    for (const seq of sequences) for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
    const special = new Set(specials);
    const words = [...counts.entries()].filter(([t, c]) => c >= minFreq && !special.has(t));
    if ((opts.order ?? 'frequency') === 'frequency') words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const tokens = [...specials, ...words.map(([t]) => t)];
    if (opts.maxSize !== undefined) {
      if (opts.maxSize < specials.length) throw new Error(`Vocab.build: maxSize ${opts.maxSize} is smaller than the ${specials.length} special tokens`);
      tokens.length = Math.min(tokens.length, opts.maxSize);
    }
    return new Vocab(tokens);
  }

  get size(): number { return this.itos.length; }
  get length(): number { return this.itos.length; }
  has(token: string): boolean { return this.stoi.has(token); }
  /** Index of a special or ordinary token, or −1. */
  lookup(token: string): number { return this.stoi.get(token) ?? -1; }
  get padIndex(): number { return this.lookup(PAD); }
  get unkIndex(): number { return this.lookup(UNK); }
  get bosIndex(): number { return this.lookup(BOS); }
  get eosIndex(): number { return this.lookup(EOS); }

  /** Index of a token; unknown tokens map to <unk> (an error if the vocabulary has none). */
  index(token: string): number {
    const i = this.stoi.get(token);
    if (i !== undefined) return i;
    const u = this.stoi.get(UNK);
    if (u === undefined) throw new Error(`Vocab: token ${JSON.stringify(token)} is unknown and the vocabulary has no ${UNK}`);
    return u;
  }

  encode(tokens: readonly string[], opts: { bos?: boolean; eos?: boolean } = {}): Int32Array {
    const b = opts.bos ? 1 : 0;
    const out = new Int32Array(tokens.length + b + (opts.eos ? 1 : 0));
    if (opts.bos) out[0] = this.special(BOS);
    for (let i = 0; i < tokens.length; i++) out[b + i] = this.index(tokens[i]);
    if (opts.eos) out[out.length - 1] = this.special(EOS);
    return out;
  }

  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const t = this.itos[ids[i]];
      if (t === undefined) throw new Error(`Vocab.decode: index ${ids[i]} out of range for ${this.size} tokens`);
      out.push(t);
    }
    return out;
  }

  private special(t: string): number {
    const i = this.stoi.get(t);
    if (i === undefined) throw new Error(`Vocab: the vocabulary has no ${t} token`);
    return i;
  }
}

/** Character-level tokenizer: vocabulary = sorted distinct characters (nanoGPT's shakespeare_char). */
export class CharTokenizer {
  readonly chars: readonly string[];
  private readonly stoi: Map<string, number>;

  constructor(text: string) {
    this.chars = Object.freeze([...new Set(text)].sort());
    this.stoi = new Map(this.chars.map((c, i) => [c, i]));
  }

  get size(): number { return this.chars.length; }

  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    let n = 0;
    for (const c of text) {
      const i = this.stoi.get(c);
      if (i === undefined) throw new Error(`CharTokenizer.encode: character ${JSON.stringify(c)} is not in the vocabulary`);
      out[n++] = i;
    }
    return out.subarray(0, n); // astral characters take two UTF-16 units but are one token
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new Error(`CharTokenizer.decode: index ${ids[i]} out of range for ${this.size} characters`);
      s += c;
    }
    return s;
  }
}

export interface Padded {
  /** batch × maxLen indices, row-major, padded with padIndex. */
  data: Int32Array;
  lengths: Int32Array;
  batch: number;
  maxLen: number;
}

/** Right-pads index sequences to a rectangle (truncating to maxLen when given). */
export function padSequences(seqs: readonly ArrayLike<number>[], padIndex: number, maxLen?: number): Padded {
  let T = 0;
  for (const s of seqs) T = Math.max(T, s.length);
  if (maxLen !== undefined) T = Math.min(T, maxLen);
  const data = new Int32Array(seqs.length * T).fill(padIndex);
  const lengths = new Int32Array(seqs.length);
  seqs.forEach((s, b) => {
    const n = Math.min(s.length, T);
    lengths[b] = n;
    for (let t = 0; t < n; t++) data[b * T + t] = s[t];
  });
  return { data, lengths, batch: seqs.length, maxLen: T };
}

export interface BucketOptions {
  shuffle?: boolean;
  generator?: Generator;
  /** How many examples are sorted together (default 100 batches' worth, as torchtext's BucketIterator). */
  bucketSize?: number;
  dropLast?: boolean;
}

/**
 * Batches of example indices with similar lengths: (optionally) shuffle, cut into buckets of bucketSize, sort each
 * bucket by length (stable), cut into batches, (optionally) shuffle the batch order. Every index appears once
 * (unless dropLast drops a bucket's short final batch).
 */
export function bucketByLength(lengths: ArrayLike<number>, batchSize: number, opts: BucketOptions = {}): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bucketByLength: batchSize must be a positive integer, got ${batchSize}`);
  const bucketSize = opts.bucketSize ?? batchSize * 100;
  if (!Number.isInteger(bucketSize) || bucketSize < 1) throw new Error(`bucketByLength: bucketSize must be a positive integer, got ${bucketSize}`);
  if (opts.shuffle && !opts.generator) throw new Error('bucketByLength: shuffle needs a generator (pass the seeded Generator)');
  const n = lengths.length;
  const order = opts.shuffle ? Array.from(opts.generator!.permutation(n)) : Array.from({ length: n }, (_, i) => i);
  const batches: number[][] = [];
  for (let s = 0; s < n; s += bucketSize) {
    const bucket = order.slice(s, s + bucketSize).sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let b = 0; b < bucket.length; b += batchSize) {
      const batch = bucket.slice(b, b + batchSize);
      if (opts.dropLast && batch.length < batchSize) continue;
      batches.push(batch);
    }
  }
  if (opts.shuffle) opts.generator!.shuffle(batches);
  return batches;
}

export interface PairBatch {
  /** source indices, batch × srcLen (no <bos>/<eos>), padded */
  src: Padded;
  /** target indices with <bos> … <eos>, batch × tgtLen, padded */
  tgt: Padded;
}

/** Encodes and pads a batch of (source tokens, target tokens) pairs for an encoder-decoder. */
export function collatePairs(pairs: readonly { src: readonly string[]; tgt: readonly string[] }[], srcVocab: Vocab, tgtVocab: Vocab): PairBatch {
  const pad = (v: Vocab) => {
    const p = v.padIndex;
    if (p < 0) throw new Error(`collatePairs: vocabulary has no ${PAD} token`);
    return p;
  };
  return {
    src: padSequences(pairs.map((p) => srcVocab.encode(p.src)), pad(srcVocab)),
    tgt: padSequences(pairs.map((p) => tgtVocab.encode(p.tgt, { bos: true, eos: true })), pad(tgtVocab)),
  };
}

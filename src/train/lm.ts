// Language-model pieces the recurrent recipes share: a token stream cut into B parallel streams read in windows
// of T steps (truncated BPTT: the state is carried from one window to the next), evaluation with that carried
// state, perplexity, and the vocabulary file that lets `deepten eval` and `deepten sample` turn a run's tokens
// back into text.
import { readFileSync } from 'node:fs';
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { crossEntropy } from '../ops/loss.ts';
import { reshape } from '../ops/shape.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { Vocab, EOS, UNK, wordTokenize } from '../data/tokenize.ts';

/**
 * ids cut into `batchSize` contiguous streams of batchLen = ⌊N / B⌋ tokens (the tail is dropped): stream b is
 * ids[b·batchLen, (b+1)·batchLen). Window i holds steps i·T … i·T + T − 1 of every stream, as (T, B) inputs and the
 * (T, B) next tokens (Zaremba et al.'s ptb_iterator; PyTorch's word_language_model batchify).
 */
export class StreamBatches {
  readonly batchLen: number;
  /** Full windows of T steps (training: the last partial one is dropped). */
  readonly fullWindows: number;
  /** Windows covering every predictable position, the last one possibly shorter (evaluation). */
  readonly allWindows: number;

  constructor(readonly ids: Int32Array, readonly batchSize: number, readonly numSteps: number, what = 'text') {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batch size must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(numSteps) || numSteps < 1) throw new Error(`${what}: numSteps must be a positive integer, got ${numSteps}`);
    this.batchLen = Math.floor(ids.length / batchSize);
    if (this.batchLen < 2) throw new Error(`${what}: ${ids.length} tokens are too few for ${batchSize} streams (each needs at least 2 tokens)`);
    this.fullWindows = Math.floor((this.batchLen - 1) / numSteps);
    this.allWindows = Math.ceil((this.batchLen - 1) / numSteps);
  }

  /** Window i → [x, y] (T', B) int32, T' = T except for a shorter last window. */
  window(i: number): [Tensor, Tensor] {
    const B = this.batchSize, L = this.batchLen, t0 = i * this.numSteps;
    const T = Math.min(this.numSteps, L - 1 - t0);
    if (!(i >= 0 && T > 0)) throw new Error(`StreamBatches: window ${i} is out of range (${this.allWindows} windows)`);
    const x = new Int32Array(T * B), y = new Int32Array(T * B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const k = b * L + t0 + t;
        x[t * B + b] = this.ids[k];
        y[t * B + b] = this.ids[k + 1];
      }
    }
    return [new Tensor(x, [T, B]), new Tensor(y, [T, B])];
  }
}

/** What evaluation needs from a recurrent language model: tokens (T, B) and a state → logits (T, B, V) and the next state. */
export interface RecurrentLm<S> {
  forward(tokens: Tensor, state: S | null): [Tensor, S];
  training: boolean;
  train(on?: boolean): unknown;
}

/** Perplexity from the mean loss per token in nats: exp(−(1/N) Σ log p(w_t | w_<t)). */
export function perplexity(lossPerToken: number): number {
  return Math.exp(lossPerToken);
}

/**
 * The mean loss per token (nats) over every predictable token of `ids`, read as `batchSize` streams in windows of
 * `numSteps` with the state carried across windows; eval mode, no gradients. With batchSize 1 every token but the
 * first is predicted from all of the text before it.
 */
export function evaluateStream<S>(model: RecurrentLm<S>, ids: Int32Array, batchSize: number, numSteps: number): { loss: number; tokens: number } {
  const batches = new StreamBatches(ids, batchSize, numSteps, 'evaluation');
  const was = model.training;
  model.train(false);
  let sum = 0, n = 0;
  try {
    noGrad(() => {
      let state: S | null = null;
      for (let i = 0; i < batches.allWindows; i++) {
        const [x, y] = batches.window(i);
        const [logits, next] = model.forward(x, state);
        state = next;
        const V = logits.shape[2];
        sum += crossEntropy(reshape(logits, [y.size, V]), reshape(y, [y.size]), { reduction: 'sum' }).item();
        n += y.size;
      }
    });
  } finally {
    model.train(was);
  }
  return { loss: sum / n, tokens: n };
}

// ---------------------------------------------------------------- the vocabulary file

export const VOCAB_FILE = 'vocab.json';
const VOCAB_FORMAT = 'deepten-vocab/1';

export interface VocabFile {
  /** 'word': whitespace tokens, '\n' ↔ <eos>; 'char': one token per character. */
  kind: 'word' | 'char';
  tokens: string[];
}

export function saveVocab(path: string, v: VocabFile): void {
  writeFileAtomic(path, JSON.stringify({ format: VOCAB_FORMAT, kind: v.kind, tokens: v.tokens }) + '\n');
}

/** Reads a vocabulary file, checking every field; errors name the file. */
export function loadVocab(path: string): VocabFile {
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new Error(`${path}: cannot read the vocabulary: ${(e as Error).message}`); }
  const v = raw as Record<string, unknown>;
  if (!v || typeof v !== 'object' || v.format !== VOCAB_FORMAT) throw new Error(`${path}: not a deepten vocabulary file (format '${VOCAB_FORMAT}')`);
  if (v.kind !== 'word' && v.kind !== 'char') throw new Error(`${path}: 'kind' must be 'word' or 'char', got ${JSON.stringify(v.kind)}`);
  if (!Array.isArray(v.tokens) || v.tokens.length === 0 || !v.tokens.every((t) => typeof t === 'string')) throw new Error(`${path}: 'tokens' must be a non-empty list of strings`);
  if (new Set(v.tokens).size !== v.tokens.length) throw new Error(`${path}: 'tokens' lists a token twice`);
  return { kind: v.kind, tokens: v.tokens as string[] };
}

export interface TextCodec {
  encode(text: string): Int32Array;
  decode(ids: Int32Array): string;
  /** What begins a text when there is no prompt: <eos> (a sentence boundary) for words, '\n' (else the first symbol) for characters. */
  start: Int32Array;
}

/**
 * Text ↔ ids for a vocabulary file. Words: each line's whitespace tokens, a line break between lines becomes <eos>,
 * words outside the vocabulary become <unk>; decoding joins words with spaces and turns <eos> into a line break.
 * Characters: one id per character; a character outside the vocabulary is an error that names it.
 */
export function textCodec(v: VocabFile): TextCodec {
  if (v.kind === 'word') {
    const vocab = new Vocab(v.tokens);
    const eos = vocab.lookup(EOS), unk = vocab.lookup(UNK);
    return {
      encode(text) {
        const ids: number[] = [];
        text.split('\n').forEach((line, i) => {
          if (i > 0) {
            if (eos < 0) throw new Error(`the model's vocabulary has no ${EOS}, so the text cannot hold line breaks`);
            ids.push(eos);
          }
          for (const w of wordTokenize(line)) {
            const k = vocab.lookup(w);
            if (k >= 0) ids.push(k);
            else if (unk >= 0) ids.push(unk);
            else throw new Error(`word ${JSON.stringify(w)} is not in the model's vocabulary of ${vocab.size} words`);
          }
        });
        return Int32Array.from(ids);
      },
      decode(ids) {
        let s = '';
        for (const w of vocab.decode(ids)) s += w === EOS ? '\n' : (s === '' || s.endsWith('\n') ? '' : ' ') + w;
        return s;
      },
      start: Int32Array.of(eos >= 0 ? eos : 0),
    };
  }
  const index = new Map(v.tokens.map((c, i) => [c, i]));
  return {
    encode(text) {
      const ids: number[] = [];
      for (const c of text) {
        const k = index.get(c);
        if (k === undefined) {
          const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
          throw new Error(`character ${JSON.stringify(c)} (${code}) is not in the model's vocabulary of ${v.tokens.length} characters`);
        }
        ids.push(k);
      }
      return Int32Array.from(ids);
    },
    decode(ids) {
      let s = '';
      for (const k of ids) {
        const c = v.tokens[k];
        if (c === undefined) throw new Error(`token ${k} is outside the vocabulary of ${v.tokens.length} characters`);
        s += c;
      }
      return s;
    },
    start: Int32Array.of(index.get('\n') ?? 0),
  };
}

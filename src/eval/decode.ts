// Decoding a trained encoder-decoder: greedy and beam search, both over the incremental decoder (each step feeds
// only the newest token; the earlier positions' keys and values and the memory's projections are cached).
//   greedy:  y_t = argmax_v p(v | y_<t, x), until <eos> or maxLen tokens
//   beam:    keep the K best prefixes by Σ log p; a hypothesis ending in <eos> is finished with the
//            length-normalised score Σ log p / |y|^α (α = lengthPenalty, |y| counting <eos>); stop once K are
//            finished (or at maxLen, where the live prefixes are finished as they are). Width 1 is greedy.
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { indexSelect } from '../ops/indexing.ts';
import type { Seq2SeqTransformer } from '../models/transformer.ts';
import type { DecoderState } from '../nn/transformer.ts';

export interface DecodeOptions {
  bos: number;
  eos: number;
  /** The most tokens to produce (<eos> included); capped by the model's position table. */
  maxLen: number;
}

export interface BeamOptions extends DecodeOptions {
  beamWidth: number;
  /** α in score / length^α (0: raw log-probability, which favours short outputs). */
  lengthPenalty: number;
}

/** Runs fn in eval mode without gradients, restoring the model's mode. */
function inference<T>(model: Seq2SeqTransformer, fn: () => T): T {
  const was = model.training;
  model.eval();
  try { return noGrad(fn); } finally { model.train(was); }
}

function steps(model: Seq2SeqTransformer, o: DecodeOptions): number {
  if (!Number.isInteger(o.maxLen) || o.maxLen < 1) throw new Error(`decode: maxLen must be a positive integer, got ${o.maxLen}`);
  return Math.min(o.maxLen, model.config.maxLen);
}

/**
 * Greedy decoding of a batch of sources src (B, S) (padded with the model's <pad>) → per sentence the produced
 * tokens, without <bos> and <eos>. With `state`, the caller gets the decoder state back (its recorded weights).
 */
export function greedyDecode(model: Seq2SeqTransformer, src: Tensor, o: DecodeOptions, state?: DecoderState): Int32Array[] {
  const T = steps(model, o);
  return inference(model, () => {
    const B = src.shape[0];
    const pad = model.paddingMask(src);
    const memory = model.encode(src, pad);                    // (B, S, d)
    const st = state ?? model.initState();
    const V = model.tgtVocabSize;
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Uint8Array(B);
    let left = B;
    const tokens = new Int32Array(B).fill(o.bos);
    for (let t = 0; t < T && left > 0; t++) {
      const logits = model.decodeStep(new Tensor(tokens.slice(), [B, 1]), memory, st, pad).data; // (B, 1, V)
      for (let b = 0; b < B; b++) {
        let best = 0, bv = -Infinity;
        for (let v = 0; v < V; v++) if (logits[b * V + v] > bv) { bv = logits[b * V + v]; best = v; }
        tokens[b] = best;
        if (done[b]) continue;
        if (best === o.eos) { done[b] = 1; left--; } else out[b].push(best);
      }
    }
    return out.map((x) => Int32Array.from(x));
  });
}

export interface Hypothesis {
  /** Without <bos> and <eos>. */
  tokens: Int32Array;
  /** Σ log p over the tokens and <eos> (if it ended). */
  logProb: number;
  /** logProb / length^α. */
  score: number;
}

/** log-softmax of row r of a (rows, V) array, in float64. */
function logSoftmaxRow(x: Float32Array | Float64Array, r: number, V: number): Float64Array {
  const out = new Float64Array(V);
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, x[r * V + v]);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(x[r * V + v] - m);
  const lse = m + Math.log(s);
  for (let v = 0; v < V; v++) out[v] = x[r * V + v] - lse;
  return out;
}

/** Beam search for one source sentence src (S) → the best finished hypothesis. */
export function beamSearch(model: Seq2SeqTransformer, src: Int32Array, o: BeamOptions): Hypothesis {
  const K = o.beamWidth;
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamSearch: beamWidth must be a positive integer, got ${K}`);
  if (!(o.lengthPenalty >= 0)) throw new Error(`beamSearch: lengthPenalty must be >= 0, got ${o.lengthPenalty}`);
  const T = steps(model, o);
  const norm = (logProb: number, len: number) => logProb / Math.pow(len, o.lengthPenalty);
  return inference(model, () => {
    const x = new Tensor(src, [1, src.length]);
    let pad = model.paddingMask(x);
    let memory = model.encode(x, pad);                          // (1, S, d), one row per live beam later
    const state = model.initState();
    const V = model.tgtVocabSize;
    let beams: { tokens: number[]; logProb: number }[] = [{ tokens: [], logProb: 0 }];
    const finished: Hypothesis[] = [];
    for (let t = 0; t < T; t++) {
      const last = Int32Array.from(beams, (b) => (b.tokens.length ? b.tokens[b.tokens.length - 1] : o.bos));
      const logits = model.decodeStep(new Tensor(last, [beams.length, 1]), memory, state, pad).data; // (K', 1, V)
      // the 2K best continuations over all beams, best first (ties: earlier beam, smaller token id)
      const cand: { k: number; v: number; lp: number }[] = [];
      for (let k = 0; k < beams.length; k++) {
        const lp = logSoftmaxRow(logits as Float32Array, k, V);
        for (let v = 0; v < V; v++) {
          const s = beams[k].logProb + lp[v];
          if (cand.length === 2 * K && s <= cand[cand.length - 1].lp) continue;
          let i = cand.length;
          while (i > 0 && cand[i - 1].lp < s) i--;
          cand.splice(i, 0, { k, v, lp: s });
          if (cand.length > 2 * K) cand.pop();
        }
      }
      const next: { tokens: number[]; logProb: number }[] = [], parents: number[] = [];
      for (const c of cand) {
        if (next.length === K) break;
        const tokens = [...beams[c.k].tokens, c.v];
        if (c.v === o.eos) finished.push({ tokens: Int32Array.from(tokens.slice(0, -1)), logProb: c.lp, score: norm(c.lp, tokens.length) });
        else { next.push({ tokens, logProb: c.lp }); parents.push(c.k); }
      }
      if (finished.length >= K || next.length === 0) { beams = []; break; }
      // every cache row follows its beam's parent
      const idx = new Tensor(Int32Array.from(parents), [parents.length]);
      state.select(idx);
      memory = indexSelect(memory, 0, idx);
      pad = indexSelect(pad, 0, idx);
      beams = next;
    }
    // out of steps: the live prefixes count as they are
    for (const b of beams) finished.push({ tokens: Int32Array.from(b.tokens), logProb: b.logProb, score: norm(b.logProb, b.tokens.length) });
    let best = finished[0];
    for (const h of finished) if (h.score > best.score) best = h;
    return best;
  });
}

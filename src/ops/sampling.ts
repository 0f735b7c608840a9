// Drawing tokens: torch.topk, torch.multinomial (seeded, from random.ts's Generator), and sampleLogits, the one
// next-token rule every language model's generation uses: temperature, then top-k, then top-p (nucleus), then a
// multinomial draw. All work row by row over the last axis; the arithmetic is float64.
import { Tensor } from '../tensor-core.ts';
import { shapeStr } from '../backend/types.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { gather } from './indexing.ts';
import { normalizeDim } from './base.ts';
import { permute } from './shape.ts';

/** x with axis `from` moved to position `to` (the others keep their order). */
function movedim(x: Tensor, from: number, to = x.ndim - 1): Tensor {
  const axes = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => i !== from);
  axes.splice(to, 0, from);
  return permute(x, axes);
}

/** Row indices sorted by value, largest first (NaN counts as largest, as in torch.sort); ties keep index order. */
function order(row: ArrayLike<number>, largest: boolean): Int32Array {
  const idx = new Int32Array(row.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const key = (i: number) => { const v = row[i]; return Number.isNaN(v) ? Infinity : largest ? v : -v; };
  return idx.sort((a, b) => (key(b) - key(a)) || (a - b));
}

/**
 * torch.topk: the k largest (or smallest) entries along `dim` → [values, indices], sorted (largest first when
 * largest). Values carry the gradient (a gather of x at the indices); indices are int32.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  const op = 'topk';
  if (x.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32 (shape ${shapeStr(x.shape)})`);
  if (x.ndim === 0) throw new Error(`${op}: input must have at least one dimension, got shape []`);
  const a = normalizeDim(op, x.ndim, dim);
  const n = x.shape[a];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`${op}: k must be an integer in [0, ${n}] for dim ${a} of shape ${shapeStr(x.shape)}, got ${k}`);
  // rows along the last axis: move `dim` last, sort each row, move back
  const xl = movedim(x, a);
  const rows = xl.size / n;
  const idx = new Int32Array(rows * k);
  const d = xl.data;
  for (let r = 0; r < rows; r++) idx.set(order(d.subarray(r * n, (r + 1) * n), largest).subarray(0, k), r * k);
  const idxLast = new Tensor(idx, [...xl.shape.slice(0, -1), k]);
  const indices = movedim(idxLast, x.ndim - 1, a);
  return [gather(x, a, indices), indices];
}

function checkProbs(op: string, p: ArrayLike<number>, row: number, shape: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!(v >= 0) || v === Infinity) throw new Error(`${op}: probabilities must be finite and ≥ 0, got ${v} at row ${row}, index ${i} (shape ${shapeStr(shape)})`);
    total += v;
  }
  if (!(total > 0)) throw new Error(`${op}: row ${row} of the probabilities sums to 0 (shape ${shapeStr(shape)})`);
  return total;
}

/** One draw from unnormalised weights w (total Σw): the first i with Σ_{j≤i} w_j > u·total. */
function draw(w: ArrayLike<number>, total: number, g: Generator): number {
  const u = g.random() * total;
  let acc = 0, last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = i;
    if (u < acc) return i;
  }
  return last; // u·total rounded up to the total: the last index with weight
}

export interface MultinomialOptions {
  replacement?: boolean;
  generator?: Generator;
}

/**
 * torch.multinomial: `numSamples` indices per row of probs (V) or (B, V), drawn in proportion to the (unnormalised,
 * non-negative) weights, from `generator` (the default one when absent). Without replacement an index is drawn at
 * most once, so numSamples ≤ the number of non-zero weights. → int32 (numSamples) or (B, numSamples).
 */
export function multinomial(probs: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  const op = 'multinomial';
  if (probs.dtype === 'int32') throw new Error(`${op}: expected float probabilities, got int32 (shape ${shapeStr(probs.shape)})`);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`${op}: probabilities must be 1-D or 2-D, got shape ${shapeStr(probs.shape)}`);
  const V = probs.shape[probs.ndim - 1], B = probs.ndim === 2 ? probs.shape[0] : 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new Error(`${op}: numSamples must be a positive integer, got ${numSamples}`);
  const replacement = opts.replacement ?? false;
  const g = opts.generator ?? defaultGenerator;
  const out = new Int32Array(B * numSamples);
  for (let b = 0; b < B; b++) {
    const w = Float64Array.from(probs.data.subarray(b * V, (b + 1) * V));
    let total = checkProbs(op, w, b, probs.shape);
    if (!replacement) {
      let nonzero = 0;
      for (const v of w) if (v > 0) nonzero++;
      if (numSamples > nonzero) throw new Error(`${op}: cannot draw ${numSamples} samples without replacement from row ${b}, which has ${nonzero} non-zero weights`);
    }
    for (let s = 0; s < numSamples; s++) {
      const i = draw(w, total, g);
      out[b * numSamples + s] = i;
      if (!replacement) { total -= w[i]; w[i] = 0; if (!(total > 0)) total = w.reduce((acc, v) => acc + v, 0); }
    }
  }
  return new Tensor(out, probs.ndim === 2 ? [B, numSamples] : [numSamples]);
}

export interface SamplingOptions {
  /** Divides the logits. 0 means greedy (argmax); default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
  generator?: Generator;
}

/** Checks sampling options; the message names the option. */
export function checkSamplingOptions(o: SamplingOptions, vocabSize?: number): void {
  const t = o.temperature ?? 1, k = o.topK ?? 0, p = o.topP ?? 1;
  if (!(t >= 0) || t === Infinity) throw new Error(`sampling: temperature must be a finite number ≥ 0, got ${t}`);
  if (!Number.isInteger(k) || k < 0) throw new Error(`sampling: topK must be a non-negative integer, got ${k}`);
  if (vocabSize !== undefined && k > vocabSize) throw new Error(`sampling: topK ${k} exceeds the vocabulary of ${vocabSize} tokens`);
  if (!(p > 0 && p <= 1)) throw new Error(`sampling: topP must be in (0, 1], got ${p}`);
}

/**
 * The next token for each row of logits (V) or (B, V) → int32 () or (B):
 *   temperature 0: argmax (the first maximum);
 *   else  z = logits / temperature; keep the top k of z (topK); p = softmax(z over the kept tokens);
 *         keep the most likely tokens while their cumulative probability before each is < topP;
 *         draw one token from the kept p (renormalised) with `generator`.
 */
export function sampleLogits(logits: Tensor, opts: SamplingOptions = {}): Tensor {
  const op = 'sampleLogits';
  if (logits.dtype === 'int32') throw new Error(`${op}: expected float logits, got int32 (shape ${shapeStr(logits.shape)})`);
  if (logits.ndim !== 1 && logits.ndim !== 2) throw new Error(`${op}: logits must be (V) or (B, V), got shape ${shapeStr(logits.shape)}`);
  const V = logits.shape[logits.ndim - 1], B = logits.ndim === 2 ? logits.shape[0] : 1;
  if (V === 0) throw new Error(`${op}: empty vocabulary (shape ${shapeStr(logits.shape)})`);
  checkSamplingOptions(opts, V);
  const t = opts.temperature ?? 1, k = opts.topK || V, topP = opts.topP ?? 1;
  const g = opts.generator ?? defaultGenerator;
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const row = logits.data.subarray(b * V, (b + 1) * V);
    for (let i = 0; i < V; i++) if (Number.isNaN(row[i])) throw new Error(`${op}: logit ${i} of row ${b} is NaN`);
    if (t === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (row[i] > row[best]) best = i;
      out[b] = best;
      continue;
    }
    const ranked = order(row, true).subarray(0, k); // most likely first
    // softmax over the kept tokens, shifted by the largest logit
    const w = new Float64Array(k);
    let total = 0;
    for (let j = 0; j < k; j++) { w[j] = Math.exp((row[ranked[j]] - row[ranked[0]]) / t); total += w[j]; }
    let keep = k;
    if (topP < 1) {
      let cum = 0;
      for (let j = 0; j < k; j++) {
        if (cum >= topP * total) { keep = j; break; }
        cum += w[j];
      }
    }
    let kept = 0;
    for (let j = 0; j < keep; j++) kept += w[j];
    out[b] = ranked[draw(w.subarray(0, keep), kept, g)];
  }
  return new Tensor(out, logits.ndim === 2 ? [B] : []);
}

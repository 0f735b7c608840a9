// MultiheadAttention (torch.nn.MultiheadAttention) with PyTorch's parameter names (in_proj_weight, in_proj_bias,
// out_proj.weight, out_proj.bias), initialisation (xavier_uniform in_proj_weight, zero biases, out_proj weight
// as Linear) and math: per head softmax(q·kᵀ/√d + mask)·v, heads concatenated, then out_proj.
//
// Masks (our choice, documented here and on the options): keyPaddingMask and attnMask are BOOLEAN-STYLE —
// any dtype, a non-zero entry means "masked" (score → −3.4e38, i.e. weight 0), zero means "attend". This is torch's bool-mask
// meaning, and it also reads torch's additive {0, −∞} float masks correctly (−∞ is non-zero). Additive biases
// with other values go in attnBias, which is added to the scores (and is differentiable).
import { Tensor } from '../tensor.ts';
import { empty, shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { add, mul } from '../ops/elementwise.ts';
import { mean } from '../ops/reduce.ts';
import { narrow, permute, reshape, squeeze, transpose, unsqueeze } from '../ops/shape.ts';
import { matmul } from '../ops/matmul.ts';
import { softmax } from '../ops/softmax.ts';
import { dropout } from '../ops/dropout.ts';
import { Module, type Parameter } from './module.ts';
import { Linear, linear } from './linear.ts';
import { constant_, xavierUniform_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

/**
 * The score added at masked positions: the most negative float32, not −∞, so anomaly mode (which rejects ±∞)
 * stays usable with masks. exp of it underflows to exactly 0, so partly masked rows match PyTorch; a fully
 * masked row gets uniform weights instead of PyTorch's NaN.
 */
const MASKED = -3.4028234663852886e38;

export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights, in training mode. */
  dropout?: number;
  bias?: boolean;
  /** Inputs and output are (B, L, E) instead of (L, B, E). */
  batchFirst?: boolean;
  dropoutGenerator?: Generator;
}

export interface AttentionForwardOptions {
  /** (B, S) ((S) unbatched): non-zero = that key is padding and is ignored. */
  keyPaddingMask?: Tensor | null;
  /** (L, S) or (B·numHeads, L, S) ((numHeads, L, S) unbatched): non-zero = query i may not attend to key j. */
  attnMask?: Tensor | null;
  /** Float, added to the scores; same shapes as attnMask. For ALiBi-style or other additive masks. */
  attnBias?: Tensor | null;
  /** Mask key j > query i (a causal / look-ahead mask), combined with the other masks. */
  isCausal?: boolean;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the weights over heads to (B, L, S) (default true), else (B, numHeads, L, S). */
  averageAttnWeights?: boolean;
}

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly dropoutGenerator: Generator | undefined;
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    checkPositiveInt('MultiheadAttention', 'embedDim', embedDim);
    checkPositiveInt('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    this.dropoutGenerator = opts.dropoutGenerator;
    const bias = opts.bias ?? true;
    this.in_proj_weight = emptyParam([3 * embedDim, embedDim], opts);
    this.in_proj_bias = bias ? emptyParam([3 * embedDim], opts) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype: opts.dtype, generator: opts.generator });
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    xavierUniform_(this.in_proj_weight, 1, opts.generator);
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /**
   * query (L, B, E), key and value (S, B, E) — (B, ·, E) when batchFirst, (·, E) unbatched — → [output like query,
   * weights (B, L, S) averaged over heads, or null when needWeights is false].
   */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: AttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const E = this.embedDim, nH = this.numHeads, d = this.headDim;
    const desc = () => `query ${shapeStr(query.shape)}, key ${shapeStr(key.shape)}, value ${shapeStr(value.shape)}`;
    const nd = query.ndim;
    if ((nd !== 2 && nd !== 3) || key.ndim !== nd || value.ndim !== nd) throw new Error(`MultiheadAttention: query, key and value must all be 3-D (or all 2-D unbatched), got ${desc()}`);
    for (const t of [query, key, value]) if (t.shape[nd - 1] !== E) throw new Error(`MultiheadAttention: expected embedding size ${E} in the last dim, got ${desc()}`);
    const unbatched = nd === 2;
    const toSeqFirst = (t: Tensor) => (unbatched ? unsqueeze(t, 1) : this.batchFirst ? transpose(t, 0, 1) : t);
    const q = toSeqFirst(query), k = toSeqFirst(key), v = toSeqFirst(value);
    const [L, B] = q.shape, S = k.shape[0];
    if (k.shape[1] !== B || v.shape[1] !== B || v.shape[0] !== S) throw new Error(`MultiheadAttention: batch sizes or key/value lengths disagree: ${desc()}`);

    // input projections: rows [0, E) of in_proj are W_q, [E, 2E) W_k, [2E, 3E) W_v
    const W = this.in_proj_weight, b = this.in_proj_bias;
    const proj = (x: Tensor, i: number) => linear(x, narrow(W, 0, i * E, E), b ? narrow(b, 0, i * E, E) : null);
    // (L, B, E) → (B, nH, L, d); q is scaled by 1/√d before the product, as PyTorch does
    const qh = mul(permute(reshape(proj(q, 0), [L, B, nH, d]), [1, 2, 0, 3]), 1 / Math.sqrt(d));
    const khT = permute(reshape(proj(k, 1), [S, B, nH, d]), [1, 2, 3, 0]); // (B, nH, d, S)
    const vh = permute(reshape(proj(v, 2), [S, B, nH, d]), [1, 2, 0, 3]); // (B, nH, S, d)

    let scores = matmul(qh, khT); // (B, nH, L, S)
    const mask = this.maskTensor(opts, L, S, B, unbatched, q.dtype);
    if (mask) scores = add(scores, mask);
    if (opts.attnBias) scores = add(scores, this.headShaped('attnBias', opts.attnBias, L, S, B, unbatched));
    let attn = softmax(scores, -1);
    if (this.dropout > 0 && this.training) attn = dropout(attn, this.dropout, true, this.dropoutGenerator);

    const o = reshape(permute(matmul(attn, vh), [2, 0, 1, 3]), [L, B, E]); // heads concatenated per position
    let out = this.out_proj.forward(o);
    out = unbatched ? squeeze(out, 1) : this.batchFirst ? transpose(out, 0, 1) : out;
    if (!(opts.needWeights ?? true)) return [out, null];
    let weights = (opts.averageAttnWeights ?? true) ? mean(attn, 1) : attn;
    if (unbatched) weights = squeeze(weights, 0);
    return [out, weights];
  }

  /** attnMask/attnBias as (1 | B, 1 | nH, L, S), from (L, S) or (B·nH, L, S) ((nH, L, S) unbatched). */
  private headShaped(what: string, m: Tensor, L: number, S: number, B: number, unbatched: boolean): Tensor {
    if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) return reshape(m, [1, 1, L, S]);
    const n = unbatched ? this.numHeads : B * this.numHeads;
    if (m.ndim === 3 && m.shape[0] === n && m.shape[1] === L && m.shape[2] === S) return reshape(m, [B, this.numHeads, L, S]);
    throw new Error(`MultiheadAttention: ${what} must be (${L}, ${S}) or (${n}, ${L}, ${S}), got ${shapeStr(m.shape)}`);
  }

  /** The additive mask (0 or MASKED) combining keyPaddingMask, attnMask and isCausal; null when there is none. */
  private maskTensor(opts: AttentionForwardOptions, L: number, S: number, B: number, unbatched: boolean, dtype: 'float32' | 'float64' | 'int32'): Tensor | null {
    const kpm = opts.keyPaddingMask ?? null, causal = opts.isCausal ?? false;
    const am = opts.attnMask ? this.headShaped('attnMask', opts.attnMask, L, S, B, unbatched) : null;
    if (!kpm && !am && !causal) return null;
    if (kpm) {
      const want = unbatched ? [S] : [B, S];
      if (kpm.ndim !== want.length || kpm.shape.some((x, i) => x !== want[i])) {
        throw new Error(`MultiheadAttention: keyPaddingMask must be ${shapeStr(want)}, got ${shapeStr(kpm.shape)}`);
      }
    }
    const Bm = kpm || (am && am.shape[0] > 1) ? B : 1, Hm = am && am.shape[1] > 1 ? this.numHeads : 1, Lm = am || causal ? L : 1;
    const amB = am && am.shape[0] > 1, amH = am && am.shape[1] > 1;
    const out = new Tensor(empty(dtype, Bm * Hm * Lm * S), [Bm, Hm, Lm, S]);
    const o = out.data;
    let idx = 0;
    for (let b = 0; b < Bm; b++) {
      for (let h = 0; h < Hm; h++) {
        for (let i = 0; i < Lm; i++) {
          const aRow = am ? (((amB ? b : 0) * (amH ? this.numHeads : 1) + (amH ? h : 0)) * L + i) * S : 0;
          for (let j = 0; j < S; j++, idx++) {
            const masked = (kpm !== null && kpm.data[b * S + j] !== 0) || (am !== null && am.data[aRow + j] !== 0) || (causal && j > i);
            o[idx] = masked ? MASKED : 0;
          }
        }
      }
    }
    return out;
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}${this.batchFirst ? ', batch_first=True' : ''}`;
  }
}

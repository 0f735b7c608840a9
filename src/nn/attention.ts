// MultiheadAttention (torch.nn.MultiheadAttention) with PyTorch's parameter names (in_proj_weight, in_proj_bias,
// out_proj.weight, out_proj.bias), initialisation (xavier_uniform in_proj_weight, zero biases, out_proj weight
// as Linear) and math: per head softmax(q·kᵀ/√d + mask)·v, heads concatenated, then out_proj.
//
// Masks (our choice, documented here and on the options): keyPaddingMask and attnMask are BOOLEAN-STYLE —
// any dtype, a non-zero entry means "masked" (score → −3.4e38, the most negative float32, so weight 0), zero means
// "attend". This is torch's bool-mask meaning, and it also reads torch's additive {0, −∞} float masks correctly
// (−∞ is non-zero). The score is finite, not −∞, so anomaly mode stays usable with masks; a fully masked row gets
// uniform weights instead of PyTorch's NaN. Additive biases with other values go in attnBias, which is added to the
// scores (and is differentiable).
import type { Tensor } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import { defaultGenerator, type Generator } from '../random.ts';
import { mean } from '../ops/reduce.ts';
import { narrow, permute, squeeze } from '../ops/shape.ts';
import { attentionCore, type AttentionOperand } from '../ops/attention.ts';
import { Module, type Parameter } from './module.ts';
import { linear } from '../ops/linear.ts';
import { Linear } from './linear.ts';
import { constant_, xavierUniform_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

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
   *
   * Attention is one fused op over the nH·B matrices (ops/attention.ts), head-major (matrix h·B + b), reading the
   * heads in place from the projection (no split copy) and writing them in place into the (…, E) concatenation
   * out_proj reads (no merge copy). Self-attention (query, key and value the same tensor) projects q, k and v with
   * ONE GEMM and hands attention the packed result.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: AttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const E = this.embedDim, nH = this.numHeads, d = this.headDim;
    const desc = () => `query ${shapeStr(query.shape)}, key ${shapeStr(key.shape)}, value ${shapeStr(value.shape)}`;
    const nd = query.ndim;
    if ((nd !== 2 && nd !== 3) || key.ndim !== nd || value.ndim !== nd) throw new Error(`MultiheadAttention: query, key and value must all be 3-D (or all 2-D unbatched), got ${desc()}`);
    for (const t of [query, key, value]) if (t.shape[nd - 1] !== E) throw new Error(`MultiheadAttention: expected embedding size ${E} in the last dim, got ${desc()}`);
    const unbatched = nd === 2, bf = this.batchFirst && !unbatched;
    // (length, batch) of each input, whatever its layout
    const lenBatch = (t: Tensor): [number, number] => (unbatched ? [t.shape[0], 1] : bf ? [t.shape[1], t.shape[0]] : [t.shape[0], t.shape[1]]);
    const [L, B] = lenBatch(query), [S, Bk] = lenBatch(key), [Sv, Bv] = lenBatch(value);
    if (Bk !== B || Bv !== B || Sv !== S) throw new Error(`MultiheadAttention: batch sizes or key/value lengths disagree: ${desc()}`);
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm) {
      const want = unbatched ? [S] : [B, S];
      if (kpm.ndim !== want.length || kpm.shape.some((x, i) => x !== want[i])) {
        throw new Error(`MultiheadAttention: keyPaddingMask must be ${shapeStr(want)}, got ${shapeStr(kpm.shape)}`);
      }
    }
    const am = opts.attnMask ? this.headShaped('attnMask', opts.attnMask, L, S, B, unbatched) : null;
    const ab = opts.attnBias ? this.headShaped('attnBias', opts.attnBias, L, S, B, unbatched) : null;
    if (ab && ab.t.dtype !== query.dtype) throw new Error(`MultiheadAttention: attnBias must be ${query.dtype} like the query, got ${ab.t.dtype}`);

    // projection (…, groups·E): rows [0, E) of in_proj are W_q, [E, 2E) W_k, [2E, 3E) W_v
    const W = this.in_proj_weight, b = this.in_proj_bias;
    const project = (x: Tensor, first: number, groups: number) => {
      const all = first === 0 && groups === 3;
      return linear(x, all ? W : narrow(W, 0, first * E, groups * E), b ? (all ? b : narrow(b, 0, first * E, groups * E)) : null);
    };
    // group g of a projection with `groups` groups, in place: head h, batch b, position i, feature e sits at
    // g·E + h·d + e of row b·len + i (batch first) or i·B + b
    const operand = (slot: number, g: number, groups: number, len: number): AttentionOperand => {
      const w = groups * E;
      return { slot, offset: g * E, s0: d, s1: bf ? len * w : w, ld: bf ? w : B * w };
    };
    let inputs: Tensor[], operands: AttentionOperand[];
    if (query === key && key === value) {
      inputs = [project(query, 0, 3)];
      operands = [operand(0, 0, 3, L), operand(0, 1, 3, L), operand(0, 2, 3, L)];
    } else if (key === value) {
      inputs = [project(query, 0, 1), project(key, 1, 2)];
      operands = [operand(0, 0, 1, L), operand(1, 0, 2, S), operand(1, 1, 2, S)];
    } else {
      inputs = [project(query, 0, 1), project(key, 1, 1), project(value, 2, 1)];
      operands = [operand(0, 0, 1, L), operand(1, 0, 1, S), operand(2, 0, 1, S)];
    }

    const [o, w] = attentionCore('MultiheadAttention', inputs, operands[0], operands[1], operands[2], {
      d0: nH, d1: B, L, S, E: d, Ev: d, scale: 1 / Math.sqrt(d), causal: opts.isCausal ?? false,
      bias: ab?.t ?? null, biasStrides: ab?.strides ?? [],
      mask: am?.t ?? null, maskStrides: am?.strides ?? [], maskKeepsNonZero: false,
      padding: kpm, paddingStrides: [0, S, 0, 1],
      dropoutP: this.training ? this.dropout : 0, generator: this.dropoutGenerator ?? defaultGenerator,
      needWeights: opts.needWeights ?? true,
      // heads concatenated per position, in the input's layout: (B, L, nH·d) or (L, B, nH·d)
      out: { shape: unbatched ? [L, E] : bf ? [B, L, E] : [L, B, E], s0: d, s1: bf ? L * E : E, ld: bf ? E : B * E },
    });

    const out = this.out_proj.forward(o);
    if (!w) return [out, null];
    let weights = (opts.averageAttnWeights ?? true) ? mean(w, 0) : permute(w, [1, 0, 2, 3]); // (B, L, S) or (B, nH, L, S)
    if (unbatched) weights = squeeze(weights, 0);
    return [out, weights];
  }

  /**
   * attnMask/attnBias (L, S), or (B·nH, L, S) in torch's batch-major order ((nH, L, S) unbatched), with its element
   * strides over the (head, batch, L, S) axes attention runs on.
   */
  private headShaped(what: string, m: Tensor, L: number, S: number, B: number, unbatched: boolean): { t: Tensor; strides: number[] } {
    if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) return { t: m, strides: [0, 0, S, 1] };
    const n = unbatched ? this.numHeads : B * this.numHeads;
    if (m.ndim === 3 && m.shape[0] === n && m.shape[1] === L && m.shape[2] === S) return { t: m, strides: [L * S, this.numHeads * L * S, S, 1] };
    throw new Error(`MultiheadAttention: ${what} must be (${L}, ${S}) or (${n}, ${L}, ${S}), got ${shapeStr(m.shape)}`);
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}${this.batchFirst ? ', batch_first=True' : ''}`;
  }
}

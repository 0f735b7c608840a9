// Model 6 — the Transformer encoder-decoder (Vaswani et al. 2017) for translation, on nn.Transformer.
//
//   attention:  Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k + M)·V,   per head h: Q = X·W_Qʰ, K = Y·W_Kʰ, V = Y·W_Vʰ,
//               MultiHead(X, Y) = [head_1 … head_H]·W_O           (M: −∞ where a key is padding or in the future)
//   encoder:    e⁰ = √d·E_src[x] + P[0 … S)           (S source tokens; P learned or sinusoidal positions)
//               eˡ = LN(a + FF(a)),  a = LN(eˡ⁻¹ + MultiHead(eˡ⁻¹, eˡ⁻¹))        (post-norm; pre-norm optional)
//               memory = LN(e^N)
//   decoder:    d⁰ = √d·E_tgt[y] + P[0 … T)           (T target tokens: <bos> y_1 … y_{T−1})
//               s = LN(dˡ⁻¹ + MultiHead(dˡ⁻¹, dˡ⁻¹) with the look-ahead mask)
//               c = LN(s + MultiHead(s, memory))      (cross-attention: queries from the target, keys from the source)
//               dˡ = LN(c + FF(c));   logits = LN(d^N)·W_outᵀ + b
//   FF(x) = W₂·ReLU(W₁·x + b₁) + b₂
//
// Shapes through one layer, batch first (B sentences, S source and T target positions, d model width, H heads):
//   tokens (B, S) → embedded (B, S, d) → Q, K, V (B, S, d) viewed as H heads of d/H → scores (B·H, S, S)
//   → weights (B·H, S, S) → heads (B, S, d) → W_O (B, S, d) → FF (B, S, dff) → (B, S, d)
//   decoder self-attention scores (B·H, T, T), cross-attention scores (B·H, T, S); logits (B, T, V_tgt).
//
// Decoding runs the decoder incrementally: each step feeds only the newest token and reuses the earlier positions'
// keys and values (nn.TransformerDecoder.step), and the memory's cross-attention keys and values are projected once.
import { Tensor } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { mul } from '../ops/elementwise.ts';
import { reshape } from '../ops/shape.ts';
import { indexSelect } from '../ops/indexing.ts';
import { Module, Embedding, Linear } from '../nn/index.ts';
import { xavierUniform_ } from '../nn/init.ts';
import {
  Transformer, TransformerEncoder, TransformerDecoder, PositionalEncoding, LearnedPositionalEncoding, DecoderState,
  type Activation,
} from '../nn/transformer.ts';

export interface TransformerConfig {
  dModel: number;
  nhead: number;
  numEncoderLayers: number;
  numDecoderLayers: number;
  dimFeedforward: number;
  dropout: number;
  activation: 'relu' | 'gelu';
  /** Pre-norm layers (LayerNorm before each sublayer). */
  normFirst: boolean;
  /** 'learned' (bentrevett's tutorial) or 'sinusoidal' (Vaswani et al.). */
  positional: 'learned' | 'sinusoidal';
  /** Positions in the table: the longest source or target sequence (with <bos>/<eos>). */
  maxLen: number;
}

/** bentrevett/pytorch-seq2seq "Attention is all you need": 3+3 layers, d 256, 8 heads, FF 512, dropout 0.1. */
export const transformerDefaults: TransformerConfig = {
  dModel: 256, nhead: 8, numEncoderLayers: 3, numDecoderLayers: 3, dimFeedforward: 512, dropout: 0.1,
  activation: 'relu', normFirst: false, positional: 'learned', maxLen: 100,
};

export class Seq2SeqTransformer extends Module {
  readonly config: TransformerConfig;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  /** Index of <pad> in each vocabulary: padded source positions are masked as keys. */
  readonly srcPad: number;
  src_tok_emb: Embedding;
  tgt_tok_emb: Embedding;
  src_pos: Module;
  tgt_pos: Module;
  transformer: Transformer;
  generator: Linear;

  constructor(srcVocabSize: number, tgtVocabSize: number, srcPad: number, config: Partial<TransformerConfig> = {},
    opts: { generator?: Generator; dropoutGenerator?: Generator } = {}) {
    super();
    const c = { ...transformerDefaults, ...config };
    if (c.positional !== 'learned' && c.positional !== 'sinusoidal') throw new Error(`Seq2SeqTransformer: positional must be 'learned' or 'sinusoidal', got '${c.positional}'`);
    this.config = c;
    this.srcVocabSize = srcVocabSize;
    this.tgtVocabSize = tgtVocabSize;
    this.srcPad = srcPad;
    const g = opts.dropoutGenerator, generator = opts.generator;
    this.src_tok_emb = new Embedding(srcVocabSize, c.dModel, { generator });
    this.tgt_tok_emb = new Embedding(tgtVocabSize, c.dModel, { generator });
    const pos = () => c.positional === 'learned'
      ? new LearnedPositionalEncoding(c.dModel, { maxLen: c.maxLen, dropout: c.dropout, batchFirst: true, dropoutGenerator: g, generator })
      : new PositionalEncoding(c.dModel, { maxLen: c.maxLen, dropout: c.dropout, batchFirst: true, dropoutGenerator: g });
    this.src_pos = pos();
    this.tgt_pos = pos();
    this.transformer = new Transformer({
      dModel: c.dModel, nhead: c.nhead, numEncoderLayers: c.numEncoderLayers, numDecoderLayers: c.numDecoderLayers,
      dimFeedforward: c.dimFeedforward, dropout: c.dropout, activation: c.activation as Activation, normFirst: c.normFirst,
      batchFirst: true, generator, dropoutGenerator: g,
    });
    this.generator = new Linear(c.dModel, tgtVocabSize, { generator });
    // bentrevett's init: xavier-uniform for every matrix (embeddings and position tables included)
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p, 1, generator);
  }

  get encoder(): TransformerEncoder { return this.transformer.encoder as TransformerEncoder; }
  get decoder(): TransformerDecoder { return this.transformer.decoder as TransformerDecoder; }

  private checkTokens(what: string, x: Tensor, vocab: number): void {
    if (x.dtype !== 'int32' || x.ndim !== 2) throw new Error(`Seq2SeqTransformer: ${what} must be int32 token ids (B, length), got ${x.dtype} ${shapeStr(x.shape)}`);
    if (x.shape[1] === 0) throw new Error(`Seq2SeqTransformer: ${what} is empty (B, 0)`);
    for (const t of x.data) if (t < 0 || t >= vocab) throw new Error(`Seq2SeqTransformer: ${what} holds token ${t}, outside the vocabulary of ${vocab}`);
  }

  /** Source ids (B, S) → the key-padding mask (B, S): 1 where the source is <pad>. */
  paddingMask(src: Tensor): Tensor {
    const m = new Int32Array(src.size);
    for (let i = 0; i < m.length; i++) m[i] = src.data[i] === this.srcPad ? 1 : 0;
    return new Tensor(m, src.shape);
  }

  /** src (B, S) → memory (B, S, d). */
  encode(src: Tensor, srcPaddingMask: Tensor = this.paddingMask(src)): Tensor {
    this.checkTokens('src', src, this.srcVocabSize);
    const x = this.src_pos.forward(mul(this.src_tok_emb.forward(src), Math.sqrt(this.config.dModel))); // (B, S, d)
    return this.encoder.forward(x, { srcKeyPaddingMask: srcPaddingMask });
  }

  /**
   * tgt (B, T) (starting with <bos>), memory (B, S, d) → logits (B, T, V_tgt), each position seeing only earlier
   * ones. With `rows` (flat indices b·T + t), only those positions' logits: (rows, V_tgt) — training skips the
   * padding this way, where the output layer is the largest product.
   */
  decode(tgt: Tensor, memory: Tensor, srcPaddingMask: Tensor | null, rows: Tensor | null = null): Tensor {
    this.checkTokens('tgt', tgt, this.tgtVocabSize);
    const y = this.tgt_pos.forward(mul(this.tgt_tok_emb.forward(tgt), Math.sqrt(this.config.dModel))); // (B, T, d)
    const h = this.decoder.forward(y, memory, { tgtIsCausal: true, memoryKeyPaddingMask: srcPaddingMask }); // (B, T, d)
    if (!rows) return this.generator.forward(h);
    return this.generator.forward(indexSelect(reshape(h, [-1, this.config.dModel]), 0, rows)); // (rows, V)
  }

  /** Teacher forcing: src (B, S), tgt input (B, T) → logits (B, T, V_tgt), or (rows, V_tgt) for the positions `rows`. */
  forward(src: Tensor, tgt: Tensor, rows: Tensor | null = null): Tensor {
    const pad = this.paddingMask(src);
    return this.decode(tgt, this.encode(src, pad), pad, rows);
  }

  /** A fresh incremental-decoding state for decodeStep (optionally recording the cross-attention weights). */
  initState(recordCrossAttention = false): DecoderState {
    const s = this.decoder.initState();
    if (recordCrossAttention) for (const l of s.layers) l.crossWeights = [];
    return s;
  }

  /**
   * The next target tokens (B, Tn) after the state's positions → logits (B, Tn, V_tgt), reusing the cached keys and
   * values: the last Tn positions of decode() over the whole prefix.
   */
  decodeStep(tokens: Tensor, memory: Tensor, state: DecoderState, srcPaddingMask: Tensor | null): Tensor {
    this.checkTokens('tgt', tokens, this.tgtVocabSize);
    const y = (this.tgt_pos as PositionalEncoding).forward(mul(this.tgt_tok_emb.forward(tokens), Math.sqrt(this.config.dModel)), state.length);
    return this.generator.forward(this.decoder.step(y, memory, state, srcPaddingMask));
  }
}

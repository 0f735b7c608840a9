// Transformer layers (Vaswani et al. 2017) with torch.nn's names, arguments and state-dict layout (PyTorch 1.13):
// TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, Transformer; the
// sinusoidal and learned positional encodings; and the key/value cache that incremental decoding runs on.
//
//   encoder layer (post-norm):  x ← LN₁(x + Drop(SelfAttn(x)));  x ← LN₂(x + Drop(FF(x)))
//   encoder layer (norm first): x ← x + Drop(SelfAttn(LN₁(x)));  x ← x + Drop(FF(LN₂(x)))
//   decoder layer: the same with a cross-attention sublayer Drop(Attn(x, memory, memory)) and LN₃ between them
//   FF(x) = W₂·Drop(act(W₁·x + b₁)) + b₂
//
// Masks follow torch: an int32 mask is boolean (non-zero = this query may not attend to this key), a float mask
// is ADDED to the scores (a {0, −∞} mask such as generateSquareSubsequentMask's is read as boolean). Key-padding
// masks are boolean (non-zero = that key is padding). Unlike torch, a query row whose every key is masked attends
// uniformly instead of giving NaN (see nn/attention.ts).
import { Tensor } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { add, cast, gelu, mul, relu, sin, cos } from '../ops/elementwise.ts';
import { matmul } from '../ops/matmul.ts';
import { mean } from '../ops/reduce.ts';
import { softmax } from '../ops/softmax.ts';
import { cat, narrow, permute, reshape, transpose } from '../ops/shape.ts';
import { indexSelect } from '../ops/indexing.ts';
import { scaledDotProductAttention } from '../ops/attention.ts';
import { Module, type Parameter } from './module.ts';
import { ModuleList } from './container.ts';
import { Linear } from './linear.ts';
import { linear } from '../ops/linear.ts';
import { LayerNorm } from './norm.ts';
import { Dropout } from './embedding.ts';
import { MultiheadAttention, type AttentionForwardOptions } from './attention.ts';
import { normal_, xavierUniform_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerLayerOptions extends FactoryOptions {
  /** Width of the feed-forward sublayer (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention weights, inside the feed-forward sublayer and on each sublayer's output (default 0.1). */
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  /** Inputs and outputs are (B, T, E) instead of (T, B, E). */
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before each sublayer instead of after its residual sum. */
  normFirst?: boolean;
  /** Source of every dropout draw in the layer (default: the global generator). */
  dropoutGenerator?: Generator;
}

export interface EncoderForwardOptions {
  /** (S, S) or (B·nhead, S, S); int32 boolean or float additive. */
  srcMask?: Tensor | null;
  /** (B, S), non-zero = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Adds the look-ahead mask (key j > query i masked); torch 2's is_causal. */
  isCausal?: boolean;
}

export interface DecoderForwardOptions {
  /** (T, T) or (B·nhead, T, T) self-attention mask. */
  tgtMask?: Tensor | null;
  /** (T, S) or (B·nhead, T, S) cross-attention mask. */
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** torch's mask meanings as MultiheadAttention options: int32 and {0, −∞} masks are boolean, other floats additive. */
function maskOptions(mask: Tensor | null | undefined, isCausal: boolean | undefined, padding: Tensor | null | undefined): AttentionForwardOptions {
  const o: AttentionForwardOptions = { keyPaddingMask: padding ?? null, isCausal: isCausal ?? false, needWeights: false };
  if (!mask) return o;
  if (mask.dtype !== 'int32') {
    const d = mask.data;
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== 0 && d[i] !== -Infinity) { o.attnBias = mask; return o; }
    }
  }
  o.attnMask = mask;
  return o;
}

function activationFn(layer: string, a: Activation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  if (a === 'relu') return relu;
  if (a === 'gelu') return gelu;
  throw new Error(`${layer}: activation should be 'relu', 'gelu' or a function, got ${JSON.stringify(a)}`);
}

/** The options a layer was built with, completed with torch's defaults. */
function layerDefaults(layer: string, dModel: number, nhead: number, opts: TransformerLayerOptions): Required<Omit<TransformerLayerOptions, 'generator' | 'dropoutGenerator' | 'dtype'>> {
  checkPositiveInt(layer, 'dModel', dModel);
  checkPositiveInt(layer, 'nhead', nhead);
  const o = { dimFeedforward: 2048, dropout: 0.1, activation: 'relu' as Activation, layerNormEps: 1e-5, batchFirst: false, normFirst: false, ...opts };
  checkPositiveInt(layer, 'dimFeedforward', o.dimFeedforward);
  if (!(o.dropout >= 0 && o.dropout <= 1)) throw new Error(`${layer}: dropout must be in [0, 1], got ${o.dropout}`);
  return o;
}

/** Self-attention then a position-wise feed-forward network, each in a residual branch with LayerNorm. */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  private readonly options: TransformerLayerOptions;
  private readonly act: (x: Tensor) => Tensor;
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = layerDefaults('TransformerEncoderLayer', dModel, nhead, opts);
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = o.normFirst;
    this.batchFirst = o.batchFirst;
    this.options = { ...opts };
    this.act = activationFn('TransformerEncoderLayer', o.activation);
    const f = { dtype: opts.dtype, generator: opts.generator }, g = opts.dropoutGenerator;
    this.self_attn = new MultiheadAttention(dModel, nhead, { ...f, dropout: o.dropout, batchFirst: o.batchFirst, dropoutGenerator: g });
    this.linear1 = new Linear(dModel, o.dimFeedforward, f);
    this.dropout = new Dropout(o.dropout, g);
    this.linear2 = new Linear(o.dimFeedforward, dModel, f);
    this.norm1 = new LayerNorm(dModel, { ...f, eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { ...f, eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, g);
    this.dropout2 = new Dropout(o.dropout, g);
  }

  /** src (S, B, E) ((B, S, E) batch first, (S, E) unbatched) → the same shape. */
  forward(src: Tensor, opts: EncoderForwardOptions = {}): Tensor {
    const m = maskOptions(opts.srcMask, opts.isCausal, opts.srcKeyPaddingMask);
    // sublayer 1: self-attention;  sublayer 2: the feed-forward network
    const sa = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, m)[0]);
    const ff = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));  // x + Drop(SelfAttn(LN₁(x)))
      x = add(x, ff(this.norm2.forward(x)));  // x + Drop(FF(LN₂(x)))
    } else {
      x = this.norm1.forward(add(x, sa(x)));  // LN₁(x + Drop(SelfAttn(x)))
      x = this.norm2.forward(add(x, ff(x)));  // LN₂(x + Drop(FF(x)))
    }
    return x;
  }

  /** A copy with the same options and weights (torch's copy.deepcopy in TransformerEncoder). */
  clone(): TransformerEncoderLayer {
    const c = new TransformerEncoderLayer(this.dModel, this.nhead, { ...this.options, dtype: this.linear1.weight.dtype as 'float32' | 'float64' });
    c.loadStateDict(this.stateDict()); // copied into c's own storage
    return c;
  }
}

/** Self-attention (masked), cross-attention over the encoder's memory, then the feed-forward network. */
export class TransformerDecoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  private readonly options: TransformerLayerOptions;
  private readonly act: (x: Tensor) => Tensor;
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = layerDefaults('TransformerDecoderLayer', dModel, nhead, opts);
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = o.normFirst;
    this.batchFirst = o.batchFirst;
    this.options = { ...opts };
    this.act = activationFn('TransformerDecoderLayer', o.activation);
    const f = { dtype: opts.dtype, generator: opts.generator }, g = opts.dropoutGenerator;
    const mha = () => new MultiheadAttention(dModel, nhead, { ...f, dropout: o.dropout, batchFirst: o.batchFirst, dropoutGenerator: g });
    this.self_attn = mha();
    this.multihead_attn = mha();
    this.linear1 = new Linear(dModel, o.dimFeedforward, f);
    this.dropout = new Dropout(o.dropout, g);
    this.linear2 = new Linear(o.dimFeedforward, dModel, f);
    this.norm1 = new LayerNorm(dModel, { ...f, eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { ...f, eps: o.layerNormEps });
    this.norm3 = new LayerNorm(dModel, { ...f, eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, g);
    this.dropout2 = new Dropout(o.dropout, g);
    this.dropout3 = new Dropout(o.dropout, g);
  }

  /** tgt (T, B, E), memory (S, B, E) ((B, ·, E) batch first, (·, E) unbatched) → (T, B, E). */
  forward(tgt: Tensor, memory: Tensor, opts: DecoderForwardOptions = {}): Tensor {
    const ms = maskOptions(opts.tgtMask, opts.tgtIsCausal, opts.tgtKeyPaddingMask);
    const mc = maskOptions(opts.memoryMask, opts.memoryIsCausal, opts.memoryKeyPaddingMask);
    const sa = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, ms)[0]);
    const ca = (x: Tensor) => this.dropout2.forward(this.multihead_attn.forward(x, memory, memory, mc)[0]);
    let x = tgt;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));
      x = add(x, ca(this.norm2.forward(x)));
      x = add(x, this.ff(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(add(x, sa(x)));
      x = this.norm2.forward(add(x, ca(x)));
      x = this.norm3.forward(add(x, this.ff(x)));
    }
    return x;
  }

  private ff(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x)))));
  }

  /**
   * Incremental decoding: tgt holds the NEW positions only, batch first (B, Tn, E); the self-attention keys and
   * values of the earlier positions come from state.self (and the new ones are appended), the cross-attention
   * keys and values of the memory (B, S, E) are projected once into state.cross. Returns (B, Tn, E), equal to the
   * last Tn positions of forward() over the whole prefix with the look-ahead mask (eval mode).
   */
  step(tgt: Tensor, memory: Tensor, state: DecoderLayerState, memoryKeyPaddingMask: Tensor | null = null): Tensor {
    const sa = (x: Tensor) => this.dropout1.forward(cachedSelfAttention(this.self_attn, x, state.self));
    const ca = (x: Tensor) => {
      state.cross ??= projectMemory(this.multihead_attn, memory);
      return this.dropout2.forward(cachedCrossAttention(this.multihead_attn, x, state.cross, memoryKeyPaddingMask, state.crossWeights ?? null));
    };
    let x = tgt;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.forward(x)));
      x = add(x, ca(this.norm2.forward(x)));
      x = add(x, this.ff(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(add(x, sa(x)));
      x = this.norm2.forward(add(x, ca(x)));
      x = this.norm3.forward(add(x, this.ff(x)));
    }
    return x;
  }

  clone(): TransformerDecoderLayer {
    const c = new TransformerDecoderLayer(this.dModel, this.nhead, { ...this.options, dtype: this.linear1.weight.dtype as 'float32' | 'float64' });
    c.loadStateDict(this.stateDict()); // copied into c's own storage
    return c;
  }
}

/** numLayers copies of encoderLayer (each starting from its weights, as torch's deepcopy), then an optional norm. */
export class TransformerEncoder extends Module {
  readonly numLayers: number;
  layers: ModuleList<TransformerEncoderLayer>;
  norm: Module | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, norm: Module | null = null) {
    super();
    checkPositiveInt('TransformerEncoder', 'numLayers', numLayers);
    if (!(encoderLayer instanceof TransformerEncoderLayer)) throw new Error('TransformerEncoder: encoderLayer must be a TransformerEncoderLayer');
    this.numLayers = numLayers;
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = norm;
  }

  forward(src: Tensor, opts: EncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, opts);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** Per decoder layer: the self-attention cache and the projected memory. */
export interface DecoderLayerState {
  self: KVCache;
  cross: { k: Tensor; v: Tensor } | null;
  /** When an array, each step appends its cross-attention weights averaged over heads, (B, Tn, S). */
  crossWeights?: Tensor[] | null;
}

/** The incremental decoder's state: one entry per layer, and how many target positions it has seen. */
export class DecoderState {
  readonly layers: DecoderLayerState[];

  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => ({ self: new KVCache(), cross: null }));
  }

  /** Positions decoded so far. */
  get length(): number {
    return this.layers[0].self.length;
  }

  /** Keeps batch rows `index` (int32, any length): beam search's reordering of hypotheses. */
  select(index: Tensor): void {
    for (const l of this.layers) {
      l.self.select(index);
      if (l.cross) l.cross = { k: indexSelect(l.cross.k, 0, index), v: indexSelect(l.cross.v, 0, index) };
      if (l.crossWeights) l.crossWeights = l.crossWeights.map((w) => indexSelect(w, 0, index));
    }
  }
}

export class TransformerDecoder extends Module {
  readonly numLayers: number;
  layers: ModuleList<TransformerDecoderLayer>;
  norm: Module | null;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, norm: Module | null = null) {
    super();
    checkPositiveInt('TransformerDecoder', 'numLayers', numLayers);
    if (!(decoderLayer instanceof TransformerDecoderLayer)) throw new Error('TransformerDecoder: decoderLayer must be a TransformerDecoderLayer');
    this.numLayers = numLayers;
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => decoderLayer.clone()));
    this.norm = norm;
  }

  forward(tgt: Tensor, memory: Tensor, opts: DecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, opts);
    return this.norm ? this.norm.forward(x) : x;
  }

  /** A fresh incremental-decoding state for step(). */
  initState(): DecoderState {
    return new DecoderState(this.numLayers);
  }

  /**
   * tgt: the new positions (B, Tn, E), batch first whatever the layers' layout; memory (B, S, E). Advances the
   * state and returns the output for the new positions (B, Tn, E), after the final norm.
   */
  step(tgt: Tensor, memory: Tensor, state: DecoderState, memoryKeyPaddingMask: Tensor | null = null): Tensor {
    if (tgt.ndim !== 3 || memory.ndim !== 3 || tgt.shape[0] !== memory.shape[0]) {
      throw new Error(`TransformerDecoder.step: expected batch-first tgt (B, Tn, E) and memory (B, S, E), got tgt ${shapeStr(tgt.shape)}, memory ${shapeStr(memory.shape)}`);
    }
    if (state.layers.length !== this.numLayers) throw new Error(`TransformerDecoder.step: the state has ${state.layers.length} layers, the decoder ${this.numLayers}`);
    let x = tgt, i = 0;
    for (const layer of this.layers) x = layer.step(x, memory, state.layers[i++], memoryKeyPaddingMask);
    return this.norm ? this.norm.forward(x) : x;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module | null;
  customDecoder?: Module | null;
}

export interface TransformerForwardOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  srcIsCausal?: boolean;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/**
 * The encoder-decoder of "Attention is all you need" (torch.nn.Transformer): encoder and decoder stacks, each
 * ending in a LayerNorm. Every parameter with more than one dimension is re-initialised xavier-uniform, as torch does.
 */
export class Transformer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  encoder: Module;
  decoder: Module;

  constructor(opts: TransformerOptions = {}) {
    super();
    const dModel = opts.dModel ?? 512, nhead = opts.nhead ?? 8;
    const f = { dtype: opts.dtype, generator: opts.generator };
    const eps = opts.layerNormEps ?? 1e-5;
    this.encoder = opts.customEncoder ?? new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, opts), opts.numEncoderLayers ?? 6, new LayerNorm(dModel, { ...f, eps }));
    this.decoder = opts.customDecoder ?? new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, opts), opts.numDecoderLayers ?? 6, new LayerNorm(dModel, { ...f, eps }));
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p, 1, opts.generator);
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = opts.batchFirst ?? false;
  }

  /** src (S, B, E), tgt (T, B, E) (batch first: (B, ·, E); unbatched: (·, E)) → (T, B, E). */
  forward(src: Tensor, tgt: Tensor, opts: TransformerForwardOptions = {}): Tensor {
    const batched = src.ndim === 3;
    const bDim = this.batchFirst ? 0 : 1;
    if (batched && tgt.ndim === 3 && src.shape[bDim] !== tgt.shape[bDim]) {
      throw new Error(`Transformer: the batch sizes of src ${shapeStr(src.shape)} and tgt ${shapeStr(tgt.shape)} differ (batch dim ${bDim})`);
    }
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new Error(`Transformer: the feature size of src ${shapeStr(src.shape)} and tgt ${shapeStr(tgt.shape)} must be dModel ${this.dModel}`);
    }
    const memory = this.encoder.forward(src, { srcMask: opts.srcMask, srcKeyPaddingMask: opts.srcKeyPaddingMask, isCausal: opts.srcIsCausal });
    return this.decoder.forward(tgt, memory, {
      tgtMask: opts.tgtMask, memoryMask: opts.memoryMask, tgtKeyPaddingMask: opts.tgtKeyPaddingMask,
      memoryKeyPaddingMask: opts.memoryKeyPaddingMask, tgtIsCausal: opts.tgtIsCausal, memoryIsCausal: opts.memoryIsCausal,
    });
  }

  /** (sz, sz) float: 0 on and below the diagonal, −∞ above (position i may not attend to j > i). */
  static generateSquareSubsequentMask(sz: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
    checkPositiveInt('Transformer.generateSquareSubsequentMask', 'sz', sz);
    const d = dtype === 'float64' ? new Float64Array(sz * sz) : new Float32Array(sz * sz);
    for (let i = 0; i < sz; i++) for (let j = i + 1; j < sz; j++) d[i * sz + j] = -Infinity;
    return new Tensor(d, [sz, sz]);
  }
}

// ---------------------------------------------------------------- positional encodings

/** Checks a (B, T, E) or (T, B, E) input against a table of maxLen positions; returns T. */
function positions(who: string, x: Tensor, batchFirst: boolean, dModel: number, maxLen: number, offset: number): number {
  if (x.ndim !== 3 || x.shape[2] !== dModel) throw new Error(`${who}: expected input (${batchFirst ? 'B, T' : 'T, B'}, ${dModel}), got ${shapeStr(x.shape)}`);
  const T = x.shape[batchFirst ? 1 : 0];
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`${who}: offset must be a non-negative integer, got ${offset}`);
  if (offset + T > maxLen) {
    throw new Error(`${who}: positions ${offset}..${offset + T - 1} do not fit the table of ${maxLen} positions (a sequence of ${offset + T} is too long)`);
  }
  return T;
}

/** Adds table rows [offset, offset + T) to x, broadcast over the batch. */
function addRows(x: Tensor, table: Tensor, offset: number, T: number, batchFirst: boolean): Tensor {
  const rows = narrow(table, 0, offset, T); // (T, E)
  return add(x, batchFirst ? rows : reshape(rows, [T, 1, table.shape[1]]));
}

export interface PositionalEncodingOptions {
  maxLen?: number;
  dropout?: number;
  batchFirst?: boolean;
  dtype?: 'float32' | 'float64';
  dropoutGenerator?: Generator;
}

/**
 * Sinusoidal positions (Vaswani et al. 2017 §3.5), added to the input, then dropout:
 *   PE(p, 2i) = sin(p / 10000^(2i/d)),  PE(p, 2i+1) = cos(p / 10000^(2i/d))
 * The table `pe` (maxLen, d) is a non-persistent buffer: it is computed, never learned or saved.
 */
export class PositionalEncoding extends Module {
  readonly dModel: number;
  readonly maxLen: number;
  readonly batchFirst: boolean;
  declare pe: Tensor;
  drop: Dropout;

  constructor(dModel: number, opts: PositionalEncodingOptions = {}) {
    super();
    checkPositiveInt('PositionalEncoding', 'dModel', dModel);
    this.dModel = dModel;
    this.maxLen = opts.maxLen ?? 5000;
    checkPositiveInt('PositionalEncoding', 'maxLen', this.maxLen);
    this.batchFirst = opts.batchFirst ?? false;
    const L = this.maxLen;
    // angle(p, i) = p · 10000^(−2⌊i/2⌋/d), computed in float64
    const angle = new Float64Array(L * dModel);
    for (let p = 0; p < L; p++) for (let i = 0; i < dModel; i++) angle[p * dModel + i] = p * Math.exp(-(2 * Math.floor(i / 2)) * Math.log(10000) / dModel);
    const a = new Tensor(angle, [L, dModel]);
    const s = sin(a), c = cos(a);
    const pe = opts.dtype === 'float64' ? new Float64Array(L * dModel) : new Float32Array(L * dModel);
    for (let k = 0; k < pe.length; k++) pe[k] = (k % dModel) % 2 === 0 ? s.data[k] : c.data[k];
    this.registerBuffer('pe', new Tensor(pe, [L, dModel]), false);
    this.drop = new Dropout(opts.dropout ?? 0, opts.dropoutGenerator);
  }

  /** x (T, B, E) or (B, T, E) batch first → x + PE[offset … offset + T), then dropout. */
  forward(x: Tensor, offset = 0): Tensor {
    const T = positions('PositionalEncoding', x, this.batchFirst, this.dModel, this.maxLen, offset);
    return this.drop.forward(addRows(x, this.pe, offset, T, this.batchFirst));
  }

  override extraRepr(): string {
    return `d_model=${this.dModel}, max_len=${this.maxLen}`;
  }
}

/** Learned positions: a (maxLen, d) table `weight` ~ N(0, 1) (as nn.Embedding), added to the input, then dropout. */
export class LearnedPositionalEncoding extends Module {
  readonly dModel: number;
  readonly maxLen: number;
  readonly batchFirst: boolean;
  weight: Parameter;
  drop: Dropout;

  constructor(dModel: number, opts: PositionalEncodingOptions & FactoryOptions = {}) {
    super();
    checkPositiveInt('LearnedPositionalEncoding', 'dModel', dModel);
    this.dModel = dModel;
    this.maxLen = opts.maxLen ?? 512;
    checkPositiveInt('LearnedPositionalEncoding', 'maxLen', this.maxLen);
    this.batchFirst = opts.batchFirst ?? false;
    this.weight = emptyParam([this.maxLen, dModel], opts);
    normal_(this.weight, 0, 1, opts.generator);
    this.drop = new Dropout(opts.dropout ?? 0, opts.dropoutGenerator);
  }

  forward(x: Tensor, offset = 0): Tensor {
    const T = positions('LearnedPositionalEncoding', x, this.batchFirst, this.dModel, this.maxLen, offset);
    return this.drop.forward(addRows(x, this.weight, offset, T, this.batchFirst));
  }

  override extraRepr(): string {
    return `d_model=${this.dModel}, max_len=${this.maxLen}`;
  }
}

// ---------------------------------------------------------------- incremental attention

/** Keys and values of the positions seen so far, (B, nH, T, d) each; grows by concatenation along T. */
export class KVCache {
  k: Tensor | null = null;
  v: Tensor | null = null;

  get length(): number {
    return this.k ? this.k.shape[2] : 0;
  }

  /** Appends (B, nH, Tn, d) keys and values; returns the whole (B, nH, T, d) pair. */
  append(k: Tensor, v: Tensor): [Tensor, Tensor] {
    this.k = this.k ? cat([this.k, k], 2) : k;
    this.v = this.v ? cat([this.v, v], 2) : v;
    return [this.k, this.v];
  }

  /** Keeps batch rows `index` (beam search). */
  select(index: Tensor): void {
    if (this.k) this.k = indexSelect(this.k, 0, index);
    if (this.v) this.v = indexSelect(this.v, 0, index);
  }

  clear(): void {
    this.k = this.v = null;
  }
}

/** (B, T, nH·d) → (B, nH, T, d) */
export function splitHeads(x: Tensor, nH: number): Tensor {
  const [B, T, E] = x.shape;
  return permute(reshape(x, [B, T, nH, E / nH]), [0, 2, 1, 3]);
}

/** (B, nH, T, d) → (B, T, nH·d) */
export function mergeHeads(x: Tensor): Tensor {
  const [B, nH, T, d] = x.shape;
  return reshape(transpose(x, 1, 2), [B, T, nH * d]);
}

/**
 * Attention of Tn new queries at positions P … P+Tn−1 over keys 0 … P+Tn−1 (the cache plus themselves): key j is
 * visible to new query i when j ≤ P + i. q, k, v (B, nH, ·, d). An int32 keep-mask when Tn > 1 (sdpa's isCausal
 * aligns top-left, which is only right when there is no cache).
 */
export function causalCachedAttention(q: Tensor, cache: KVCache, k: Tensor, v: Tensor): Tensor {
  const [K, V] = cache.append(k, v);
  const Tn = q.shape[2], S = K.shape[2], P = S - Tn;
  if (Tn === 1) return scaledDotProductAttention(q, K, V);
  const keep = new Int32Array(Tn * S);
  for (let i = 0; i < Tn; i++) keep.fill(1, i * S, i * S + P + i + 1);
  return scaledDotProductAttention(q, K, V, { attnMask: new Tensor(keep, [Tn, S]) });
}

/** The rows [g·E, (g+n)·E) of MultiheadAttention's packed projection. */
function projection(mha: MultiheadAttention, x: Tensor, g: number, n: number): Tensor {
  const E = mha.embedDim, b = mha.in_proj_bias;
  return linear(x, narrow(mha.in_proj_weight, 0, g * E, n * E), b ? narrow(b, 0, g * E, n * E) : null);
}

/** Self-attention of the new positions x (B, Tn, E) through mha's weights, with the earlier keys/values cached. */
export function cachedSelfAttention(mha: MultiheadAttention, x: Tensor, cache: KVCache): Tensor {
  const E = mha.embedDim, nH = mha.numHeads;
  const qkv = linear(x, mha.in_proj_weight, mha.in_proj_bias);                   // (B, Tn, 3E)
  const [q, k, v] = [0, 1, 2].map((g) => splitHeads(narrow(qkv, 2, g * E, E), nH)); // (B, nH, Tn, d) each
  const o = causalCachedAttention(q, cache, k, v);                                 // (B, nH, Tn, d)
  return mha.out_proj.forward(mergeHeads(o));                                      // (B, Tn, E)
}

/** The memory's cross-attention keys and values, (B, nH, S, d) each: computed once per source sentence. */
export function projectMemory(mha: MultiheadAttention, memory: Tensor): { k: Tensor; v: Tensor } {
  const E = mha.embedDim, nH = mha.numHeads;
  const kv = projection(mha, memory, 1, 2); // (B, S, 2E)
  return { k: splitHeads(narrow(kv, 2, 0, E), nH), v: splitHeads(narrow(kv, 2, E, E), nH) };
}

/**
 * Cross-attention of the new positions x (B, Tn, E) over projected memory keys/values. With `record`, the weights
 * softmax(q·kᵀ/√d) averaged over heads, (B, Tn, S), are appended to it (for pictures; computed a second time).
 */
export function cachedCrossAttention(mha: MultiheadAttention, x: Tensor, kv: { k: Tensor; v: Tensor }, memoryKeyPaddingMask: Tensor | null,
  record: Tensor[] | null = null): Tensor {
  const q = splitHeads(projection(mha, x, 0, 1), mha.numHeads);                       // (B, nH, Tn, d)
  const o = scaledDotProductAttention(q, kv.k, kv.v, { keyPaddingMask: memoryKeyPaddingMask }); // (B, nH, Tn, d)
  if (record) {
    let scores = mul(matmul(q, transpose(kv.k, 2, 3)), 1 / Math.sqrt(q.shape[3]));    // (B, nH, Tn, S)
    if (memoryKeyPaddingMask) {
      const [B, S] = memoryKeyPaddingMask.shape, neg = new Float32Array(B * S);
      for (let i = 0; i < neg.length; i++) neg[i] = memoryKeyPaddingMask.data[i] ? -Infinity : 0;
      scores = add(scores, cast(new Tensor(neg, [B, 1, 1, S]), scores.dtype));
    }
    record.push(mean(softmax(scores, -1), 1));                                          // (B, Tn, S)
  }
  return mha.out_proj.forward(mergeHeads(o));
}

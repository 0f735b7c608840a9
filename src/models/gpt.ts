// Model 6b — a decoder-only Transformer language model (GPT; Radford et al. 2018), read small to large as in
// nanoGPT: attention → MLP → Block → config → GPT. Tokens x_1 … x_T, each position sees only itself and earlier ones:
//   h⁰_t = W_te[x_t] + W_pe[t]
//   a    = h + CausalSelfAttention(LN₁(h))       attention: softmax(q·kᵀ/√d + causal mask)·v per head
//   h'   = a + MLP(LN₂(a))                        MLP(x) = W₂·GELU(W₁·x)
//   logits_t = LN_f(h^L_t) · W_teᵀ               (the output layer shares the token embedding's weights)
// Trained to predict x_{t+1} from x_1 … x_t at every position at once. Generation feeds one token at a time through
// a key/value cache: only the new position is computed (stream()).
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { add, gelu } from '../ops/elementwise.ts';
import { narrow } from '../ops/shape.ts';
import { packedSelfAttention } from '../ops/attention.ts';
import { Module, ModuleDict, ModuleList, Linear, Embedding, LayerNorm, Dropout } from '../nn/index.ts';
import { normal_, zeros_ } from '../nn/init.ts';
import { KVCache, causalCachedAttention, mergeHeads, splitHeads } from '../nn/transformer.ts';
import type { LanguageModel, TokenStream } from './lm.ts';

export interface GPTConfig {
  /** The longest context: positions 0 … blockSize − 1 have embeddings. */
  blockSize: number;
  vocabSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
  /** Biases in the Linear layers and LayerNorms (nanoGPT's default: none). */
  bias: boolean;
}

/** nanoGPT's shakespeare_char configuration for a CPU (its README): 4 layers, 4 heads, d 128, block 64, no dropout. */
export const gptDefaults: GPTConfig = { blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false };

/** Multi-head masked self-attention; q, k and v from one projection c_attn, heads read in place. */
export class CausalSelfAttention extends Module {
  readonly nHead: number;
  c_attn: Linear;
  c_proj: Linear;
  resid_dropout: Dropout;
  private readonly dropoutP: number;
  private readonly generator: Generator | undefined;

  constructor(cfg: GPTConfig, generator?: Generator) {
    super();
    if (cfg.nEmbd % cfg.nHead !== 0) throw new Error(`GPT: nEmbd ${cfg.nEmbd} must be divisible by nHead ${cfg.nHead}`);
    this.nHead = cfg.nHead;
    this.c_attn = new Linear(cfg.nEmbd, 3 * cfg.nEmbd, { bias: cfg.bias });
    this.c_proj = new Linear(cfg.nEmbd, cfg.nEmbd, { bias: cfg.bias });
    this.resid_dropout = new Dropout(cfg.dropout, generator);
    this.dropoutP = cfg.dropout;
    this.generator = generator;
  }

  /** x (B, T, E) → (B, T, E) */
  forward(x: Tensor): Tensor {
    const qkv = this.c_attn.forward(x);                                 // (B, T, 3E) = [q | k | v]
    const y = packedSelfAttention(qkv, this.nHead, {                    // (B, T, E): heads side by side
      isCausal: true, dropoutP: this.training ? this.dropoutP : 0, generator: this.generator,
    });
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }

  /** The new positions x (B, Tn, E), attending to the cached earlier ones; appends their keys and values. */
  step(x: Tensor, cache: KVCache): Tensor {
    const E = x.shape[2];
    const qkv = this.c_attn.forward(x);                                               // (B, Tn, 3E)
    const [q, k, v] = [0, 1, 2].map((g) => splitHeads(narrow(qkv, 2, g * E, E), this.nHead)); // (B, nH, Tn, d)
    return this.c_proj.forward(mergeHeads(causalCachedAttention(q, cache, k, v)));    // (B, Tn, E)
  }
}

/** The position-wise feed-forward network: E → 4E → GELU → E. */
export class MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;

  constructor(cfg: GPTConfig, generator?: Generator) {
    super();
    this.c_fc = new Linear(cfg.nEmbd, 4 * cfg.nEmbd, { bias: cfg.bias });
    this.c_proj = new Linear(4 * cfg.nEmbd, cfg.nEmbd, { bias: cfg.bias });
    this.dropout = new Dropout(cfg.dropout, generator);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(gelu(this.c_fc.forward(x)))); // (B, T, E)
  }
}

/** Pre-norm Transformer block: x + attn(LN₁(x)), then + mlp(LN₂(·)). */
export class Block extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: MLP;

  constructor(cfg: GPTConfig, generator?: Generator) {
    super();
    this.ln_1 = new LayerNorm(cfg.nEmbd, { bias: cfg.bias });
    this.attn = new CausalSelfAttention(cfg, generator);
    this.ln_2 = new LayerNorm(cfg.nEmbd, { bias: cfg.bias });
    this.mlp = new MLP(cfg, generator);
  }

  forward(x: Tensor): Tensor {
    const a = add(x, this.attn.forward(this.ln_1.forward(x))); // (B, T, E)
    return add(a, this.mlp.forward(this.ln_2.forward(a)));
  }

  step(x: Tensor, cache: KVCache): Tensor {
    const a = add(x, this.attn.step(this.ln_1.forward(x), cache));
    return add(a, this.mlp.forward(this.ln_2.forward(a)));
  }
}

export class GPT extends Module implements LanguageModel {
  readonly config: GPTConfig;
  /** nanoGPT's names: transformer.{wte, wpe, drop, h, ln_f}. */
  transformer: ModuleDict;
  lm_head: Linear;

  /** generator: the initial weights' source; dropoutGenerator: the dropout draws' (both default to the global one). */
  constructor(config: Partial<GPTConfig> = {}, opts: { generator?: Generator; dropoutGenerator?: Generator } = {}) {
    super();
    const cfg = { ...gptDefaults, ...config };
    for (const k of ['blockSize', 'vocabSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
      if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new Error(`GPT: ${k} must be a positive integer, got ${cfg[k]}`);
    }
    if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`GPT: dropout must be in [0, 1), got ${cfg.dropout}`);
    this.config = cfg;
    const g = opts.dropoutGenerator;
    this.transformer = new ModuleDict<Module>({
      wte: new Embedding(cfg.vocabSize, cfg.nEmbd),                                       // token embeddings (V, E)
      wpe: new Embedding(cfg.blockSize, cfg.nEmbd),                                       // position embeddings (T, E)
      drop: new Dropout(cfg.dropout, g),
      h: new ModuleList(Array.from({ length: cfg.nLayer }, () => new Block(cfg, g))),
      ln_f: new LayerNorm(cfg.nEmbd, { bias: cfg.bias }),
    });
    this.lm_head = new Linear(cfg.nEmbd, cfg.vocabSize, { bias: false });
    this.lm_head.weight = this.wte.weight; // weight tying (Press & Wolf 2017), as nanoGPT

    // nanoGPT's init: every Linear and Embedding weight ~ N(0, 0.02), biases 0; the residual projections
    // ~ N(0, 0.02/√(2·nLayer)) so the residual stream's variance does not grow with depth (GPT-2)
    const gen = opts.generator;
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('c_proj.weight')) normal_(p, 0, 0.02 / Math.sqrt(2 * cfg.nLayer), gen);
      else if (p.ndim === 2) normal_(p, 0, 0.02, gen);
      else if (name.endsWith('.bias') && !name.includes('ln_')) zeros_(p);
    }
  }

  // the body's parts (not own properties: a second name would register them twice)
  private get wte(): Embedding { return this.transformer.get('wte') as Embedding; }
  private get wpe(): Embedding { return this.transformer.get('wpe') as Embedding; }
  private get drop(): Dropout { return this.transformer.get('drop') as Dropout; }
  private get blocks(): Block[] { return [...(this.transformer.get('h') as ModuleList<Block>)]; }
  private get ln_f(): LayerNorm { return this.transformer.get('ln_f') as LayerNorm; }

  get vocabSize(): number { return this.config.vocabSize; }
  get contextLength(): number { return this.config.blockSize; }

  /** Parameters without the position table (nanoGPT's count); the tied output layer counts once. */
  numParametersNonEmbedding(): number {
    return this.numParameters() - this.wpe.weight.size;
  }

  private checkIds(idx: Tensor, offset: number): void {
    if (idx.dtype !== 'int32' || idx.ndim !== 2) throw new Error(`GPT: expected int32 token ids (B, T), got ${idx.dtype} ${shapeStr(idx.shape)}`);
    const T = idx.shape[1];
    if (offset + T > this.config.blockSize) {
      throw new Error(`GPT: a sequence of ${offset + T} tokens is longer than the block size ${this.config.blockSize}`);
    }
  }

  /** Token ids idx (B, T) int32, starting at position `offset` → h⁰ (B, T, E). */
  private embed(idx: Tensor, offset: number): Tensor {
    const T = idx.shape[1];
    const pos = new Tensor(Int32Array.from({ length: T }, (_, t) => offset + t), [T]);
    return this.drop.forward(add(this.wte.forward(idx), this.wpe.forward(pos))); // (B, T, E) + (T, E)
  }

  /** idx (B, T) int32 → logits (B, T, vocabSize) for the token after each position. */
  forward(idx: Tensor): Tensor {
    this.checkIds(idx, 0);
    let x = this.embed(idx, 0);
    for (const block of this.blocks) x = block.forward(x);
    return this.lm_head.forward(this.ln_f.forward(x));
  }

  /** New ids (B, Tn) after the cached positions → logits (B, Tn, V), advancing the caches (one per block). */
  step(idx: Tensor, caches: KVCache[]): Tensor {
    const offset = caches[0].length;
    this.checkIds(idx, offset);
    let x = this.embed(idx, offset);
    this.blocks.forEach((block, i) => { x = block.step(x, caches[i]); });
    return this.lm_head.forward(this.ln_f.forward(x));
  }

  /**
   * An incremental decoder over one sequence. Past the block size the context slides: the caches are rebuilt from
   * the last blockSize tokens (positions are absolute, so cached keys cannot be shifted), as nanoGPT crops.
   */
  stream(): TokenStream {
    const caches = this.blocks.map(() => new KVCache());
    const V = this.config.vocabSize, block = this.config.blockSize;
    let history: number[] = [];
    return {
      feed: (tokens: Int32Array): Float32Array => {
        if (tokens.length === 0) throw new Error('GPT.stream: feed needs at least one token');
        for (const t of tokens) if (!Number.isInteger(t) || t < 0 || t >= V) throw new Error(`GPT.stream: token ${t} is outside the vocabulary of ${V}`);
        history = history.concat(Array.from(tokens));
        let input: number[];
        if (caches[0].length + tokens.length <= block) input = Array.from(tokens);
        else {
          history = history.slice(-block);
          for (const c of caches) c.clear();
          input = history;
        }
        const was = this.training;
        this.eval();
        try {
          return noGrad(() => {
            const logits = this.step(new Tensor(Int32Array.from(input), [1, input.length]), caches); // (1, Tn, V)
            return Float32Array.from(logits.data.subarray((input.length - 1) * V));
          });
        } finally {
          this.train(was);
        }
      },
    };
  }
}


// Model 4 — the LSTM language model (Hochreiter & Schmidhuber 1997; as trained by Zaremba, Sutskever & Vinyals 2014).
// Tokens w_1 … w_T; at each step the model predicts the next token from everything before it:
//   e_t = E[w_t]                                           embedding (V → D)
//   for each layer l = 1 … L, with x_t = e_t for l = 1, else the layer below's h_t (after dropout):
//     [i, f, g, o] = [σ, σ, tanh, σ](W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)    input, forget, cell, output gates
//     c_t = f ⊙ c_{t−1} + i ⊙ g                                                cell: forget some, write some
//     h_t = o ⊙ tanh(c_t)                                                      hidden: expose some of the cell
//   logits_t = W_dec · dropout(h_t^L) + b_dec               decoder (H → V); W_dec = E when the weights are tied
//   p(w_{t+1} | w_≤t) = softmax(logits_t)
// Dropout acts only on the non-recurrent connections (embedding → layer 1, between layers, top layer → decoder),
// as in Zaremba et al.; the recurrent path h_{t−1} → h_t is never dropped. The state (h, c) of every layer is
// carried from one batch of text to the next (truncated BPTT: the recipe detaches it between batches).
import { Tensor } from '../tensor.ts';
import { noGrad } from '../autograd.ts';
import { Module, type Parameter } from '../nn/module.ts';
import { Embedding } from '../nn/embedding.ts';
import { Linear } from '../nn/linear.ts';
import { LSTM, type LSTMState } from '../nn/rnn.ts';
import { uniform_ } from '../nn/init.ts';
import { dropout } from '../ops/dropout.ts';
import { select } from '../ops/shape.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import type { LanguageModel, TokenStream } from './lm.ts';

export interface LstmLmConfig {
  vocabSize: number;
  /** Embedding size D (= hiddenSize in Zaremba et al.). */
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout probability on the non-recurrent connections (0 = none). */
  dropout: number;
  /** Decoder weight = embedding weight (needs embedSize = hiddenSize; Press & Wolf 2017). */
  tieWeights: boolean;
  /** Every parameter ~ U(−initRange, initRange). */
  initRange: number;
}

export class LstmLanguageModel extends Module implements LanguageModel {
  readonly config: LstmLmConfig;
  readonly contextLength = Infinity;
  encoder: Embedding;
  rnn: LSTM;
  decoder: Linear;
  /** Generator for the dropout masks (defaultGenerator when absent). */
  dropoutGenerator: Generator | undefined;

  constructor(config: LstmLmConfig, opts: { generator?: Generator; dropoutGenerator?: Generator } = {}) {
    super();
    const { vocabSize: V, embedSize: D, hiddenSize: H, numLayers: L } = config;
    if (config.tieWeights && D !== H) throw new Error(`LstmLanguageModel: tied weights need embedSize = hiddenSize, got ${D} and ${H}`);
    if (!(config.initRange > 0)) throw new Error(`LstmLanguageModel: initRange must be > 0, got ${config.initRange}`);
    this.config = { ...config };
    this.dropoutGenerator = opts.dropoutGenerator;
    this.encoder = new Embedding(V, D);
    this.rnn = new LSTM(D, H, { numLayers: L, dropout: config.dropout, dropoutGenerator: opts.dropoutGenerator });
    this.decoder = new Linear(H, V);
    for (const p of this.parameters()) uniform_(p, -config.initRange, config.initRange, opts.generator);
    if (config.tieWeights) this.decoder.weight = this.encoder.weight as Parameter;
  }

  get vocabSize(): number { return this.config.vocabSize; }

  /** Zero state for a batch of B streams: h, c (L, B, H). */
  initState(B: number): LSTMState {
    const z = new Tensor(new Float32Array(this.config.numLayers * B * this.config.hiddenSize), [this.config.numLayers, B, this.config.hiddenSize]);
    return [z, z];
  }

  /** tokens (T, B) int32 and the carried state → [top layer's h_t after dropout (T, B, H), the new state]. */
  hidden(tokens: Tensor, state: LSTMState | null): [Tensor, LSTMState] {
    if (tokens.dtype !== 'int32' || tokens.ndim !== 2) throw new Error(`LstmLanguageModel: expected int32 tokens (T, B), got ${tokens.dtype} ${shapeStr(tokens.shape)}`);
    const p = this.config.dropout, drop = (x: Tensor) => (this.training && p > 0 ? dropout(x, p, true, this.dropoutGenerator) : x);
    const e = drop(this.encoder.forward(tokens)); // (T, B, D)
    const [h, next] = this.rnn.forward(e, state);   // (T, B, H); h, c (L, B, H)
    return [drop(h), next];
  }

  /** tokens (T, B) → [logits (T, B, V), the new state]. */
  forward(tokens: Tensor, state: LSTMState | null = null): [Tensor, LSTMState] {
    const [h, next] = this.hidden(tokens, state);
    return [this.decoder.forward(h), next]; // (T, B, V)
  }

  /** A stream for sampling: eval mode, no gradients; the state carries over from call to call. */
  stream(): TokenStream {
    this.eval();
    let state: LSTMState | null = null;
    return {
      feed: (ids: Int32Array): Float32Array => noGrad(() => {
        if (ids.length === 0) throw new Error('LstmLanguageModel.stream: feed needs at least one token');
        const [h, next] = this.hidden(new Tensor(Int32Array.from(ids), [ids.length, 1]), state);
        state = next;
        const last = select(h, 0, ids.length - 1);                       // (1, H): only the last step is decoded
        return Float32Array.from(this.decoder.forward(last).data);      // (1, V) → (V)
      }),
    };
  }
}

/** The state with its history cut: the same values, no graph behind them (truncated BPTT). */
export function detachState(s: LSTMState): LSTMState {
  return [s[0].detach(), s[1].detach()];
}

// Recurrent layers with PyTorch's arguments, parameter names, gate orders and initialisation (every parameter
// ~ U(±1/√hidden)): RNN (tanh or relu), GRU and LSTM, multi-layer and bidirectional, and one-step cells.
// Speed: per layer and direction, one GEMM projects every timestep's input (x·W_ihᵀ + b_ih for the whole
// sequence); then the recurrence is ONE autograd op from ops/rnn.ts (per step one GEMM h·W_hhᵀ and one cell
// kernel; hand-written BPTT backward).
//   RNN:   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)            (relu with nonlinearity 'relu')
//   GRU:   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
//          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
//   LSTM:  [i, f, g, o] = [σ, σ, tanh, σ](W_ih x + b_ih + W_hh h + b_hh),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
import { Tensor, zeros } from '../tensor.ts';
import { shapeStr } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { cat, narrow, select, squeeze, stack, transpose, unsqueeze } from '../ops/shape.ts';
import { dropout } from '../ops/dropout.ts';
import { gruRecurrence, lstmRecurrence, rnnRecurrence } from '../ops/rnn.ts';
import { Module, type Parameter } from './module.ts';
import { linear } from '../ops/linear.ts';
import { uniform_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

type Mode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
/** Gate blocks stacked in W_ih, W_hh and the biases. */
const GATES: Record<Mode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };

interface DirectionWeights { wih: Tensor; whh: Tensor; bih: Tensor | null; bhh: Tensor | null }

/**
 * One direction of one layer: x (T, B, in) and the initial states (B, H) each → [h at every time position
 * (T, B, H), the final states (B, H) each: h, and c for the LSTM].
 */
function runDirection(mode: Mode, x: Tensor, w: DirectionWeights, states: Tensor[], reverse: boolean): [Tensor, Tensor[]] {
  const T = x.shape[0];
  const gx = linear(x, w.wih, w.bih); // (T, B, G·H): every time step's input projection in one GEMM
  const last = reverse ? 0 : T - 1;
  if (mode === 'LSTM') {
    const packed = lstmRecurrence(gx, w.whh, w.bhh, states[0], states[1], reverse); // (T + 1, B, H): h's, then c_T
    return [narrow(packed, 0, 0, T), [select(packed, 0, last), select(packed, 0, T)]];
  }
  const hs = mode === 'GRU' ? gruRecurrence(gx, w.whh, w.bhh, states[0], reverse)
    : rnnRecurrence(gx, w.whh, w.bhh, states[0], mode === 'RNN_RELU' ? 'relu' : 'tanh', reverse);
  return [hs, [select(hs, 0, last)]];
}

export interface RNNBaseOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are (B, T, features) instead of (T, B, features). States stay (layers·dirs, B, H). */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
  /** Generator for the inter-layer dropout masks (defaultGenerator when absent). */
  dropoutGenerator?: Generator;
}

/**
 * What RNN, GRU and LSTM share (torch.nn.RNNBase): parameters weight_ih_l{k}[_reverse] (G·H, in_k),
 * weight_hh_l{k}[_reverse] (G·H, H), bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (G·H), where in_0 = inputSize
 * and in_k = dirs·H above; the layer loop, inter-layer dropout, batchFirst and unbatched inputs.
 */
abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly dropoutGenerator: Generator | undefined;
  protected readonly mode: Mode;
  private readonly label: string;

  constructor(label: string, mode: Mode, inputSize: number, hiddenSize: number, opts: RNNBaseOptions) {
    super();
    checkPositiveInt(label, 'inputSize', inputSize);
    checkPositiveInt(label, 'hiddenSize', hiddenSize);
    this.label = label;
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    checkPositiveInt(label, 'numLayers', this.numLayers);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`${label}: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    this.dropoutGenerator = opts.dropoutGenerator;
    const H = hiddenSize, G = GATES[mode] * H, dirs = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const s = `_l${l}${d ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${s}`, emptyParam([G, l === 0 ? inputSize : dirs * H], opts));
        this.registerParameter(`weight_hh${s}`, emptyParam([G, H], opts));
        if (this.bias) {
          this.registerParameter(`bias_ih${s}`, emptyParam([G], opts));
          this.registerParameter(`bias_hh${s}`, emptyParam([G], opts));
        }
      }
    }
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv, opts.generator);
  }

  private weights(l: number, d: number): DirectionWeights {
    const s = `_l${l}${d ? '_reverse' : ''}`;
    const p = (name: string) => ((this as any)[name] as Parameter | undefined) ?? null;
    return { wih: p(`weight_ih${s}`)!, whh: p(`weight_hh${s}`)!, bih: p(`bias_ih${s}`), bhh: p(`bias_hh${s}`) };
  }

  /**
   * The layer loop. `states` are the initial states as given ((L·dirs, B, H), or (L·dirs, H) unbatched; zeros
   * when absent), `names` their names for errors. Returns [output as the input is laid out, final states].
   */
  protected run(input: Tensor, states: Tensor[] | null, names: string): [Tensor, Tensor[]] {
    const label = this.label, H = this.hiddenSize, dirs = this.bidirectional ? 2 : 1, L = this.numLayers;
    const nStates = this.mode === 'LSTM' ? 2 : 1;
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`${label}: expected a 2-D (unbatched) or 3-D input, got shape ${shapeStr(input.shape)}`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new Error(`${label}: expected input size ${this.inputSize} in the last dim, got shape ${shapeStr(input.shape)}`);
    const unbatched = input.ndim === 2;
    let x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
    const B = x.shape[1];
    let init: Tensor[];
    if (states) {
      const want = unbatched ? [L * dirs, H] : [L * dirs, B, H];
      for (const s of states) {
        if (s.ndim !== want.length || s.shape.some((d, i) => d !== want[i])) {
          throw new Error(`${label}: expected ${names} of shape ${shapeStr(want)}, got ${states.map((t) => shapeStr(t.shape)).join(' and ')} (input ${shapeStr(input.shape)})`);
        }
      }
      init = unbatched ? states.map((s) => unsqueeze(s, 1)) : states;
    } else {
      const z = zeros([L * dirs, B, H], { dtype: x.dtype });
      init = new Array(nStates).fill(z);
    }
    const finals: Tensor[][] = Array.from({ length: nStates }, () => []);
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const k = l * dirs + d;
        const [o, fin] = runDirection(this.mode, x, this.weights(l, d), init.map((s) => select(s, 0, k)), d === 1);
        outs.push(o);
        fin.forEach((f, i) => finals[i].push(f));
      }
      x = dirs === 1 ? outs[0] : cat(outs, 2);
      if (l < L - 1 && this.dropout > 0 && this.training) x = dropout(x, this.dropout, true, this.dropoutGenerator);
    }
    const stacked = finals.map((f) => stack(f, 0)); // (L·dirs, B, H)
    if (unbatched) return [squeeze(x, 1), stacked.map((s) => squeeze(s, 1))];
    return [this.batchFirst ? transpose(x, 0, 1) : x, stacked];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.numLayers !== 1 ? `, num_layers=${this.numLayers}` : ''}` +
      `${this.mode === 'RNN_RELU' ? ", nonlinearity='relu'" : ''}` +
      `${this.bias ? '' : ', bias=False'}${this.batchFirst ? ', batch_first=True' : ''}` +
      `${this.dropout ? `, dropout=${this.dropout}` : ''}${this.bidirectional ? ', bidirectional=True' : ''}`;
  }
}

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * A multi-layer Elman RNN (torch.nn.RNN). forward(x, h0?) → [output, hN] with x (T, B, in), or (B, T, in) when
 * batchFirst, or (T, in) unbatched; h0 and hN are (numLayers·dirs, B, H); output is (T, B, dirs·H).
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNN: nonlinearity must be 'tanh' or 'relu', got '${nl}'`);
    super('RNN', nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [out, [hN]] = this.run(input, h0 ? [h0] : null, 'h0');
    return [out, hN];
  }
}

/**
 * A multi-layer GRU (torch.nn.GRU), gate rows in the order r, z, n. forward(x, h0?) → [output, hN], shapes as RNN.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [out, [hN]] = this.run(input, h0 ? [h0] : null, 'h0');
    return [out, hN];
  }
}

export type LSTMOptions = RNNBaseOptions;
export type LSTMState = [Tensor, Tensor];

/**
 * A multi-layer LSTM (torch.nn.LSTM), gate rows in the order i, f, g, o. forward(x, [h0, c0]?) → [output, [hN, cN]],
 * shapes as RNN.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super('LSTM', 'LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, state?: LSTMState | null): [Tensor, LSTMState] {
    const [out, [hN, cN]] = this.run(input, state ?? null, 'h0 and c0');
    return [out, [hN, cN]];
  }
}

// ---------------------------------------------------------------- cells

/** One step of a recurrent layer: weight_ih (G·H, in), weight_hh (G·H, H), bias_ih, bias_hh (G·H). */
abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  protected readonly mode: Mode;
  private readonly label: string;

  constructor(label: string, mode: Mode, inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean }) {
    super();
    checkPositiveInt(label, 'inputSize', inputSize);
    checkPositiveInt(label, 'hiddenSize', hiddenSize);
    this.label = label;
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const G = GATES[mode] * hiddenSize;
    this.weight_ih = emptyParam([G, inputSize], opts);
    this.weight_hh = emptyParam([G, hiddenSize], opts);
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? emptyParam([G], opts) : null;
    this.bias_hh = bias ? emptyParam([G], opts) : null;
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv, opts.generator);
  }

  /** x (B, in) or (in) and the states (B, H) or (H) (zeros when absent) → the next states, laid out as given. */
  protected step(input: Tensor, states: Tensor[] | null, names: string): Tensor[] {
    const H = this.hiddenSize;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new Error(`${this.label}: expected input (B, ${this.inputSize}) or (${this.inputSize}), got shape ${shapeStr(input.shape)}`);
    }
    const unbatched = input.ndim === 1;
    const x = unbatched ? unsqueeze(input, 0) : input;
    const B = x.shape[0];
    let init: Tensor[];
    if (states) {
      const want = unbatched ? [H] : [B, H];
      for (const s of states) {
        if (s.ndim !== want.length || s.shape.some((d, i) => d !== want[i])) {
          throw new Error(`${this.label}: expected ${names} of shape ${shapeStr(want)}, got ${states.map((t) => shapeStr(t.shape)).join(' and ')}`);
        }
      }
      init = unbatched ? states.map((s) => unsqueeze(s, 0)) : states;
    } else {
      init = new Array(this.mode === 'LSTM' ? 2 : 1).fill(zeros([B, H], { dtype: x.dtype }));
    }
    const w = { wih: this.weight_ih, whh: this.weight_hh, bih: this.bias_ih, bhh: this.bias_hh };
    const [, fin] = runDirection(this.mode, unsqueeze(x, 0), w, init, false);
    return unbatched ? fin.map((f) => squeeze(f, 0)) : fin;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=False'}${this.mode === 'RNN_RELU' ? ", nonlinearity='relu'" : ''}`;
  }
}

/** torch.nn.RNNCell: forward(x (B, in) or (in), h?) → h' (B, H). */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNNCell: nonlinearity must be 'tanh' or 'relu', got '${nl}'`);
    super('RNNCell', nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, h?: Tensor | null): Tensor {
    return this.step(input, h ? [h] : null, 'h')[0];
  }
}

/** torch.nn.GRUCell: forward(x (B, in) or (in), h?) → h' (B, H). */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean } = {}) {
    super('GRUCell', 'GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, h?: Tensor | null): Tensor {
    return this.step(input, h ? [h] : null, 'h')[0];
  }
}

/** torch.nn.LSTMCell: forward(x (B, in) or (in), [h, c]?) → [h', c'] (B, H). */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean } = {}) {
    super('LSTMCell', 'LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, state?: LSTMState | null): LSTMState {
    const [h, c] = this.step(input, state ?? null, 'h and c');
    return [h, c];
  }
}

// LSTM and LSTMCell with PyTorch's parameter names, gate order (i, f, g, o) and initialisation
// (every parameter ~ U(±1/√hidden)). Speed: per layer and direction, one GEMM projects every timestep's input
// (x·W_ihᵀ + b_ih for the whole sequence); then the recurrence is ONE autograd op that per step does one GEMM
// h·W_hhᵀ into the gate buffer and one lstmCellForward kernel, and whose backward is hand-written BPTT
// (per step one lstmCellBackward kernel and one GEMM for ∂h; one or two GEMMs in total for ∂W_hh).
import { Tensor, zeros } from '../tensor.ts';
import { record } from '../autograd.ts';
import { backend } from '../backend/index.ts';
import { empty, shapeStr, type FloatArray } from '../backend/types.ts';
import type { Generator } from '../random.ts';
import { cat, narrow, reshape, select, squeeze, stack, transpose, unsqueeze } from '../ops/shape.ts';
import { dropout } from '../ops/dropout.ts';
import { Module, type Parameter } from './module.ts';
import { linear } from './linear.ts';
import { uniform_ } from './init.ts';
import { checkPositiveInt, emptyParam, type FactoryOptions } from './util.ts';

/**
 * The LSTM recurrence over precomputed input projections gx (T, B, 4H) (= x_t·W_ihᵀ + b_ih), with
 * W_hh (4H, H), optional b_hh (4H), and initial state h0, c0 (B, H). Per step (in `reverse` order when asked):
 *   [i, f, g, o] = [σ, σ, tanh, σ](gx_t + b_hh + h_{t−1}·W_hhᵀ)
 *   c_t = f·c_{t−1} + i·g,   h_t = o·tanh(c_t)
 * Returns one packed tensor (T + 1, B, H): rows 0…T−1 are h_t at each time position, row T is the final c.
 * (Packed because an autograd node has one output.)
 */
export function lstmRecurrence(gx: Tensor, whh: Tensor, bhh: Tensor | null, h0: Tensor, c0: Tensor, reverse = false): Tensor {
  const op = 'lstmRecurrence';
  const desc = () => `gx ${shapeStr(gx.shape)}, W_hh ${shapeStr(whh.shape)}, h0 ${shapeStr(h0.shape)}, c0 ${shapeStr(c0.shape)}${bhh ? `, b_hh ${shapeStr(bhh.shape)}` : ''}`;
  for (const t of [gx, whh, h0, c0, bhh]) {
    if (t && (t.dtype === 'int32' || t.dtype !== gx.dtype)) throw new Error(`${op}: expected float tensors of one dtype (${desc()})`);
  }
  if (gx.ndim !== 3 || whh.ndim !== 2) throw new Error(`${op}: expected gx (T, B, 4H) and W_hh (4H, H), got ${desc()}`);
  const [T, B, H4] = gx.shape;
  const H = whh.shape[1];
  if (H4 !== 4 * H || whh.shape[0] !== 4 * H) throw new Error(`${op}: gate sizes disagree (${desc()})`);
  for (const s of [h0, c0]) if (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H) throw new Error(`${op}: h0 and c0 must be (${B}, ${H}) (${desc()})`);
  if (bhh && (bhh.ndim !== 1 || bhh.shape[0] !== H4)) throw new Error(`${op}: b_hh must be (${H4}) (${desc()})`);
  if (T === 0) throw new Error(`${op}: empty sequence (${desc()})`);

  const be = backend();
  const dtype = gx.dtype;
  const BH = B * H, BG = B * H4;
  const W = whh.data as FloatArray;
  const out = new Tensor(empty(dtype, (T + 1) * BH), [T + 1, B, H]); // h at every time position, then c_T
  const hs = out.data as FloatArray;
  // pre-activations gx_t, to which each step adds h_{t−1}·W_hhᵀ; the cell kernel turns them into the gate
  // activations [i, f, g, o] the backward pass reads (by time position)
  const acts = empty(dtype, T * BG) as FloatArray;
  acts.set(gx.data as FloatArray);
  const cs = empty(dtype, T * BH) as FloatArray; // c_t by time position
  const bd = bhh ? bhh.data as FloatArray : null;
  const time = (p: number) => (reverse ? T - 1 - p : p); // processing step p works on time position time(p)
  let hPrev = h0.data as FloatArray, cPrev = c0.data as FloatArray;
  for (let p = 0; p < T; p++) {
    const t = time(p);
    const a = acts.subarray(t * BG, (t + 1) * BG);
    be.matmul(hPrev, W, a, { batch: 1, m: B, n: H4, k: H, transA: false, transB: true, strideA: 0, strideB: 0, beta: 1 });
    const c = cs.subarray(t * BH, (t + 1) * BH), h = hs.subarray(t * BH, (t + 1) * BH);
    be.lstmCellForward(a, bd, cPrev, c, h, B, H);
    hPrev = h; cPrev = c;
  }
  hs.set(cPrev, T * BH);

  const inputs = bhh ? [gx, whh, h0, c0, bhh] : [gx, whh, h0, c0];
  return record(op, out, inputs, (gOut) => {
    const go = gOut.data as FloatArray;
    const dGates = new Tensor(empty(dtype, T * BG), gx.shape); // every step writes its rows
    const dg = dGates.data as FloatArray;
    const dhNext = empty(dtype, BH) as FloatArray; // ∂L/∂h_{t−1} through W_hh; the first matmul writes it
    const dcNext = (go.slice(T * BH, (T + 1) * BH)) as FloatArray; // ∂L/∂c_T, then ∂L/∂c_{t−1} step by step
    const c0d = c0.data as FloatArray;
    for (let p = T - 1; p >= 0; p--) {
      const t = time(p);
      const a = acts.subarray(t * BG, (t + 1) * BG), d = dg.subarray(t * BG, (t + 1) * BG);
      const c = cs.subarray(t * BH, (t + 1) * BH);
      const cp = p > 0 ? cs.subarray(time(p - 1) * BH, (time(p - 1) + 1) * BH) : c0d;
      // ∂L/∂h_t = the output's gradient at t + the recurrent one (none at the last step)
      be.lstmCellBackward(a, c, cp, go.subarray(t * BH, (t + 1) * BH), p < T - 1 ? dhNext : null, dcNext, d, B, H);
      // ∂h_{t−1} = ∂gates_t·W_hh (at the first step that is ∂h0, needed only when h0 wants a gradient)
      if (p > 0 || h0.requiresGrad) be.matmul(d, W, dhNext, { batch: 1, m: B, n: H, k: H4, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 });
    }
    let gW: Tensor | null = null, gb: Tensor | null = null;
    if (whh.requiresGrad) {
      // ∂W_hh = Σ_p ∂gates_pᵀ·h_{p−1}: the first step pairs with h0, the rest with the stored h's one step earlier
      gW = new Tensor(empty(dtype, whh.size), whh.shape); // beta 0 first, then beta 1
      const gw = gW.data as FloatArray;
      const t0 = time(0);
      be.matmul(dg.subarray(t0 * BG, (t0 + 1) * BG), h0.data as FloatArray, gw, { batch: 1, m: H4, n: H, k: B, transA: true, transB: false, strideA: 0, strideB: 0, beta: 0 });
      if (T > 1) {
        // forward: gates rows 1…T−1 with h rows 0…T−2; reverse: gates rows 0…T−2 with h rows 1…T−1
        const gRows = reverse ? dg.subarray(0, (T - 1) * BG) : dg.subarray(BG, T * BG);
        const hRows = reverse ? hs.subarray(BH, T * BH) : hs.subarray(0, (T - 1) * BH);
        be.matmul(gRows, hRows, gw, { batch: 1, m: H4, n: H, k: (T - 1) * B, transA: true, transB: false, strideA: 0, strideB: 0, beta: 1 });
      }
    }
    if (bhh && bhh.requiresGrad) {
      gb = new Tensor(empty(dtype, H4), bhh.shape);
      be.reduce('sum', dg, 1, T * B, H4, gb.data);
    }
    const gh0 = h0.requiresGrad ? new Tensor(dhNext, h0.shape) : null;
    const gc0 = c0.requiresGrad ? new Tensor(dcNext, c0.shape) : null;
    return bhh ? [dGates, gW, gh0, gc0, gb] : [dGates, gW, gh0, gc0];
  });
}

/** Runs one direction of one layer: x (T, B, in) → [h at every step (T, B, H), final h (B, H), final c (B, H)]. */
function runDirection(x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor | null, bhh: Tensor | null, h0: Tensor, c0: Tensor, reverse: boolean): [Tensor, Tensor, Tensor] {
  const T = x.shape[0];
  const packed = lstmRecurrence(linear(x, wih, bih), whh, bhh, h0, c0, reverse);
  return [narrow(packed, 0, 0, T), select(packed, 0, reverse ? 0 : T - 1), select(packed, 0, T)];
}

export interface LSTMOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are (B, T, features) instead of (T, B, features). h and c stay (layers·dirs, B, H). */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
  /** Generator for the inter-layer dropout masks (defaultGenerator when absent). */
  dropoutGenerator?: Generator;
}

export type LSTMState = [Tensor, Tensor];

/**
 * A multi-layer LSTM (torch.nn.LSTM). forward(x, [h0, c0]?) → [output, [hN, cN]] with x (T, B, in), or (B, T, in)
 * when batchFirst, or (T, in) unbatched; h0, c0, hN, cN are (numLayers·dirs, B, H) ((numLayers·dirs, H) unbatched);
 * output is (T, B, dirs·H). Parameters weight_ih_l{k}[_reverse] (4H, in_k), weight_hh_l{k} (4H, H),
 * bias_ih_l{k}, bias_hh_l{k} (4H), rows in gate order i, f, g, o.
 */
export class LSTM extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly dropoutGenerator: Generator | undefined;

  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super();
    checkPositiveInt('LSTM', 'inputSize', inputSize);
    checkPositiveInt('LSTM', 'hiddenSize', hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    checkPositiveInt('LSTM', 'numLayers', this.numLayers);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`LSTM: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    this.dropoutGenerator = opts.dropoutGenerator;
    const H = hiddenSize, dirs = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const s = `_l${l}${d ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${s}`, emptyParam([4 * H, l === 0 ? inputSize : dirs * H], opts));
        this.registerParameter(`weight_hh${s}`, emptyParam([4 * H, H], opts));
        if (this.bias) {
          this.registerParameter(`bias_ih${s}`, emptyParam([4 * H], opts));
          this.registerParameter(`bias_hh${s}`, emptyParam([4 * H], opts));
        }
      }
    }
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv, opts.generator);
  }

  private param(name: string): Parameter | null {
    return ((this as any)[name] as Parameter | undefined) ?? null;
  }

  forward(input: Tensor, state?: LSTMState | null): [Tensor, LSTMState] {
    const H = this.hiddenSize, dirs = this.bidirectional ? 2 : 1, L = this.numLayers;
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`LSTM: expected a 2-D (unbatched) or 3-D input, got shape ${shapeStr(input.shape)}`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new Error(`LSTM: expected input size ${this.inputSize} in the last dim, got shape ${shapeStr(input.shape)}`);
    const unbatched = input.ndim === 2;
    let x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
    const B = x.shape[1];
    let h0: Tensor, c0: Tensor;
    if (state) {
      const want = unbatched ? [L * dirs, H] : [L * dirs, B, H];
      for (const s of state) {
        if (s.ndim !== want.length || s.shape.some((d, i) => d !== want[i])) {
          throw new Error(`LSTM: expected h0 and c0 of shape ${shapeStr(want)}, got ${shapeStr(state[0].shape)} and ${shapeStr(state[1].shape)} (input ${shapeStr(input.shape)})`);
        }
      }
      [h0, c0] = unbatched ? [unsqueeze(state[0], 1), unsqueeze(state[1], 1)] : state;
    } else {
      h0 = c0 = zeros([L * dirs, B, H], { dtype: x.dtype });
    }
    const hN: Tensor[] = [], cN: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const s = `_l${l}${d ? '_reverse' : ''}`, k = l * dirs + d;
        const [o, h, c] = runDirection(x, this.param(`weight_ih${s}`)!, this.param(`weight_hh${s}`)!, this.param(`bias_ih${s}`),
          this.param(`bias_hh${s}`), select(h0, 0, k), select(c0, 0, k), d === 1);
        outs.push(o); hN.push(h); cN.push(c);
      }
      x = dirs === 1 ? outs[0] : cat(outs, 2);
      if (l < L - 1 && this.dropout > 0 && this.training) x = dropout(x, this.dropout, true, this.dropoutGenerator);
    }
    let hs = stack(hN, 0), csT = stack(cN, 0);
    if (unbatched) return [squeeze(x, 1), [squeeze(hs, 1), squeeze(csT, 1)]];
    if (this.batchFirst) x = transpose(x, 0, 1);
    return [x, [hs, csT]];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.numLayers !== 1 ? `, num_layers=${this.numLayers}` : ''}` +
      `${this.bias ? '' : ', bias=False'}${this.batchFirst ? ', batch_first=True' : ''}` +
      `${this.dropout ? `, dropout=${this.dropout}` : ''}${this.bidirectional ? ', bidirectional=True' : ''}`;
  }
}

/**
 * One LSTM step (torch.nn.LSTMCell): forward(x (B, in) or (in), [h, c]?) → [h', c'] (B, H). Same math, names
 * (weight_ih, weight_hh, bias_ih, bias_hh) and initialisation as LSTM; runs the fused recurrence with T = 1.
 */
export class LSTMCell extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, opts: FactoryOptions & { bias?: boolean } = {}) {
    super();
    checkPositiveInt('LSTMCell', 'inputSize', inputSize);
    checkPositiveInt('LSTMCell', 'hiddenSize', hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const H4 = 4 * hiddenSize;
    this.weight_ih = emptyParam([H4, inputSize], opts);
    this.weight_hh = emptyParam([H4, hiddenSize], opts);
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? emptyParam([H4], opts) : null;
    this.bias_hh = bias ? emptyParam([H4], opts) : null;
    this.resetParameters(opts);
  }

  resetParameters(opts: FactoryOptions = {}): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv, opts.generator);
  }

  forward(input: Tensor, state?: LSTMState | null): LSTMState {
    const H = this.hiddenSize;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new Error(`LSTMCell: expected input (B, ${this.inputSize}) or (${this.inputSize}), got shape ${shapeStr(input.shape)}`);
    }
    const unbatched = input.ndim === 1;
    const x = unbatched ? unsqueeze(input, 0) : input;
    const B = x.shape[0];
    let h0: Tensor, c0: Tensor;
    if (state) {
      const want = unbatched ? [H] : [B, H];
      for (const s of state) {
        if (s.ndim !== want.length || s.shape.some((d, i) => d !== want[i])) {
          throw new Error(`LSTMCell: expected h and c of shape ${shapeStr(want)}, got ${shapeStr(state[0].shape)} and ${shapeStr(state[1].shape)}`);
        }
      }
      [h0, c0] = unbatched ? [unsqueeze(state[0], 0), unsqueeze(state[1], 0)] : state;
    } else {
      h0 = c0 = zeros([B, H], { dtype: x.dtype });
    }
    const gx = reshape(linear(x, this.weight_ih, this.bias_ih), [1, B, 4 * H]);
    const packed = lstmRecurrence(gx, this.weight_hh, this.bias_hh, h0, c0);
    const h = select(packed, 0, 0), c = select(packed, 0, 1);
    return unbatched ? [squeeze(h, 0), squeeze(c, 0)] : [h, c];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=False'}`;
  }
}

// A one-layer recurrent network that reads a whole sequence and regresses one number from its last state — the
// model of the gating experiments (the adding problem):
//   h_t = cell(x_t, h_{t−1})        an LSTM, a GRU or a tanh RNN (nn/rnn.ts)
//   ŷ   = w·h_T + b                 a linear readout of the final hidden state
// Initialisation: PyTorch's (every recurrent weight ~ U(±1/√H)) unless `initScale` sets U(±initScale); the LSTM's
// forget-gate biases (b_if and b_hf, rows H…2H of each bias) can be set to `forgetBias` each (so the gate's total
// bias is 2·forgetBias; Jozefowicz et al. 2015 recommend a total of 1, i.e. keep the cell by default).
import type { Tensor } from '../tensor.ts';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import { LSTM, GRU, RNN } from '../nn/rnn.ts';
import { uniform_ } from '../nn/init.ts';
import { select } from '../ops/shape.ts';

export type CellKind = 'lstm' | 'gru' | 'rnn';

export interface RecurrentRegressorConfig {
  cell: CellKind;
  inputSize: number;
  hiddenSize: number;
  /** Every recurrent parameter ~ U(±initScale); null: PyTorch's U(±1/√H). */
  initScale: number | null;
  /** LSTM only: b_if = b_hf = forgetBias/2 (the gate's total bias is forgetBias); null: as initialised. */
  forgetBias: number | null;
}

export class RecurrentRegressor extends Module {
  readonly config: RecurrentRegressorConfig;
  rnn: LSTM | GRU | RNN;
  head: Linear;

  constructor(config: RecurrentRegressorConfig) {
    super();
    this.config = { ...config };
    const { cell, inputSize: I, hiddenSize: H } = config;
    this.rnn = cell === 'lstm' ? new LSTM(I, H) : cell === 'gru' ? new GRU(I, H) : new RNN(I, H, { nonlinearity: 'tanh' });
    this.head = new Linear(H, 1);
    if (config.initScale !== null) for (const p of this.rnn.parameters()) uniform_(p, -config.initScale, config.initScale);
    if (config.forgetBias !== null) {
      if (cell !== 'lstm') throw new Error(`RecurrentRegressor: forgetBias applies to an LSTM, not a ${cell}`);
      for (const name of ['bias_ih_l0', 'bias_hh_l0']) {
        const b = (this.rnn as any)[name] as Tensor;
        b.data.fill(config.forgetBias / 2, H, 2 * H); // rows H…2H: the forget gate
      }
    }
  }

  /** Parameters of a one-layer cell with hidden size H plus the readout. */
  static parameterCount(cell: CellKind, inputSize: number, H: number): number {
    const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    return G * (H * inputSize + H * H + 2 * H) + H + 1;
  }

  /** The hidden size whose parameter count is nearest to `budget`. */
  static hiddenForBudget(cell: CellKind, inputSize: number, budget: number): number {
    let best = 1;
    for (let H = 1; RecurrentRegressor.parameterCount(cell, inputSize, H) <= 2 * budget; H++) {
      if (Math.abs(RecurrentRegressor.parameterCount(cell, inputSize, H) - budget) < Math.abs(RecurrentRegressor.parameterCount(cell, inputSize, best) - budget)) best = H;
    }
    return best;
  }

  /** x (T, B, in) → the prediction (B, 1) and every hidden state (T, B, H). */
  forward(x: Tensor): [Tensor, Tensor] {
    const [hs] = this.rnn.forward(x) as [Tensor, unknown];
    return [this.head.forward(select(hs, 0, hs.shape[0] - 1)), hs];
  }
}

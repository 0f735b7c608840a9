// What the two gating experiments share: training a RecurrentRegressor on the adding problem (data/adding.ts) with
// Adam and gradient clipping, its test MSE over training, and ‖∂L/∂h_t‖ over t at initialisation.
import { Tensor } from '../tensor.ts';
import { Generator, manualSeed } from '../random.ts';
import { noGrad } from '../autograd.ts';
import { mseLoss } from '../ops/loss.ts';
import { narrow } from '../ops/shape.ts';
import { Adam, clipGradNorm } from '../optim/index.ts';
import { addingBatch } from '../data/adding.ts';
import { RecurrentRegressor, type RecurrentRegressorConfig } from '../models/recurrent-regressor.ts';

export interface AddingRunOptions {
  T: number;
  steps: number;
  batchSize: number;
  lr: number;
  clip: number;
  evalEvery: number;
  testSize: number;
  seed: number;
}

export interface AddingRun {
  /** Test MSE at step 0, evalEvery, 2·evalEvery, …, steps. */
  curve: { step: number; mse: number }[];
  finalMse: number;
  /** The first evaluated step with test MSE < 0.01, or null. */
  solvedAt: number | null;
  seconds: number;
}

/** A fixed test set: `n` sequences from their own generator (the same for every model at one T and seed). */
export function addingTestSet(T: number, n: number, seed: number): [Tensor, Tensor] {
  return addingBatch(T, n, new Generator(seed * 7919 + T));
}

export function testMse(model: RecurrentRegressor, test: [Tensor, Tensor]): number {
  return noGrad(() => mseLoss(model.forward(test[0])[0], test[1]).item());
}

/** Trains a fresh model (seeded) on fresh batches; evaluates on the fixed test set every evalEvery steps. */
export function trainAdding(config: RecurrentRegressorConfig, o: AddingRunOptions): AddingRun {
  const t0 = Date.now();
  manualSeed(o.seed);
  const model = new RecurrentRegressor(config);
  const test = addingTestSet(o.T, o.testSize, o.seed);
  const opt = new Adam(model.parameters(), { lr: o.lr });
  const data = new Generator(o.seed + 1); // the same training batches for every model at this seed
  const curve = [{ step: 0, mse: testMse(model, test) }];
  for (let step = 1; step <= o.steps; step++) {
    const [x, y] = addingBatch(o.T, o.batchSize, data);
    const loss = mseLoss(model.forward(x)[0], y);
    opt.zeroGrad();
    loss.backward();
    if (o.clip > 0) clipGradNorm(model.parameters(), o.clip);
    opt.step();
    if (step % o.evalEvery === 0 || step === o.steps) curve.push({ step, mse: testMse(model, test) });
  }
  const solved = curve.find((p) => p.mse < 0.01);
  return { curve, finalMse: curve[curve.length - 1].mse, solvedAt: solved ? solved.step : null, seconds: (Date.now() - t0) / 1000 };
}

/**
 * ‖∂L/∂h_t‖ for t = 1 … T at initialisation: the model's layer run one time step at a time (the same weights), so
 * each h_t is its own tensor whose gradient collects every path from the loss back to step t. L = the batch's MSE.
 */
export function hiddenGradNorms(config: RecurrentRegressorConfig, T: number, batchSize: number, seed: number): number[] {
  manualSeed(seed);
  const model = new RecurrentRegressor(config);
  const [x, y] = addingBatch(T, batchSize, new Generator(seed + 2));
  const hs: Tensor[] = [];
  let state: any = null;
  for (let t = 0; t < T; t++) {
    const [, next] = (model.rnn as any).forward(narrow(x, 0, t, 1), state) as [Tensor, Tensor | [Tensor, Tensor]];
    state = next;
    const h = Array.isArray(next) ? next[0] : next; // (1, B, H)
    h.retainGrad();
    hs.push(h);
  }
  const pred = model.head.forward(hs[T - 1].reshape([batchSize, config.hiddenSize]));
  mseLoss(pred, y).backward();
  return hs.map((h) => {
    let s = 0;
    for (const v of h.grad!.data) s += v * v;
    return Math.sqrt(s);
  });
}

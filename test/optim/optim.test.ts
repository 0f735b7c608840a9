// Optimizers, schedulers and clipping against torch 1.13 (test/fixtures/gen_optim.py), state-dict round trips,
// and every rejected input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, tensor, mseLoss, zeros, type DType } from '../../src/index.ts';
import {
  SGD, Adam, AdamW, Optimizer, clipGradNorm, clipGradValue, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
  LinearLR, LambdaLR, SequentialLR, LRScheduler, CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau,
  type OptimizerStateDict, type GroupOptions, type ParamState, type PlateauStateDict, type SchedulerStateDict,
} from '../../src/optim/index.ts';
import { decode, assertClose, type Encoded } from '../helpers.ts';

interface OptCase {
  name: string; kind: 'SGD' | 'Adam' | 'AdamW'; opts: Record<string, any>; groups: Record<string, any>[] | null;
  scheduler: [string, Record<string, number>] | null; trajectory: number[][];
}
interface SchedSpec { kind: string; args: Record<string, any> }
/** optimizer: the two-group optimizer the generator used (SGD when absent); momentums: OneCycleLR's, per step. */
interface SchedCase extends SchedSpec { name: string; optimizer?: 'SGD' | 'Adam'; lrs: number[][]; momentums?: number[][] }
/** state: [best, numBadEpochs, cooldownCounter] after each step. */
interface PlateauCase { name: string; args: Record<string, any>; metrics: number[]; lrs: number[][]; state: number[][] }
interface ClipCase { name: string; maxNorm: number; normType: number | 'inf'; grads: Encoded[]; total: number; clipped: Encoded[] }
const fx: {
  steps: number; problem: Record<'W0' | 'b0' | 'X' | 'Y', Encoded>; optimizers: OptCase[]; schedulers: SchedCase[]; clip: ClipCase[];
  plateau: PlateauCase[];
} = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/optim.json', import.meta.url)), 'utf8'));

// ---------- the fixed problem: L(W, b) = mean((X·Wᵀ + b − Y)²) ----------

function problem(dtype: DType = 'float32') {
  const P = fx.problem;
  const W = decode(P.W0).to(dtype).requiresGrad_(), b = decode(P.b0).to(dtype).requiresGrad_();
  const X = decode(P.X).to(dtype), Y = decode(P.Y).to(dtype);
  const loss = () => mseLoss(X.matmul(W.T).add(b), Y);
  return { W, b, loss };
}

function makeOptimizer(c: Pick<OptCase, 'kind' | 'opts' | 'groups'>, W: Tensor, b: Tensor): Optimizer<any> {
  const params = c.groups ? [{ params: [W], ...c.groups[0] }, { params: [b], ...c.groups[1] }] : [W, b];
  if (c.kind === 'SGD') return new SGD(params, c.opts as { lr: number });
  return c.kind === 'Adam' ? new Adam(params, c.opts) : new AdamW(params, c.opts);
}

function makeScheduler(spec: OptCase['scheduler'], opt: Optimizer<any>): LRScheduler | null {
  if (!spec) return null;
  const [kind, a] = spec;
  if (kind === 'StepLR') return new StepLR(opt, a.step_size, a.gamma);
  if (kind === 'CosineAnnealingLR') return new CosineAnnealingLR(opt, a.T_max);
  if (kind === 'OneCycleLR') {
    // torch's snake_case keyword arguments → deepten's camelCase options
    const o = Object.fromEntries(Object.entries(a).map(([k, v]) => [k.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()), v]));
    return new OneCycleLR(opt, o as any);
  }
  throw new Error(`unknown scheduler ${kind}`);
}

function trainStep(opt: Optimizer<any>, loss: () => Tensor, sched: LRScheduler | null): void {
  opt.zeroGrad();
  loss().backward();
  opt.step();
  sched?.step();
}

test('optimizer trajectories match PyTorch over 20 steps', () => {
  assert.equal(fx.optimizers.length, 15);
  for (const c of fx.optimizers) {
    const { W, b, loss } = problem();
    const opt = makeOptimizer(c, W, b);
    const sched = makeScheduler(c.scheduler, opt);
    assert.equal(c.trajectory.length, fx.steps);
    c.trajectory.forEach((expected, k) => {
      trainStep(opt, loss, sched);
      assertClose(tensor([...W.data, ...b.data]), expected, `${c.name}: parameters after step ${k + 1}`, 1e-4, 1e-5);
    });
  }
});

test('optimizers update float64 parameters too', () => {
  for (const name of ['sgd_nesterov_wd', 'adam_amsgrad', 'adamw']) {
    const c = fx.optimizers.find((o) => o.name === name)!;
    const { W, b, loss } = problem('float64');
    const opt = makeOptimizer(c, W, b);
    for (let k = 0; k < fx.steps; k++) trainStep(opt, loss, null);
    assert.equal(W.dtype, 'float64');
    assertClose(tensor([...W.data, ...b.data]), c.trajectory[fx.steps - 1], `${name} in float64`, 1e-3, 1e-4);
  }
});

// ---------- schedulers ----------

const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inv: (e) => 1 / (e + 1),
  warmup5: (e) => Math.min(1, (e + 1) / 5),
};

function makeSched(opt: Optimizer<any>, s: SchedSpec): LRScheduler {
  const a = s.args;
  switch (s.kind) {
    case 'StepLR': return new StepLR(opt, a.stepSize, a.gamma);
    case 'MultiStepLR': return new MultiStepLR(opt, a.milestones, a.gamma);
    case 'ExponentialLR': return new ExponentialLR(opt, a.gamma);
    case 'CosineAnnealingLR': return new CosineAnnealingLR(opt, a.tMax, a.etaMin);
    case 'LinearLR': return new LinearLR(opt, a.startFactor, a.endFactor, a.totalIters);
    case 'LambdaLR': { const f = (a.lambdas as string[]).map((n) => LAMBDAS[n]); return new LambdaLR(opt, f.length > 1 ? f : f[0]); }
    case 'SequentialLR': return new SequentialLR(opt, (a.schedulers as SchedSpec[]).map((sub) => makeSched(opt, sub)), a.milestones);
    case 'CosineAnnealingWarmRestarts': return new CosineAnnealingWarmRestarts(opt, a.t0, a.tMult, a.etaMin);
    case 'OneCycleLR': return new OneCycleLR(opt, a as any);
    default: throw new Error(`unknown scheduler ${s.kind}`);
  }
}

/** An SGD with two groups (lr 0.1 and 0.01) over dummy parameters, as the generator's. */
function twoGroupSGD(): SGD {
  return new SGD([{ params: [zeros([1], { requiresGrad: true })] }, { params: [zeros([1], { requiresGrad: true })], lr: 0.01 }], { lr: 0.1 });
}

/** The same with Adam (the generator's 'optimizer': 'Adam'). */
function twoGroupOptimizer(kind: 'SGD' | 'Adam' = 'SGD'): Optimizer<any> {
  if (kind === 'SGD') return twoGroupSGD();
  return new Adam([{ params: [zeros([1], { requiresGrad: true })] }, { params: [zeros([1], { requiresGrad: true })], lr: 0.01 }], { lr: 0.1 });
}

/** Each group's momentum (SGD) or beta1 (Adam). */
function momentums(opt: Optimizer<any>): number[] {
  return opt.paramGroups.map((g) => ('betas' in g ? g.betas[0] : g.momentum));
}

/** Within 1e-12 relative (1e-18 absolute, for zeros). */
function assertLrs(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-18 + 1e-12 * Math.abs(expected[i]), `${what} group ${i}: ${v}, PyTorch ${expected[i]}`));
}

test('scheduler learning rates (and OneCycleLR momentums) match PyTorch', () => {
  assert.equal(fx.schedulers.length, 21);
  assert.equal(fx.schedulers.filter((c) => c.momentums).length, 6);
  for (const c of fx.schedulers) {
    const opt = twoGroupOptimizer(c.optimizer);
    const s = makeSched(opt, c);
    c.lrs.forEach((expected, e) => {
      if (e > 0) s.step();
      assertLrs(s.getLastLr(), expected, `${c.name} epoch ${e}`);
      assertLrs(opt.paramGroups.map((g) => g.lr), expected, `${c.name} epoch ${e} (optimizer lr)`);
      if (c.momentums) assertLrs(momentums(opt), c.momentums[e], `${c.name} epoch ${e} momentum`);
    });
  }
});

test('scheduler stateDict round trip continues the schedule', () => {
  for (const c of fx.schedulers) {
    const opt = twoGroupOptimizer(c.optimizer);
    const s = makeSched(opt, c);
    for (let e = 0; e < 9; e++) s.step();
    const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: s.stateDict() }));
    const opt2 = twoGroupOptimizer(c.optimizer);
    const s2 = makeSched(opt2, c);
    opt2.loadStateDict(saved.opt);
    s2.loadStateDict(saved.sched);
    assert.deepEqual(s2.getLastLr(), s.getLastLr(), c.name);
    assert.deepEqual(momentums(opt2), momentums(opt), c.name);
    for (let e = 10; e < c.lrs.length; e++) {
      s2.step();
      assertLrs(s2.getLastLr(), c.lrs[e], `${c.name} epoch ${e} after reload`);
      if (c.momentums) assertLrs(momentums(opt2), c.momentums[e], `${c.name} epoch ${e} momentum after reload`);
    }
  }
});

test('OneCycleLR: stepping past totalSteps throws, as PyTorch, and changes nothing', () => {
  for (const c of fx.schedulers.filter((k) => k.kind === 'OneCycleLR')) {
    const opt = twoGroupOptimizer(c.optimizer);
    const s = makeSched(opt, c) as OneCycleLR;
    for (let e = 1; e < c.lrs.length; e++) s.step();
    assert.equal(s.lastEpoch, s.totalSteps, c.name);
    const n = s.totalSteps;
    throwsWith(() => s.step(), 'OneCycleLR', `Tried to step ${n + 2} times`, `total steps is ${n}`);
    assert.equal(s.lastEpoch, n);
    assertLrs(opt.paramGroups.map((g) => g.lr), c.lrs[n], `${c.name} after the refused step`);
  }
  // epochs × stepsPerEpoch gives the total
  assert.equal(new OneCycleLR(twoGroupSGD(), { maxLr: 0.1, epochs: 3, stepsPerEpoch: 7 }).totalSteps, 21);
});

test('OneCycleLR overwrites initialLr and the momentum, and leaves the optimizer alone when its options are bad', () => {
  const opt = twoGroupSGD();
  const s = new OneCycleLR(opt, { maxLr: [1, 0.5], totalSteps: 10, divFactor: 4, finalDivFactor: 5 });
  assert.deepEqual(opt.paramGroups.map((g) => g.initialLr), [0.25, 0.125]);
  assert.deepEqual(s.baseLrs, [0.25, 0.125]);
  assert.deepEqual(s.minLrs, [0.05, 0.025]);
  assert.deepEqual(momentums(opt), [0.95, 0.95]);
  // a later scheduler starts from the initialLr OneCycleLR wrote, as in PyTorch
  assert.deepEqual(new ExponentialLR(opt, 0.5).baseLrs, [0.25, 0.125]);
  const adam = twoGroupOptimizer('Adam');
  new OneCycleLR(adam, { maxLr: 0.1, totalSteps: 10, maxMomentum: 0.9 });
  assert.deepEqual(adam.paramGroups.map((g) => g.betas), [[0.9, 0.999], [0.9, 0.999]]);
  const fresh = twoGroupOptimizer('Adam');
  const before = JSON.stringify(fresh.paramGroups.map(({ params: _p, ...o }) => o));
  const bad: [Record<string, unknown>, ...string[]][] = [
    [{ maxLr: 0.1 }, 'totalSteps', 'epochs and stepsPerEpoch'],
    [{ maxLr: 0.1, epochs: 3 }, 'totalSteps', 'epochs and stepsPerEpoch'],
    [{ maxLr: 0.1, totalSteps: 0 }, 'totalSteps', '0'],
    [{ maxLr: 0.1, totalSteps: 2.5 }, 'totalSteps', '2.5'],
    [{ maxLr: 0.1, epochs: 1.5, stepsPerEpoch: 4 }, 'epochs', '1.5'],
    [{ maxLr: 0.1, epochs: 2, stepsPerEpoch: -4 }, 'stepsPerEpoch', '-4'],
    [{ maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }, 'pctStart', '1.5'],
    [{ maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' }, 'annealStrategy', 'exp'],
    [{ maxLr: 0.1, totalSteps: 10, divFactor: 0 }, 'divFactor', '0'],
    [{ maxLr: 0.1, totalSteps: 10, finalDivFactor: Infinity }, 'finalDivFactor'],
    [{ maxLr: 0.1, totalSteps: 10, threePhase: 1 }, 'threePhase'],
    [{ maxLr: 0.1, totalSteps: 10, cycleMomentum: 'yes' }, 'cycleMomentum'],
    [{ maxLr: -0.1, totalSteps: 10 }, 'maxLr', '-0.1'],
    [{ maxLr: [0.1], totalSteps: 10 }, 'maxLr', '1 value(s)', 'expected 2'],
    [{ maxLr: 0.1, totalSteps: 10, maxMomentum: 1 }, 'maxMomentum', '[0, 1)'],
    [{ maxLr: 0.1, totalSteps: 10, baseMomentum: [0.8, 0.8, 0.8] }, 'baseMomentum', '3 value(s)'],
    [{ max_lr: 0.1, totalSteps: 10 }, "unknown option 'max_lr'"],
    // phase 1 ends at pctStart·totalSteps − 1 = 0, where it starts: PyTorch divides by zero here
    [{ maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }, 'phase 1', 'pctStart 0.1', 'divides by zero'],
  ];
  for (const [o, ...parts] of bad) throwsWith(() => new OneCycleLR(fresh, o as any), 'OneCycleLR', ...parts);
  assert.equal(JSON.stringify(fresh.paramGroups.map(({ params: _p, initialLr: _i, ...o }) => o)), before);
  assert.deepEqual(momentums(fresh), [0.9, 0.9]);
  // an optimizer without momentum: only cycleMomentum: false works
  class Plain extends Optimizer<GroupOptions> {
    constructor(params: Tensor[]) { super('Plain', params, { lr: 0.1 }); }
    protected checkOptions(): void {}
    protected checkState(_s: ParamState): void {}
    step(): void {}
  }
  const plain = new Plain([zeros([1], { requiresGrad: true })]);
  throwsWith(() => new OneCycleLR(plain, { maxLr: 0.1, totalSteps: 5 }), 'OneCycleLR', 'cycleMomentum', 'Plain');
  assertLrs(new OneCycleLR(plain, { maxLr: 0.1, totalSteps: 5, cycleMomentum: false }).getLastLr(), [0.1 / 25], 'Plain');
});

test('OneCycleLR and CosineAnnealingWarmRestarts loadStateDict check their options', () => {
  const s = new OneCycleLR(twoGroupSGD(), { maxLr: 0.1, totalSteps: 10 });
  const sd = s.stateDict();
  throwsWith(() => s.loadStateDict({ ...sd, annealStrategy: 'exp' }), 'OneCycleLR.loadStateDict', 'annealStrategy');
  throwsWith(() => s.loadStateDict({ ...sd, maxLrs: [0.1] }), 'OneCycleLR.loadStateDict', "'maxLrs'", '1 value(s)');
  throwsWith(() => s.loadStateDict({ ...sd, lastEpoch: 11 }), 'OneCycleLR.loadStateDict', 'lastEpoch 11', 'totalSteps 10');
  throwsWith(() => s.loadStateDict({ ...sd, totalSteps: 0 }), 'OneCycleLR.loadStateDict', 'totalSteps');
  throwsWith(() => s.loadStateDict({ ...sd, pctStart: 2 }), 'OneCycleLR.loadStateDict', 'pctStart');
  throwsWith(() => s.loadStateDict({ ...sd, threePhase: 'no' }), 'OneCycleLR.loadStateDict', "option 'threePhase'");
  assert.deepEqual(s.stateDict(), sd); // nothing changed
  const w = new CosineAnnealingWarmRestarts(twoGroupSGD(), 4, 2);
  throwsWith(() => w.loadStateDict({ ...w.stateDict(), tMult: 0 } as SchedulerStateDict), 'CosineAnnealingWarmRestarts.loadStateDict', 'tMult', '0');
  throwsWith(() => w.loadStateDict({ ...w.stateDict(), t0: 1.5 } as SchedulerStateDict), 'CosineAnnealingWarmRestarts.loadStateDict', 't0', '1.5');
});

test('CosineAnnealingWarmRestarts: restarts, T_cur / T_i, bad arguments', () => {
  const opt = twoGroupSGD();
  const s = new CosineAnnealingWarmRestarts(opt, 3, 2); // periods 3, 6, 12: restarts at epochs 3, 9, 21
  const seen: [number, number][] = [];
  for (let e = 0; e < 22; e++) { if (e > 0) s.step(); seen.push([s.tCur, s.tI]); }
  assert.deepEqual(seen[2], [2, 3]);
  assert.deepEqual(seen[3], [0, 6]);
  assert.deepEqual(seen[10], [1, 12]);
  assert.deepEqual(seen[21], [0, 24]);
  assert.deepEqual(s.getLastLr(), [0.1, 0.01]); // a restart is back at the base rate
  throwsWith(() => new CosineAnnealingWarmRestarts(opt, 0), 'CosineAnnealingWarmRestarts', 't0', '0');
  throwsWith(() => new CosineAnnealingWarmRestarts(opt, 2.5), 'CosineAnnealingWarmRestarts', 't0', '2.5');
  throwsWith(() => new CosineAnnealingWarmRestarts(opt, 3, 1.5), 'CosineAnnealingWarmRestarts', 'tMult', '1.5');
  throwsWith(() => new CosineAnnealingWarmRestarts(opt, 3, 0), 'CosineAnnealingWarmRestarts', 'tMult', '0');
  throwsWith(() => new CosineAnnealingWarmRestarts(opt, 3, 1, NaN), 'CosineAnnealingWarmRestarts', 'etaMin');
});

// ---------- ReduceLROnPlateau ----------

function assertPlateauState(s: ReduceLROnPlateau, expected: number[], what: string): void {
  assertLrs([s.best], [expected[0]], `${what} best`);
  assert.deepEqual([s.numBadEpochs, s.cooldownCounter], expected.slice(1), `${what} [numBadEpochs, cooldownCounter]`);
}

test('ReduceLROnPlateau matches PyTorch (both modes, rel/abs, cooldown, minLr, eps)', () => {
  assert.equal(fx.plateau.length, 5);
  for (const c of fx.plateau) {
    const opt = twoGroupSGD();
    const s = new ReduceLROnPlateau(opt, c.args);
    assertLrs(s.getLastLr(), c.lrs[0], `${c.name} before any step`);
    c.metrics.forEach((m, k) => {
      s.step(m);
      assertLrs(s.getLastLr(), c.lrs[k + 1], `${c.name} after metric ${k}`);
      assertLrs(opt.paramGroups.map((g) => g.lr), c.lrs[k + 1], `${c.name} after metric ${k} (optimizer lr)`);
      assertPlateauState(s, c.state[k], `${c.name} after metric ${k}`);
    });
    assert.equal(s.lastEpoch, c.metrics.length);
    // the sequence must actually cut the lr
    assert.notDeepEqual(c.lrs[c.lrs.length - 1], c.lrs[0], c.name);
  }
});

test('ReduceLROnPlateau stateDict round trip continues identically', () => {
  for (const c of fx.plateau) {
    const opt = twoGroupSGD();
    const s = new ReduceLROnPlateau(opt, c.args);
    const half = 13;
    c.metrics.slice(0, half).forEach((m) => s.step(m));
    const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: s.stateDict() }));
    s.step(123); // the saved dict must not alias live state
    const opt2 = twoGroupSGD();
    const s2 = new ReduceLROnPlateau(opt2); // options come from the state dict
    opt2.loadStateDict(saved.opt);
    s2.loadStateDict(saved.sched);
    assert.equal(s2.lastEpoch, half);
    assertLrs(s2.getLastLr(), c.lrs[half], c.name);
    for (let k = half; k < c.metrics.length; k++) {
      s2.step(c.metrics[k]);
      assertLrs(s2.getLastLr(), c.lrs[k + 1], `${c.name} after metric ${k}, reloaded`);
      assertPlateauState(s2, c.state[k], `${c.name} after metric ${k}, reloaded`);
    }
  }
  // before any step best is ±Infinity: kept as a number (checkpoints store non-finite numbers)
  const s = new ReduceLROnPlateau(twoGroupSGD(), { mode: 'max' });
  assert.equal(s.stateDict().best, -Infinity);
  const s2 = new ReduceLROnPlateau(twoGroupSGD());
  s2.loadStateDict(structuredClone(s.stateDict()));
  assert.equal(s2.best, -Infinity);
  assert.equal(s2.mode, 'max');
});

test('ReduceLROnPlateau takes a one-element tensor, counts NaN as a bad epoch, rejects bad options', () => {
  const s = new ReduceLROnPlateau(twoGroupSGD(), { patience: 0 });
  s.step(tensor([2]));
  assert.equal(s.best, 2);
  s.step(NaN);
  assert.deepEqual(s.getLastLr(), [0.1 * 0.1, 0.01 * 0.1]);
  throwsWith(() => s.step('1' as any), 'ReduceLROnPlateau.step', 'metric', '"1"');
  const opt = twoGroupSGD();
  const bad: [Record<string, unknown>, ...string[]][] = [
    [{ mode: 'avg' }, 'mode', 'avg'],
    [{ thresholdMode: 'pct' }, 'thresholdMode', 'pct'],
    [{ factor: 1 }, 'factor', '1'],
    [{ factor: -0.5 }, 'factor', '-0.5'],
    [{ patience: -1 }, 'patience', '-1'],
    [{ patience: 1.5 }, 'patience', '1.5'],
    [{ cooldown: -2 }, 'cooldown', '-2'],
    [{ threshold: -1e-4 }, 'threshold', '-0.0001'],
    [{ eps: NaN }, 'eps'],
    [{ minLr: -1 }, 'minLr', '-1'],
    [{ minLr: [0.1] }, 'minLr', '1 value(s)', 'expected 2'],
    [{ min_lr: 0.1 }, "unknown option 'min_lr'"],
  ];
  for (const [o, ...parts] of bad) throwsWith(() => new ReduceLROnPlateau(opt, o as any), 'ReduceLROnPlateau', ...parts);
  const t = new ReduceLROnPlateau(opt, { patience: 1 });
  [1, 0.5, 0.6].forEach((m) => t.step(m));
  const sd = t.stateDict();
  const edits: [Partial<Record<keyof PlateauStateDict, unknown>>, ...string[]][] = [
    [{ kind: 'StepLR' }, 'StepLR'],
    [{ numBadEpochs: -1 }, 'numBadEpochs'],
    [{ cooldownCounter: 0.5 }, 'cooldownCounter'],
    [{ lastEpoch: null }, 'lastEpoch'],
    [{ best: null }, 'best'],
    [{ mode: 'avg' }, 'mode'],
    [{ factor: 2 }, 'factor'],
    [{ minLrs: [0] }, 'minLrs', '2 number(s)'],
    [{ lastLr: [0.1, '0.01'] }, 'lastLr'],
  ];
  for (const [e, ...parts] of edits) throwsWith(() => t.loadStateDict({ ...sd, ...e } as PlateauStateDict), 'ReduceLROnPlateau.loadStateDict', ...parts);
  assert.deepEqual(t.stateDict(), sd); // a failed load changes nothing
});

// ---------- clipping ----------

test('clipGradNorm matches PyTorch (norm types 1, 2, 3, inf; clipping and not)', () => {
  for (const c of fx.clip) {
    const params = c.grads.map((g) => { const p = zeros(g.shape, { requiresGrad: true }); p.grad = decode(g); return p; });
    params.push(zeros([2], { requiresGrad: true })); // no gradient: ignored
    const total = clipGradNorm(params, c.maxNorm, c.normType === 'inf' ? Infinity : c.normType);
    assert.ok(Math.abs(total - c.total) <= 1e-5 * c.total, `${c.name}: total norm ${total}, PyTorch ${c.total}`);
    c.clipped.forEach((g, i) => assertClose(params[i].grad, g, `${c.name}: clipped gradient ${i}`, 1e-5, 1e-7));
    assert.equal(params[3].grad, null);
  }
});

test('clipGradNorm edge cases and clipGradValue', () => {
  assert.equal(clipGradNorm([zeros([3], { requiresGrad: true })], 1), 0);
  const p = tensor([1, 2], { requiresGrad: true });
  p.grad = tensor([3, 4]);
  assert.equal(clipGradNorm(p, 10), 5);
  assert.deepEqual(p.grad.toArray(), [3, 4]);
  p.grad = tensor([NaN, 1]);
  assert.throws(() => clipGradNorm([p], 1, 2, true), /clipGradNorm.*NaN/);
  assert.throws(() => clipGradNorm([p], 1, 0), /clipGradNorm: normType/);
  assert.throws(() => clipGradNorm([p], -1), /clipGradNorm: maxNorm/);
  p.grad = tensor([-3, 0.5]);
  clipGradValue([p], 1);
  assert.deepEqual(p.grad.toArray(), [-1, 0.5]);
  assert.throws(() => clipGradValue([p], -1), /clipGradValue: clipValue/);
});

// ---------- state dicts ----------

/** Typed arrays become plain arrays, as a JSON checkpoint would store them. */
function jsonRoundTrip<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (_k, v) => (v instanceof Float32Array || v instanceof Float64Array ? Array.from(v) : v)));
}

test('optimizer stateDict round trip: save at step 10, load into a fresh optimizer, identical to an uninterrupted run', () => {
  const seqSpec: SchedSpec = { kind: 'SequentialLR', args: { milestones: [4], schedulers: [
    { kind: 'LinearLR', args: { startFactor: 0.2, endFactor: 1, totalIters: 4 } }, { kind: 'CosineAnnealingLR', args: { tMax: 16 } }] } };
  for (const name of ['sgd_nesterov_wd', 'sgd_groups', 'adam_amsgrad', 'adamw_amsgrad_groups', 'adam']) {
    const c = fx.optimizers.find((o) => o.name === name)!;
    for (const viaJson of [false, true]) {
      const ref = problem();
      const refOpt = makeOptimizer(c, ref.W, ref.b);
      const refSched = makeSched(refOpt, seqSpec);
      const run = problem();
      const opt = makeOptimizer(c, run.W, run.b);
      const sched = makeSched(opt, seqSpec);
      for (let k = 0; k < 10; k++) { trainStep(refOpt, ref.loss, refSched); trainStep(opt, run.loss, sched); }
      let sd = { opt: opt.stateDict(), sched: sched.stateDict() };
      if (viaJson) sd = jsonRoundTrip(sd);
      for (let k = 0; k < 3; k++) trainStep(opt, run.loss, sched); // the saved dict must not alias live state
      const fresh = problem();
      fresh.W.data.set(ref.W.data); fresh.b.data.set(ref.b.data);
      const opt2 = makeOptimizer(c, fresh.W, fresh.b);
      const sched2 = makeSched(opt2, seqSpec);
      opt2.loadStateDict(sd.opt);
      sched2.loadStateDict(sd.sched);
      for (let k = 10; k < 20; k++) { trainStep(refOpt, ref.loss, refSched); trainStep(opt2, fresh.loss, sched2); }
      assert.deepEqual([...fresh.W.data, ...fresh.b.data], [...ref.W.data, ...ref.b.data], `${name}${viaJson ? ' via JSON' : ''}`);
      assert.deepEqual(opt2.paramGroups.map((g) => g.lr), refOpt.paramGroups.map((g) => g.lr));
    }
  }
});

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: Error) => {
    for (const p of parts) assert.ok(e.message.includes(p), `message "${e.message}" should mention "${p}"`);
    return true;
  });
}

test('loadStateDict names what mismatches', () => {
  const trained = () => {
    const { W, b, loss } = problem();
    const opt = new Adam([W, b], { lr: 0.01 });
    trainStep(opt, loss, null);
    return opt;
  };
  const sd = trained().stateDict();
  const fresh = () => { const { W, b } = problem(); return new Adam([W, b], { lr: 0.01 }); };
  const edit = (f: (s: any) => void): OptimizerStateDict => { const s = jsonRoundTrip(sd); f(s); return s; };

  throwsWith(() => fresh().loadStateDict(edit((s) => s.paramGroups.push({ ...s.paramGroups[0], params: [] }))), 'Adam.loadStateDict', '2 parameter group(s)', 'has 1');
  throwsWith(() => fresh().loadStateDict(edit((s) => s.paramGroups[0].params.pop())), 'group 0', '1 parameter(s) in the state dict', '2 in this optimizer');
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.state[0].expAvg = s.state[0].expAvg.slice(1); })), "'expAvg'", '11 element(s)', 'has 12', 'shape [3, 4]');
  throwsWith(() => fresh().loadStateDict(edit((s) => { delete s.state[1].expAvgSq; })), 'parameter 1', "lacks buffer 'expAvgSq'");
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.state[1].step = -1; })), 'parameter 1', "'step'");
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.state[7] = s.state[0]; })), 'parameter 7', 'no parameter group lists');
  throwsWith(() => fresh().loadStateDict(edit((s) => { delete s.paramGroups[0].eps; })), 'group 0', "lacks option 'eps'");
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.paramGroups[0].betas = [0.9]; })), 'group 0', "option 'betas'");
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.paramGroups[0].momentum = 0.9; })), 'group 0', "unknown option 'momentum'");
  throwsWith(() => fresh().loadStateDict(edit((s) => { s.paramGroups[0].lr = -1; })), 'group 0', 'invalid lr -1');
  throwsWith(() => fresh().loadStateDict({} as OptimizerStateDict), 'Adam.loadStateDict', '{ state, paramGroups }');
  // an SGD state dict does not fit an Adam
  const { W, b, loss } = problem();
  const sgd = new SGD([W, b], { lr: 0.1, momentum: 0.9 });
  trainStep(sgd, loss, null);
  throwsWith(() => fresh().loadStateDict(sgd.stateDict()), 'Adam.loadStateDict', "lacks option 'betas'");
  // a failed load changes nothing
  const opt = trained();
  const before = jsonRoundTrip(opt.stateDict());
  assert.throws(() => opt.loadStateDict(edit((s) => { s.state[1].expAvg = [1]; s.paramGroups[0].lr = 5; })));
  assert.deepEqual(jsonRoundTrip(opt.stateDict()), before);
});

test('optimizers reject bad parameters and options', () => {
  const p = () => zeros([2, 3], { requiresGrad: true });
  throwsWith(() => new SGD([], { lr: 0.1 }), 'SGD', 'empty parameter list');
  throwsWith(() => new SGD([p()], {} as { lr: number }), 'SGD', 'lr is required');
  throwsWith(() => new SGD([p()], { lr: -0.1 }), 'SGD', 'invalid lr -0.1');
  throwsWith(() => new SGD([p()], { lr: 0.1, nesterov: true }), 'SGD', 'Nesterov', 'momentum 0');
  throwsWith(() => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), 'Nesterov', 'dampening 0.1');
  throwsWith(() => new SGD([p()], { lr: 0.1, momentom: 0.9 } as { lr: number }), 'SGD', "unknown option 'momentom'");
  throwsWith(() => new SGD([{ params: [p()], lr: 0.1, betas: [0.9, 0.9] } as any], { lr: 0.1 }), 'parameter group 0', "unknown option 'betas'");
  throwsWith(() => new SGD([p(), zeros([2], { dtype: 'int32' })], { lr: 0.1 }), 'parameter 1', 'int32', '[2]');
  throwsWith(() => new SGD([p().mul(2)], { lr: 0.1 }), 'parameter 0', 'not a leaf', '[2, 3]');
  const q = p();
  throwsWith(() => new SGD([{ params: [q] }, { params: [p(), q] }], { lr: 0.1 }), 'parameter group 1', 'parameter 1', 'already belongs');
  throwsWith(() => new SGD([{ params: [] }], { lr: 0.1 }), 'parameter group 0', 'no parameters');
  throwsWith(() => new Adam([p()], { betas: [0.9, 1] }), 'Adam', 'invalid beta2 1');
  throwsWith(() => new AdamW([p()], { eps: -1 }), 'AdamW', 'invalid eps -1');
  throwsWith(() => new AdamW([p()], { weightDecay: -0.1 }), 'AdamW', 'invalid weightDecay -0.1');
  // a gradient that does not fit its parameter (only reachable by assigning .grad by hand)
  const r = p();
  r.grad = zeros([3]);
  throwsWith(() => new Adam([r]).step(), 'Adam.step', '[2, 3]', '[3]');
});

test('zeroGrad, skipped parameters, defaults', () => {
  const { W, b, loss } = problem();
  const opt = new SGD([W, b], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
  loss().backward();
  opt.zeroGrad(false);
  assert.deepEqual(W.grad!.toArray(), new Array(12).fill(0));
  opt.zeroGrad();
  assert.equal(W.grad, null);
  // a parameter with no gradient is neither updated nor given state (even with weight decay)
  const b0 = [...b.data];
  W.grad = zeros([3, 4]).add(1);
  opt.step();
  assert.deepEqual([...b.data], b0);
  assert.equal(opt.state.has(b), false);
  assert.equal(opt.state.has(W), true);
  assert.equal(new AdamW([W]).paramGroups[0].weightDecay, 0.01);
  assert.deepEqual(new Adam([W]).paramGroups[0].betas, [0.9, 0.999]);
  const groups = new SGD([{ params: [W], lr: 0.5 }, { params: [b] }], { lr: 0.1, momentum: 0.9 }).paramGroups;
  assert.deepEqual(groups.map((g) => [g.lr, g.momentum]), [[0.5, 0.9], [0.1, 0.9]]);
});

test('schedulers reject bad arguments and foreign state dicts', () => {
  const opt = twoGroupSGD();
  throwsWith(() => new StepLR(opt, 0), 'StepLR', 'stepSize', '0');
  throwsWith(() => new CosineAnnealingLR(opt, 2.5), 'CosineAnnealingLR', 'tMax', '2.5');
  throwsWith(() => new LinearLR(opt, 0), 'LinearLR', 'startFactor', '0');
  throwsWith(() => new LinearLR(opt, 0.5, 1.5), 'LinearLR', 'endFactor', '1.5');
  throwsWith(() => new ExponentialLR(opt, NaN), 'ExponentialLR', 'gamma');
  throwsWith(() => new MultiStepLR(opt, [3, -1]), 'MultiStepLR', 'milestone', '-1');
  throwsWith(() => new LambdaLR(opt, [(e: number) => e]), 'LambdaLR', '1 lambdas', '2 parameter groups');
  const a = new StepLR(opt, 2), c = new ExponentialLR(opt, 0.5);
  throwsWith(() => new SequentialLR(opt, [a, c], []), 'SequentialLR', '1 milestone(s)');
  throwsWith(() => new SequentialLR(opt, [a, c], [0]), 'SequentialLR', 'milestone');
  throwsWith(() => new SequentialLR(twoGroupSGD(), [a, c], [3]), 'SequentialLR', 'schedulers[0] (StepLR)', 'different optimizer');
  throwsWith(() => a.loadStateDict(c.stateDict()), 'StepLR.loadStateDict', 'ExponentialLR');
  throwsWith(() => a.loadStateDict({ ...a.stateDict(), baseLrs: [0.1] }), 'StepLR.loadStateDict', 'baseLrs', '2 number(s)');
  throwsWith(() => a.loadStateDict({ ...a.stateDict(), gamma: 'x' }), 'StepLR.loadStateDict', "option 'gamma'");
  // the first scheduler records initialLr; a later one shares it, so both see the same base rates
  assert.deepEqual(a.baseLrs, [0.1, 0.01]);
  assert.deepEqual(c.baseLrs, [0.1, 0.01]);
  assert.deepEqual(opt.paramGroups.map((g) => g.initialLr), [0.1, 0.01]);
  const gopt: Optimizer<GroupOptions> = opt; // any optimizer fits a scheduler
  assert.ok(gopt.paramGroups.length === 2);
});

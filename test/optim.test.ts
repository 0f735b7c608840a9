// Optimizers, schedulers and clipping against torch 1.13 (test/fixtures/gen_optim.py), state-dict round trips,
// and every rejected input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, tensor, mseLoss, zeros, type DType } from '../src/index.ts';
import {
  SGD, Adam, AdamW, Optimizer, clipGradNorm, clipGradValue, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
  LinearLR, LambdaLR, SequentialLR, LRScheduler, type OptimizerStateDict, type GroupOptions,
} from '../src/optim/index.ts';
import { decode, assertClose, type Encoded } from './helpers.ts';

interface OptCase {
  name: string; kind: 'SGD' | 'Adam' | 'AdamW'; opts: Record<string, any>; groups: Record<string, any>[] | null;
  scheduler: [string, Record<string, number>] | null; trajectory: number[][];
}
interface SchedSpec { kind: string; args: Record<string, any> }
interface SchedCase extends SchedSpec { name: string; lrs: number[][] }
interface ClipCase { name: string; maxNorm: number; normType: number | 'inf'; grads: Encoded[]; total: number; clipped: Encoded[] }
const fx: {
  steps: number; problem: Record<'W0' | 'b0' | 'X' | 'Y', Encoded>; optimizers: OptCase[]; schedulers: SchedCase[]; clip: ClipCase[];
} = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/optim.json', import.meta.url)), 'utf8'));

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
  throw new Error(`unknown scheduler ${kind}`);
}

function trainStep(opt: Optimizer<any>, loss: () => Tensor, sched: LRScheduler | null): void {
  opt.zeroGrad();
  loss().backward();
  opt.step();
  sched?.step();
}

test('optimizer trajectories match PyTorch over 20 steps', () => {
  assert.equal(fx.optimizers.length, 13);
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
    default: throw new Error(`unknown scheduler ${s.kind}`);
  }
}

/** An SGD with two groups (lr 0.1 and 0.01) over dummy parameters, as the generator's. */
function twoGroupSGD(): SGD {
  return new SGD([{ params: [zeros([1], { requiresGrad: true })] }, { params: [zeros([1], { requiresGrad: true })], lr: 0.01 }], { lr: 0.1 });
}

function assertLrs(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-12 + 1e-9 * Math.abs(expected[i]), `${what} group ${i}: ${v}, PyTorch ${expected[i]}`));
}

test('scheduler learning rates match PyTorch', () => {
  assert.equal(fx.schedulers.length, 12);
  for (const c of fx.schedulers) {
    const opt = twoGroupSGD();
    const s = makeSched(opt, c);
    c.lrs.forEach((expected, e) => {
      if (e > 0) s.step();
      assertLrs(s.getLastLr(), expected, `${c.name} epoch ${e}`);
      assertLrs(opt.paramGroups.map((g) => g.lr), expected, `${c.name} epoch ${e} (optimizer lr)`);
    });
  }
});

test('scheduler stateDict round trip continues the schedule', () => {
  for (const c of fx.schedulers) {
    const opt = twoGroupSGD();
    const s = makeSched(opt, c);
    for (let e = 0; e < 9; e++) s.step();
    const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: s.stateDict() }));
    const opt2 = twoGroupSGD();
    const s2 = makeSched(opt2, c);
    opt2.loadStateDict(saved.opt);
    s2.loadStateDict(saved.sched);
    assert.deepEqual(s2.getLastLr(), s.getLastLr(), c.name);
    for (let e = 10; e < c.lrs.length; e++) {
      s2.step();
      assertLrs(s2.getLastLr(), c.lrs[e], `${c.name} epoch ${e} after reload`);
    }
  }
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

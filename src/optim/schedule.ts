// Learning-rate schedulers (torch.optim.lr_scheduler). Each is a closed form lr_e = f(baseLr, e) of the epoch
// counter e (the number of step() calls so far), written into every parameter group's lr. baseLr is the group's
// initialLr, which the first scheduler built on an optimizer records from its lr (PyTorch's 'initial_lr').
// Construction performs step 0, as in PyTorch, so lr is f(baseLr, 0) straight away. ReduceLROnPlateau, driven by a
// metric rather than the epoch, is a separate class with the same stateDict conventions.
import type { Optimizer, GroupOptions } from './optimizer.ts';
import type { Tensor } from '../tensor.ts';

export interface SchedulerStateDict {
  kind: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [option: string]: unknown;
}

type AnyOptimizer = Optimizer<GroupOptions>;

export abstract class LRScheduler {
  /** Steps taken; 0 right after construction. */
  lastEpoch = -1;
  baseLrs: number[];
  protected lastLr: number[] = [];
  /** Hyper-parameters saved by stateDict() (PyTorch saves every attribute but the optimizer). */
  protected abstract readonly optionNames: string[];

  constructor(readonly name: string, readonly optimizer: AnyOptimizer) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new Error(`${name}: expected an optimizer`);
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** The learning rate of group `group`, whose base rate is baseLr, at epoch `epoch`. */
  abstract lrAt(baseLr: number, epoch: number, group: number): number;

  /** Advances one epoch (or iteration, for per-iteration schedules) and sets every group's lr. */
  step(): void {
    this.seek(this.lastEpoch + 1);
  }

  /** Jumps to `epoch` and sets every group's lr (SequentialLR drives its schedulers this way). */
  seek(epoch: number): void {
    this.lastEpoch = epoch;
    const groups = this.optimizer.paramGroups;
    groups.forEach((g, i) => { g.lr = this.lrAt(this.baseLrs[i], epoch, i); });
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The learning rates the last step() set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    const sd: SchedulerStateDict = { kind: this.name, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
    for (const k of this.optionNames) {
      const v = (this as unknown as Record<string, unknown>)[k];
      sd[k] = Array.isArray(v) ? [...v] : v;
    }
    return sd;
  }

  /** Restores the counter, base rates and hyper-parameters; the optimizer's lr comes from its own state dict. */
  loadStateDict(sd: SchedulerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object') throw new Error(`${op}: expected an object`);
    if (sd.kind !== this.name) throw new Error(`${op}: the state dict is for a ${String(sd.kind)}, not a ${this.name}`);
    if (!Number.isInteger(sd.lastEpoch) || sd.lastEpoch < 0) throw new Error(`${op}: lastEpoch must be a non-negative integer, got ${JSON.stringify(sd.lastEpoch)}`);
    const n = this.optimizer.paramGroups.length;
    for (const key of ['baseLrs', 'lastLr'] as const) {
      const v = sd[key];
      if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number')) {
        throw new Error(`${op}: ${key} must list ${n} number(s), one per parameter group, got ${JSON.stringify(v)}`);
      }
    }
    const self = this as unknown as Record<string, unknown>;
    for (const k of this.optionNames) {
      const cur = self[k], v = sd[k];
      const ok = Array.isArray(cur) ? Array.isArray(v) && v.every((x) => typeof x === 'number') : typeof v === typeof cur;
      if (!ok) throw new Error(`${op}: option '${k}' is ${JSON.stringify(v)}, expected a value like ${JSON.stringify(cur)}`);
    }
    this.checkStateDict(sd, op);
    for (const k of this.optionNames) self[k] = Array.isArray(sd[k]) ? [...(sd[k] as number[])] : sd[k];
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.lastLr = [...sd.lastLr];
  }

  /** Checks a state dict's option values (their types are checked already) before anything is loaded. */
  protected checkStateDict(_sd: SchedulerStateDict, _op: string): void {}
}

function checkPositiveInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name} must be a positive integer, got ${v}`);
}

function checkFinite(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${v}`);
}

/** lr = baseLr·γ^⌊e / stepSize⌋ */
export class StepLR extends LRScheduler {
  protected readonly optionNames = ['stepSize', 'gamma'];
  constructor(optimizer: AnyOptimizer, public stepSize: number, public gamma = 0.1) {
    super('StepLR', optimizer);
    checkPositiveInt('StepLR', 'stepSize', stepSize);
    checkFinite('StepLR', 'gamma', gamma);
    this.step();
  }
  lrAt(baseLr: number, e: number): number { return baseLr * this.gamma ** Math.floor(e / this.stepSize); }
}

/** lr = baseLr·γ^(number of milestones ≤ e) */
export class MultiStepLR extends LRScheduler {
  protected readonly optionNames = ['milestones', 'gamma'];
  constructor(optimizer: AnyOptimizer, public milestones: number[], public gamma = 0.1) {
    super('MultiStepLR', optimizer);
    if (!Array.isArray(milestones)) throw new Error(`MultiStepLR: milestones must be an array of epochs, got ${JSON.stringify(milestones)}`);
    for (const m of milestones) checkPositiveInt('MultiStepLR', 'each milestone', m);
    checkFinite('MultiStepLR', 'gamma', gamma);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.step();
  }
  lrAt(baseLr: number, e: number): number { return baseLr * this.gamma ** this.milestones.filter((m) => m <= e).length; }
}

/** lr = baseLr·γ^e */
export class ExponentialLR extends LRScheduler {
  protected readonly optionNames = ['gamma'];
  constructor(optimizer: AnyOptimizer, public gamma: number) {
    super('ExponentialLR', optimizer);
    checkFinite('ExponentialLR', 'gamma', gamma);
    this.step();
  }
  lrAt(baseLr: number, e: number): number { return baseLr * this.gamma ** e; }
}

/** lr = etaMin + (baseLr − etaMin)·(1 + cos(π·e / tMax)) / 2 (past tMax the cosine continues, as PyTorch's). */
export class CosineAnnealingLR extends LRScheduler {
  protected readonly optionNames = ['tMax', 'etaMin'];
  constructor(optimizer: AnyOptimizer, public tMax: number, public etaMin = 0) {
    super('CosineAnnealingLR', optimizer);
    checkPositiveInt('CosineAnnealingLR', 'tMax', tMax);
    checkFinite('CosineAnnealingLR', 'etaMin', etaMin);
    this.step();
  }
  lrAt(baseLr: number, e: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2;
  }
}

/** lr = baseLr·(start + (end − start)·min(e, totalIters) / totalIters): a linear warm-up (or decay). */
export class LinearLR extends LRScheduler {
  protected readonly optionNames = ['startFactor', 'endFactor', 'totalIters'];
  constructor(optimizer: AnyOptimizer, public startFactor = 1 / 3, public endFactor = 1, public totalIters = 5) {
    super('LinearLR', optimizer);
    if (!(startFactor > 0 && startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${endFactor}`);
    checkPositiveInt('LinearLR', 'totalIters', totalIters);
    this.step();
  }
  lrAt(baseLr: number, e: number): number {
    return baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(e, this.totalIters)) / this.totalIters);
  }
}

/** lr = baseLr·λ(e), one λ for all groups or one per group. The functions are not part of the state dict. */
export class LambdaLR extends LRScheduler {
  protected readonly optionNames: string[] = [];
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]) {
    super('LambdaLR', optimizer);
    const n = optimizer.paramGroups.length;
    this.lambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: n }, () => lrLambda);
    if (this.lambdas.length !== n) throw new Error(`LambdaLR: got ${this.lambdas.length} lambdas for ${n} parameter groups`);
    if (this.lambdas.some((f) => typeof f !== 'function')) throw new Error('LambdaLR: lrLambda must be a function or an array of functions');
    this.step();
  }
  lrAt(baseLr: number, e: number, group: number): number { return baseLr * this.lambdas[group](e); }
}

/**
 * Runs schedulers[0] until milestones[0], then schedulers[1] from its epoch 0, and so on (each sees the epochs
 * since its own start). The schedulers must be built on the same optimizer, before this.
 */
export class SequentialLR extends LRScheduler {
  protected readonly optionNames = ['milestones'];
  readonly schedulers: LRScheduler[];
  constructor(optimizer: AnyOptimizer, schedulers: LRScheduler[], public milestones: number[]) {
    super('SequentialLR', optimizer);
    const op = 'SequentialLR';
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error(`${op}: expected at least one scheduler`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`${op}: schedulers[${i}] is not a scheduler`);
      if (s.optimizer !== optimizer) throw new Error(`${op}: schedulers[${i}] (${s.name}) was built on a different optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`${op}: ${schedulers.length} schedulers need ${schedulers.length - 1} milestone(s), got ${JSON.stringify(milestones)}`);
    }
    milestones.forEach((m, i) => {
      checkPositiveInt(op, 'each milestone', m);
      if (i > 0 && m <= milestones[i - 1]) throw new Error(`${op}: milestones must increase, got ${JSON.stringify(milestones)}`);
    });
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.step();
  }

  /** The scheduler in charge at epoch e, and its own epoch count. */
  private active(e: number): [LRScheduler, number] {
    let i = 0;
    while (i < this.milestones.length && this.milestones[i] <= e) i++;
    return [this.schedulers[i], i === 0 ? e : e - this.milestones[i - 1]];
  }

  lrAt(_baseLr: number, e: number, group: number): number {
    const [s, local] = this.active(e);
    return s.lrAt(s.baseLrs[group], local, group);
  }

  override seek(epoch: number): void {
    this.lastEpoch = epoch;
    const [s, local] = this.active(epoch);
    s.seek(local);
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    const subs = sd?.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new Error(`SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler state dicts, got ${Array.isArray(subs) ? subs.length : JSON.stringify(subs)}`);
    }
    super.loadStateDict(sd);
    this.schedulers.forEach((s, i) => s.loadStateDict(subs[i] as SchedulerStateDict));
  }
}

/**
 * SGDR: lr = etaMin + (baseLr − etaMin)·(1 + cos(π·T_cur / T_i)) / 2, where T_cur counts the epochs since the last
 * restart and the period T_i starts at t0 and is multiplied by tMult at every restart (torch's step() without an
 * epoch argument; integer epochs only).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  protected readonly optionNames = ['t0', 'tMult', 'etaMin'];
  constructor(optimizer: AnyOptimizer, public t0: number, public tMult = 1, public etaMin = 0) {
    super('CosineAnnealingWarmRestarts', optimizer);
    checkPositiveInt('CosineAnnealingWarmRestarts', 't0', t0);
    checkPositiveInt('CosineAnnealingWarmRestarts', 'tMult', tMult);
    checkFinite('CosineAnnealingWarmRestarts', 'etaMin', etaMin);
    this.step();
  }

  /** [T_cur, T_i] at epoch e: epochs since the last restart, and the current period. */
  cycleAt(e: number): [number, number] {
    if (this.tMult === 1) return [e % this.t0, this.t0];
    let tCur = e, tI = this.t0;
    while (tCur >= tI) { tCur -= tI; tI *= this.tMult; }
    return [tCur, tI];
  }

  /** Epochs since the last restart (PyTorch's T_cur). */
  get tCur(): number { return this.cycleAt(this.lastEpoch)[0]; }
  /** The current period (PyTorch's T_i). */
  get tI(): number { return this.cycleAt(this.lastEpoch)[1]; }

  lrAt(baseLr: number, e: number): number {
    const [tCur, tI] = this.cycleAt(e);
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }

  protected override checkStateDict(sd: SchedulerStateDict, op: string): void {
    checkPositiveInt(op, 't0', sd.t0 as number);
    checkPositiveInt(op, 'tMult', sd.tMult as number);
    checkFinite(op, 'etaMin', sd.etaMin as number);
  }
}

export interface OneCycleLROptions {
  /** The peak lr, one for all groups or one per group. */
  maxLr: number | number[];
  /** The cycle's length in steps; or give epochs and stepsPerEpoch (totalSteps takes precedence, as in PyTorch). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr. */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** initialLr = maxLr / divFactor */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, down to minLr) instead of two (up, down to minLr). */
  threePhase?: boolean;
  /** Cycle SGD's momentum (or Adam's beta1) inversely to the lr, between baseMomentum and maxMomentum. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
}

const ONE_CYCLE_OPTIONS = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'divFactor',
  'finalDivFactor', 'threePhase', 'cycleMomentum', 'baseMomentum', 'maxMomentum'];

/** v as one number per group (a scalar is repeated), each passing `test`. */
function perGroup(op: string, name: string, v: unknown, n: number, test: (x: number) => boolean, rule: string): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length !== n) throw new Error(`${op}: ${name} lists ${v.length} value(s), expected ${n}, one per parameter group`);
  for (const x of list) if (typeof x !== 'number' || !test(x)) throw new Error(`${op}: ${name} must be ${rule}, got ${JSON.stringify(v)}`);
  return Array.isArray(v) ? [...v] : new Array(n).fill(v);
}

/** Which optimizer option holds the momentum: Adam's betas[0], SGD's momentum, or none. */
function momentumKey(optimizer: AnyOptimizer): 'betas' | 'momentum' | null {
  const d = optimizer.defaults as unknown as Record<string, unknown>;
  return 'betas' in d ? 'betas' : 'momentum' in d ? 'momentum' : null;
}

/** The ends of a phase: lr goes from lr[0] to lr[1] and momentum from momentum[0] to momentum[1]. */
interface Phase { end: number; lr: ['initial' | 'max' | 'min', 'initial' | 'max' | 'min']; momentum: ['max' | 'base', 'max' | 'base'] }

/**
 * The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR), stepped once per batch. Two phases: lr from
 * initialLr = maxLr/divFactor up to maxLr over the first pctStart·totalSteps steps, then down to
 * minLr = initialLr/finalDivFactor at step totalSteps − 1; or three (up, back down to initialLr symmetrically,
 * then down to minLr). Within a phase ending at step b that starts where the previous one ended (a, or 0),
 * pct = (n − a)/(b − a) and lr = anneal(from, to, pct) with cos: to + (from − to)/2·(cos(π·pct) + 1) or linear:
 * (to − from)·pct + from. Momentum runs the other way (maxMomentum → baseMomentum while lr rises). Construction
 * overwrites every group's initialLr and momentum, as PyTorch's; step totalSteps is the last allowed.
 */
export class OneCycleLR extends LRScheduler {
  protected readonly optionNames = ['totalSteps', 'pctStart', 'annealStrategy', 'divFactor', 'finalDivFactor', 'threePhase',
    'cycleMomentum', 'maxLrs', 'minLrs', 'maxMomentums', 'baseMomentums'];
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;
  cycleMomentum: boolean;
  maxLrs: number[];
  minLrs: number[];
  maxMomentums: number[];
  baseMomentums: number[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    const op = 'OneCycleLR';
    // Everything is checked before the optimizer is touched.
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new Error(`${op}: expected an optimizer`);
    if (!options || typeof options !== 'object') throw new Error(`${op}: expected an options object with maxLr`);
    for (const k of Object.keys(options)) {
      if (!ONE_CYCLE_OPTIONS.includes(k)) throw new Error(`${op}: unknown option '${k}' (OneCycleLR takes ${ONE_CYCLE_OPTIONS.join(', ')})`);
    }
    const o = options;
    const n = optimizer.paramGroups.length;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      checkPositiveInt(op, 'totalSteps', o.totalSteps);
      totalSteps = o.totalSteps;
    } else {
      if (o.epochs === undefined || o.stepsPerEpoch === undefined) throw new Error(`${op}: give totalSteps, or both epochs and stepsPerEpoch`);
      checkPositiveInt(op, 'epochs', o.epochs);
      checkPositiveInt(op, 'stepsPerEpoch', o.stepsPerEpoch);
      totalSteps = o.epochs * o.stepsPerEpoch;
    }
    const pctStart = o.pctStart ?? 0.3;
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) throw new Error(`${op}: pctStart must be in [0, 1], got ${pctStart}`);
    const annealStrategy = o.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`${op}: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(annealStrategy)}`);
    const divFactor = o.divFactor ?? 25, finalDivFactor = o.finalDivFactor ?? 1e4;
    for (const [k, v] of [['divFactor', divFactor], ['finalDivFactor', finalDivFactor]] as const) {
      if (typeof v !== 'number' || !(v > 0 && Number.isFinite(v))) throw new Error(`${op}: ${k} must be a positive finite number, got ${v}`);
    }
    const threePhase = o.threePhase ?? false, cycleMomentum = o.cycleMomentum ?? true;
    if (typeof threePhase !== 'boolean') throw new Error(`${op}: threePhase must be a boolean, got ${JSON.stringify(threePhase)}`);
    if (typeof cycleMomentum !== 'boolean') throw new Error(`${op}: cycleMomentum must be a boolean, got ${JSON.stringify(cycleMomentum)}`);
    const maxLrs = perGroup(op, 'maxLr', o.maxLr, n, (x) => x > 0 && Number.isFinite(x), 'a positive finite number (or one per group)');
    const key = momentumKey(optimizer);
    if (cycleMomentum && key === null) throw new Error(`${op}: cycleMomentum needs an optimizer with momentum or betas (${optimizer.name} has neither); pass cycleMomentum: false`);
    // Adam's beta1 must stay below 1; SGD's momentum only non-negative.
    const okMomentum = key === 'betas' ? (x: number) => x >= 0 && x < 1 : (x: number) => x >= 0 && Number.isFinite(x);
    const rule = key === 'betas' ? 'in [0, 1) (it becomes beta1)' : 'a non-negative finite number';
    const baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.85, n, okMomentum, rule);
    const maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.95, n, okMomentum, rule);

    super(op, optimizer);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.divFactor = divFactor;
    this.finalDivFactor = finalDivFactor;
    this.threePhase = threePhase;
    this.cycleMomentum = cycleMomentum;
    this.maxLrs = maxLrs;
    this.baseLrs = maxLrs.map((lr) => lr / divFactor);
    this.minLrs = this.baseLrs.map((lr) => lr / finalDivFactor);
    this.maxMomentums = maxMomentums;
    this.baseMomentums = baseMomentums;
    this.locate(0); // throws now, before the groups change, if step 0 falls in an empty phase
    optimizer.paramGroups.forEach((g, i) => {
      g.initialLr = this.baseLrs[i];
      if (cycleMomentum) this.setMomentum(i, maxMomentums[i]);
    });
    this.step();
  }

  /** PyTorch's _schedule_phases (end steps are floats: pctStart·totalSteps need not be whole). */
  private phases(): Phase[] {
    const T = this.totalSteps, p = this.pctStart;
    if (this.threePhase) {
      return [
        { end: p * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { end: 2 * p * T - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
        { end: T - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
      ];
    }
    return [
      { end: p * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
      { end: T - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
    ];
  }

  /** The phase holding step n and how far through it n is (the last phase takes every later step). */
  private locate(n: number): [Phase, number] {
    const phases = this.phases();
    let start = 0;
    for (let i = 0; ; i++) {
      const ph = phases[i];
      if (n <= ph.end || i === phases.length - 1) {
        // PyTorch raises ZeroDivisionError here.
        if (ph.end === start) throw new Error(`OneCycleLR: phase ${i + 1} of the schedule is empty (pctStart ${this.pctStart}, totalSteps ${this.totalSteps}), so step ${n} divides by zero`);
        return [ph, (n - start) / (ph.end - start)];
      }
      start = ph.end;
    }
  }

  private anneal(from: number, to: number, pct: number): number {
    return this.annealStrategy === 'cos' ? to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1) : (to - from) * pct + from;
  }

  lrAt(baseLr: number, e: number, group: number): number {
    const [ph, pct] = this.locate(e);
    const value = { initial: baseLr, max: this.maxLrs[group], min: this.minLrs[group] };
    return this.anneal(value[ph.lr[0]], value[ph.lr[1]], pct);
  }

  /** The momentum (or beta1) of group `group` at step e. */
  momentumAt(e: number, group: number): number {
    const [ph, pct] = this.locate(e);
    const value = { max: this.maxMomentums[group], base: this.baseMomentums[group] };
    return this.anneal(value[ph.momentum[0]], value[ph.momentum[1]], pct);
  }

  private setMomentum(group: number, m: number): void {
    const g = this.optimizer.paramGroups[group] as unknown as Record<string, unknown>;
    if (momentumKey(this.optimizer) === 'betas') g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  override seek(epoch: number): void {
    if (epoch > this.totalSteps) {
      throw new Error(`OneCycleLR: Tried to step ${epoch + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    super.seek(epoch);
    if (this.cycleMomentum) this.optimizer.paramGroups.forEach((_g, i) => this.setMomentum(i, this.momentumAt(epoch, i)));
  }

  protected override checkStateDict(sd: SchedulerStateDict, op: string): void {
    const n = this.optimizer.paramGroups.length;
    checkPositiveInt(op, 'totalSteps', sd.totalSteps as number);
    if (sd.lastEpoch > (sd.totalSteps as number)) throw new Error(`${op}: lastEpoch ${sd.lastEpoch} is past totalSteps ${sd.totalSteps}`);
    const p = sd.pctStart as number;
    if (!(p >= 0 && p <= 1)) throw new Error(`${op}: pctStart must be in [0, 1], got ${p}`);
    if (sd.annealStrategy !== 'cos' && sd.annealStrategy !== 'linear') throw new Error(`${op}: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(sd.annealStrategy)}`);
    for (const k of ['maxLrs', 'minLrs', 'maxMomentums', 'baseMomentums']) {
      const v = sd[k] as number[];
      if (v.length !== n) throw new Error(`${op}: option '${k}' lists ${v.length} value(s), expected ${n}, one per parameter group`);
    }
    if (sd.cycleMomentum && momentumKey(this.optimizer) === null) throw new Error(`${op}: cycleMomentum is set but ${this.optimizer.name} has no momentum or betas`);
  }
}

// ---------- ReduceLROnPlateau ----------

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). */
  mode?: 'min' | 'max';
  /** new lr = lr·factor */
  factor?: number;
  /** Bad epochs tolerated before the lr is cut (the cut comes on bad epoch patience + 1). */
  patience?: number;
  /** How much better counts as better: rel: best·(1 ∓ threshold); abs: best ∓ threshold. */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a cut during which bad epochs are not counted. */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group. */
  minLr?: number | number[];
  /** A cut smaller than eps is skipped. */
  eps?: number;
}

export interface PlateauStateDict {
  kind: string;
  lastEpoch: number;
  lastLr: number[];
  /** The best metric so far (±Infinity before the first step; checkpoints store non-finite numbers). */
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
}

function checkPlateauOptions(op: string, o: Record<string, unknown>): void {
  if (o.mode !== 'min' && o.mode !== 'max') throw new Error(`${op}: mode must be 'min' or 'max', got ${JSON.stringify(o.mode)}`);
  if (o.thresholdMode !== 'rel' && o.thresholdMode !== 'abs') throw new Error(`${op}: thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(o.thresholdMode)}`);
  const f = o.factor as number;
  if (typeof f !== 'number' || !(f >= 0 && f < 1)) throw new Error(`${op}: factor must be in [0, 1), got ${JSON.stringify(f)}`);
  for (const k of ['patience', 'cooldown']) {
    const v = o[k];
    if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`${op}: ${k} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  for (const k of ['threshold', 'eps']) {
    const v = o[k];
    if (typeof v !== 'number' || !(v >= 0 && Number.isFinite(v))) throw new Error(`${op}: ${k} must be a non-negative finite number, got ${JSON.stringify(v)}`);
  }
}

/**
 * Cuts every group's lr by `factor` once the metric passed to step() has not improved for more than `patience`
 * epochs (torch.optim.lr_scheduler.ReduceLROnPlateau). Not a closed form of the epoch, so not an LRScheduler;
 * nothing happens at construction. A NaN metric counts as a bad epoch, as in PyTorch.
 */
export class ReduceLROnPlateau {
  readonly name = 'ReduceLROnPlateau';
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric so far; the worst possible value for the mode until the first step. */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  /** step() calls so far. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(readonly optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new Error(`${op}: expected an optimizer`);
    const defaults = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8 };
    if (!options || typeof options !== 'object') throw new Error(`${op}: expected an options object`);
    for (const k of Object.keys(options)) {
      if (!(k in defaults)) throw new Error(`${op}: unknown option '${k}' (ReduceLROnPlateau takes ${Object.keys(defaults).join(', ')})`);
    }
    const o: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) o[k] = v;
    checkPlateauOptions(op, o);
    this.minLrs = perGroup(op, 'minLr', o.minLr, optimizer.paramGroups.length, (x) => x >= 0 && Number.isFinite(x), 'a non-negative finite number (or one per group)');
    this.mode = o.mode as 'min' | 'max';
    this.factor = o.factor as number;
    this.patience = o.patience as number;
    this.threshold = o.threshold as number;
    this.thresholdMode = o.thresholdMode as 'rel' | 'abs';
    this.cooldown = o.cooldown as number;
    this.eps = o.eps as number;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** min/rel: a < best·(1 − threshold); min/abs: a < best − threshold; max: a > best·(1 + threshold) or best + threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and cuts the lr if it has plateaued. */
  step(metric: number | Tensor): void {
    let current: number;
    if (typeof metric === 'number') current = metric;
    else if (metric && typeof metric === 'object' && typeof (metric as Tensor).item === 'function') current = (metric as Tensor).item();
    else throw new Error(`ReduceLROnPlateau.step: metric must be a number or a one-element tensor, got ${JSON.stringify(metric)}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during a cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** lr ← max(lr·factor, minLr), unless that changes it by eps or less. */
  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
      if (g.lr - newLr > this.eps) g.lr = newLr;
    });
  }

  /** The learning rates after the last step() (before any, the optimizer's). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): PlateauStateDict {
    return {
      kind: this.name, lastEpoch: this.lastEpoch, lastLr: [...this.lastLr], best: this.best, numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter, mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold,
      thresholdMode: this.thresholdMode, cooldown: this.cooldown, minLrs: [...this.minLrs], eps: this.eps,
    };
  }

  /** Restores the counters, best metric and options; the optimizer's lr comes from its own state dict. */
  loadStateDict(sd: PlateauStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object') throw new Error(`${op}: expected an object`);
    if (sd.kind !== this.name) throw new Error(`${op}: the state dict is for a ${String(sd.kind)}, not a ${this.name}`);
    for (const k of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) {
      if (!Number.isInteger(sd[k]) || sd[k] < 0) throw new Error(`${op}: ${k} must be a non-negative integer, got ${JSON.stringify(sd[k])}`);
    }
    if (typeof sd.best !== 'number' || Number.isNaN(sd.best)) throw new Error(`${op}: best must be a number (±Infinity before the first step), got ${JSON.stringify(sd.best)}`);
    checkPlateauOptions(op, sd as unknown as Record<string, unknown>);
    const n = this.optimizer.paramGroups.length;
    for (const k of ['lastLr', 'minLrs'] as const) {
      const v = sd[k];
      if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number')) {
        throw new Error(`${op}: ${k} must list ${n} number(s), one per parameter group, got ${JSON.stringify(v)}`);
      }
    }
    this.lastEpoch = sd.lastEpoch;
    this.lastLr = [...sd.lastLr];
    this.best = sd.best;
    this.numBadEpochs = sd.numBadEpochs;
    this.cooldownCounter = sd.cooldownCounter;
    this.mode = sd.mode;
    this.factor = sd.factor;
    this.patience = sd.patience;
    this.threshold = sd.threshold;
    this.thresholdMode = sd.thresholdMode;
    this.cooldown = sd.cooldown;
    this.minLrs = [...sd.minLrs];
    this.eps = sd.eps;
  }
}

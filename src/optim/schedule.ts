// Learning-rate schedulers (torch.optim.lr_scheduler). Each is a closed form lr_e = f(baseLr, e) of the epoch
// counter e (the number of step() calls so far), written into every parameter group's lr. baseLr is the group's
// initialLr, which the first scheduler built on an optimizer records from its lr (PyTorch's 'initial_lr').
// Construction performs step 0, as in PyTorch, so lr is f(baseLr, 0) straight away.
import type { Optimizer, GroupOptions } from './optimizer.ts';

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
    for (const k of this.optionNames) self[k] = Array.isArray(sd[k]) ? [...(sd[k] as number[])] : sd[k];
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.lastLr = [...sd.lastLr];
  }
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

// The simple closed-form schedules: steps (StepLR, MultiStepLR), exponential decay, a linear ramp (LinearLR),
// and any function of the epoch (LambdaLR).
import { LRScheduler, checkFinite, checkPositiveInt, type AnyOptimizer } from './scheduler.ts';

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

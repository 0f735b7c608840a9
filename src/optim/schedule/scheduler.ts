// The learning-rate scheduler base (torch.optim.lr_scheduler.LRScheduler) and what every scheduler shares. Each
// scheduler is a closed form lr_e = f(baseLr, e) of the epoch counter e (the number of step() calls so far), written
// into every parameter group's lr. baseLr is the group's initialLr, which the first scheduler built on an optimizer
// records from its lr (PyTorch's 'initial_lr'). Construction performs step 0, as in PyTorch, so lr is f(baseLr, 0)
// straight away. ReduceLROnPlateau (plateau.ts), driven by a metric rather than the epoch, is a separate class with
// the same stateDict conventions.
import type { Optimizer, GroupOptions } from '../optimizer.ts';

export interface SchedulerStateDict {
  kind: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [option: string]: unknown;
}

export type AnyOptimizer = Optimizer<GroupOptions>;

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

export function checkPositiveInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name} must be a positive integer, got ${v}`);
}

export function checkFinite(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${v}`);
}

/** v as one number per group (a scalar is repeated), each passing `test`. */
export function perGroup(op: string, name: string, v: unknown, n: number, test: (x: number) => boolean, rule: string): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length !== n) throw new Error(`${op}: ${name} lists ${v.length} value(s), expected ${n}, one per parameter group`);
  for (const x of list) if (typeof x !== 'number' || !test(x)) throw new Error(`${op}: ${name} must be ${rule}, got ${JSON.stringify(v)}`);
  return Array.isArray(v) ? [...v] : new Array(n).fill(v);
}

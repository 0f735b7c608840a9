// ReduceLROnPlateau: cut the lr when a metric stops improving.
import type { Tensor } from '../../tensor.ts';
import { perGroup, type AnyOptimizer } from './scheduler.ts';

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

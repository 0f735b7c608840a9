// The 1cycle policy (Smith & Topin 2017), torch.optim.lr_scheduler.OneCycleLR: the lr rises then falls over one
// cycle, with momentum cycling the other way.
import { LRScheduler, checkFinite, checkPositiveInt, perGroup, type AnyOptimizer, type SchedulerStateDict } from './scheduler.ts';

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

// Cosine schedules: one half-period of cosine decay (CosineAnnealingLR) and SGDR's warm restarts.
import { LRScheduler, checkFinite, checkPositiveInt, type AnyOptimizer, type SchedulerStateDict } from './scheduler.ts';

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

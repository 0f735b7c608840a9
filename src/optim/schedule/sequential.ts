// Composition: schedulers run one after another (SequentialLR), e.g. a linear warm-up then a cosine decay.
import { LRScheduler, checkPositiveInt, type AnyOptimizer, type SchedulerStateDict } from './scheduler.ts';

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

// An exponential moving average of a model's weights (Polyak averaging, as diffusion models and GANs sample with):
//   θ̄ ← d_s·θ̄ + (1 − d_s)·θ,   d_s = min(decay, (1 + s)/(10 + s))
// where s counts the updates made before this one (TensorFlow's ExponentialMovingAverage with num_updates): the
// warm-up factor keeps the average from remembering the random initialisation for thousands of steps. The average
// lives in a second module of the same architecture (`shadow`), so it is saved, loaded and run like any model;
// buffers are copied, not averaged.
import type { Module } from '../nn/module.ts';
import { shapeStr } from '../backend/types.ts';

export interface EmaOptions {
  /** The ceiling of the decay (default 0.999). */
  decay?: number;
  /** Use the (1 + s)/(10 + s) warm-up (default true). */
  warmup?: boolean;
}

export class ExponentialMovingAverage {
  readonly decay: number;
  readonly warmup: boolean;
  /** Updates made so far. */
  updates = 0;

  constructor(readonly model: Module, readonly shadow: Module, opts: EmaOptions = {}) {
    this.decay = opts.decay ?? 0.999;
    this.warmup = opts.warmup ?? true;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new Error(`ExponentialMovingAverage: decay must be in [0, 1], got ${this.decay}`);
    const a = model.stateDict(), b = shadow.stateDict();
    for (const [k, t] of a) {
      const s = b.get(k);
      if (!s || s.size !== t.size) {
        throw new Error(`ExponentialMovingAverage: the shadow model has ${s ? `shape ${shapeStr(s.shape)}` : 'no entry'} for '${k}' (model: ${shapeStr(t.shape)})`);
      }
    }
    this.copyFromModel();
  }

  /** d_s for the next update. */
  currentDecay(): number {
    const s = this.updates;
    return this.warmup ? Math.min(this.decay, (1 + s) / (10 + s)) : this.decay;
  }

  /** θ̄ ← d·θ̄ + (1 − d)·θ for every parameter; buffers copied. */
  update(): void {
    const d = this.currentDecay();
    const shadow = new Map(this.shadow.namedParameters());
    for (const [k, p] of this.model.namedParameters()) {
      const s = shadow.get(k)!.data, x = p.data;
      for (let i = 0; i < x.length; i++) s[i] = d * s[i] + (1 - d) * x[i];
    }
    const shadowBuffers = new Map(this.shadow.namedBuffers());
    for (const [k, b] of this.model.namedBuffers()) shadowBuffers.get(k)?.data.set(b.data);
    this.updates++;
  }

  /** θ̄ ← θ (the start, and after loading weights into the model). */
  copyFromModel(): void {
    const shadow = this.shadow.stateDict();
    for (const [k, t] of this.model.stateDict()) shadow.get(k)!.data.set(t.data);
  }

  stateDict(): { updates: number } {
    return { updates: this.updates };
  }

  loadStateDict(sd: { updates: number }): void {
    if (!sd || !Number.isInteger(sd.updates) || sd.updates < 0) throw new Error(`ExponentialMovingAverage: 'updates' must be a non-negative integer, got ${JSON.stringify(sd?.updates)}`);
    this.updates = sd.updates;
  }
}

// The run lifecycle every recipe goes through. A recipe supplies its settings, its step, its evaluation and its
// state; this module owns the rest:
//   - settings: --set/flags applied onto the recipe's defaults and checked (and the recipe's data found) before
//     anything is written; under --resume the saved config.json is checked and flags it ignores are reported;
//   - the run directory: never overwritten silently, locked while a process trains in it (run.ts);
//   - checkpoints: at every epoch end, every N steps or M minutes, on SIGINT and SIGTERM, and at the end; resume
//     restores weights, optimizers, schedulers, the RNG and the recipe's loop state, and cuts metrics.jsonl back to
//     what had been logged when the checkpoint was written (so no line appears twice);
//   - divergence: a NaN or Inf loss stops the run with an error; the last good checkpoint stays, and weights are
//     never saved while any of them is NaN or Inf;
//   - metrics, progress, and summary.json.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { backendName } from '../backend/index.ts';
import { writeSafetensors, type TensorInput } from '../io/safetensors.ts';
import { Run, type MetricsLine, type Summary } from './run.ts';
import { Progress } from './progress.ts';
import { applyOverrides, type OverrideSchema } from './overrides.ts';
import { saveCheckpoint, loadCheckpoint, checkFinite, type CheckpointParts, type SimpleParts } from './checkpoint.ts';
import type { TrainOptions } from './recipe.ts';

export const CHECKPOINT = 'checkpoint.safetensors';
export const MODEL = 'model.safetensors';

/** A weights file, or a run directory's model.safetensors (else its checkpoint). */
export function resolveWeights(path: string): string {
  if (!existsSync(path)) throw new Error(`--checkpoint ${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return path;
  for (const f of [MODEL, CHECKPOINT]) if (existsSync(join(path, f))) return join(path, f);
  throw new Error(`--checkpoint ${path}: the directory holds neither ${MODEL} nor ${CHECKPOINT}`);
}

export interface RunSpec<C extends object, D> {
  /** The model's name (run directories default to runs/<model>/<time>). */
  model: string;
  /** The recipe's defaults; a function when they depend on the options (e.g. per dataset). */
  defaults: C | ((opts: TrainOptions) => C);
  /** Enum settings and other checks applied with the overrides. */
  schema?: OverrideSchema;
  /**
   * Checks the resolved settings and finds/loads the data, before a new run's directory exists (and, on resume,
   * before training starts). Throws a clear error; what it returns is handed to the recipe as `run.data`.
   */
  prepare?(cfg: C, opts: TrainOptions): D | Promise<D>;
}

const COMMON_FLAGS: [keyof TrainOptions, string][] = [
  ['epochs', '--epochs'], ['batchSize', '--batch-size'], ['lr', '--lr'], ['seed', '--seed'], ['dataset', '--dataset'], ['set', '--set'], ['overwrite', '--overwrite'], ['out', '--out'],
];

/** Settings from a saved config.json: each must have the default's type; missing ones (older runs) take the default. */
function checkSavedConfig<C extends object>(saved: Record<string, unknown>, defaults: C, file: string): C {
  const out: Record<string, unknown> = { ...saved };
  for (const [k, d] of Object.entries(defaults)) {
    if (!(k in saved)) { out[k] = structuredClone(d); continue; }
    const v = saved[k];
    const kind = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
    if (kind(d) !== kind(v) && !(kind(d) === 'array' && kind(v) === 'number')) {
      throw new Error(`${file}: setting '${k}' is ${JSON.stringify(v)}, expected a ${kind(d)} like the recipe's default ${JSON.stringify(d)}`);
    }
  }
  return out as C;
}

/**
 * Starts a run (or resumes one): resolves and checks the settings, prepares the data, then opens the run
 * directory. Nothing is written until every check has passed.
 */
export async function startRun<C extends object, D = undefined>(spec: RunSpec<C, D>, opts: TrainOptions): Promise<TrainRun<C, D>> {
  const defaults = typeof spec.defaults === 'function' ? spec.defaults(opts) : spec.defaults;
  const ce = opts.checkpointEvery, cm = opts.checkpointMinutes;
  if (ce !== undefined && !(Number.isInteger(ce) && ce >= 0)) throw new Error(`--checkpoint-every must be a non-negative integer (steps), got ${ce}`);
  if (cm !== undefined && !(cm > 0 && Number.isFinite(cm))) throw new Error(`--checkpoint-minutes must be a positive number, got ${cm}`);
  if (opts.resume && opts.overwrite) throw new Error('--resume and --overwrite contradict each other: continue the run, or replace it');
  if (opts.resume) {
    const run = Run.open(spec.model, { resume: opts.resume, config: null });
    try {
      let cfg = checkSavedConfig(run.config<Record<string, unknown>>(), defaults, run.path('config.json'));
      cfg = applyOverrides(cfg, {}, spec.schema); // checks the saved enums and numbers
      const ignored = COMMON_FLAGS.filter(([k]) => opts[k] !== undefined).map(([, f]) => f);
      if (opts.maxSteps !== undefined) {
        if ('maxSteps' in cfg) cfg = applyOverrides(cfg, { maxSteps: opts.maxSteps }, spec.schema);
        else ignored.push('--max-steps');
      }
      if (ignored.length) process.stderr.write(`deepten: --resume continues with the run's saved settings; ignoring ${ignored.join(', ')}\n`);
      if (!existsSync(run.path(CHECKPOINT))) {
        throw new Error(`--resume ${opts.resume}: the run has no ${CHECKPOINT} yet (it stopped before its first checkpoint); start it again with --out ${opts.resume} --overwrite`);
      }
      const data = spec.prepare ? await spec.prepare(cfg, opts) : (undefined as D);
      return new TrainRun(spec.model, run, cfg, data, opts, true);
    } catch (e) {
      run.close();
      throw e;
    }
  }
  const cfg = applyOverrides(structuredClone(defaults), opts, spec.schema);
  const data = spec.prepare ? await spec.prepare(cfg, opts) : (undefined as D);
  const run = Run.open(spec.model, { out: opts.out, overwrite: opts.overwrite, config: cfg });
  return new TrainRun(spec.model, run, cfg, data, opts, false);
}

export interface StepContext {
  /** Steps completed before this one. */
  step: number;
  /** Epochs completed before this step. */
  epoch: number;
  /** True once SIGINT/SIGTERM asked the run to stop: a long step may end early (its work is then redone on resume). */
  stopRequested(): boolean;
}

export interface StepResult {
  /** The training loss of this step: NaN or ±Inf stops the run. */
  loss: number;
  /** Examples (or tokens, words…) processed, for the throughput shown and logged. */
  examples?: number;
  lr?: number;
  /** Further numbers to log with this step. */
  metrics?: Record<string, number>;
  /** True when the step did not finish (it saw stopRequested()): it does not count, and the run stops. */
  aborted?: boolean;
}

export interface LoopTask {
  /** What a checkpoint holds: modules, optimizers, schedulers. */
  parts: CheckpointParts | SimpleParts;
  totalSteps: number;
  /** Steps in one epoch (default: all of them). Epoch ends are evaluated and checkpointed. */
  stepsPerEpoch?: number;
  step(ctx: StepContext): StepResult | Promise<StepResult>;
  /** An evaluation, run every `evalEvery` steps (default: each epoch end) and after the last step. */
  evaluate?(ctx: { step: number; epoch: number }): Record<string, number> | Promise<Record<string, number>>;
  evalEvery?: number;
  /** One line for the console from an evaluation's metrics. */
  describe?(m: Record<string, number>, ctx: { step: number; epoch: number }): string;
  /** The recipe's loop state to checkpoint (data position, best metric, …) and how to put it back. */
  extra?(): unknown;
  restore?(extra: unknown): void;
  /** Steps between metrics lines (default 50; epoch ends always log). */
  logEvery?: number;
  /** Name of the throughput unit for the progress line (default 'ex'). */
  unit?: string;
}

export interface LoopResult {
  step: number;
  epoch: number;
  interrupted: boolean;
  /** The last evaluation's metrics (restored on resume), or null. */
  lastEval: Record<string, number> | null;
}

interface SavedLoopState {
  recipe: unknown;
  metricsBytes: number;
  lastEval: Record<string, number> | null;
  /** Wall seconds of earlier sessions of this run. */
  seconds: number;
}

export class TrainRun<C extends object, D = undefined> {
  private readonly t0 = Date.now();
  private priorSeconds = 0;
  private parts: CheckpointParts | SimpleParts | null = null;
  /** The signal that stopped the run, if one did. */
  stoppedBy: NodeJS.Signals | null = null;

  get interrupted(): boolean {
    return this.stoppedBy !== null;
  }

  constructor(readonly model: string, readonly run: Run, readonly cfg: C, readonly data: D, readonly opts: TrainOptions, readonly resumed: boolean) {}

  /** Wall seconds of this run, earlier sessions included. */
  seconds(): number {
    return this.priorSeconds + (Date.now() - this.t0) / 1000;
  }

  path(name: string): string {
    return this.run.path(name);
  }

  log(line: MetricsLine): void {
    this.run.logMetrics(line);
  }

  /** Trains until totalSteps, a signal, or divergence. */
  async loop(task: LoopTask): Promise<LoopResult> {
    this.parts = task.parts;
    const cfg = this.cfg as Record<string, unknown>;
    const run = this.run;
    const spe = Math.max(1, task.stepsPerEpoch ?? task.totalSteps);
    const evalEvery = task.evalEvery ?? spe;
    const logEvery = task.logEvery ?? 50;
    const everySteps = this.opts.checkpointEvery ?? 0;
    const everyMs = (this.opts.checkpointMinutes ?? 10) * 60_000;
    let step = 0, lastEval: Record<string, number> | null = null;
    if (this.resumed) {
      const st = loadCheckpoint(run.path(CHECKPOINT), task.parts);
      const saved = (st.extra ?? {}) as Partial<SavedLoopState>;
      step = st.step;
      if (typeof saved.metricsBytes === 'number') run.truncateMetrics(saved.metricsBytes);
      lastEval = saved.lastEval ?? null;
      this.priorSeconds = typeof saved.seconds === 'number' ? saved.seconds : 0;
      task.restore?.(saved.recipe);
      if (step >= task.totalSteps) process.stderr.write(`${this.model}: the run already finished its ${task.totalSteps} steps\n`);
    }
    const epochOf = (s: number) => Math.floor(s / spe);
    const save = () => {
      checkFinite(this.partsNormalized(), `${this.model}: checkpoint at step ${step}`);
      const extra: SavedLoopState = { recipe: task.extra?.() ?? null, metricsBytes: run.metricsSize(), lastEval, seconds: this.seconds() };
      saveCheckpoint(run.path(CHECKPOINT), task.parts, { step, epoch: epochOf(step), config: cfg, extra });
    };

    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) { process.stderr.write(`\n${this.model}: second ${sig}, exiting now (the last checkpoint is kept)\n`); process.exit(sig === 'SIGTERM' ? 143 : 130); }
      this.stoppedBy = sig;
      process.stderr.write(`\n${this.model}: ${sig}: saving a checkpoint after this step (again to exit at once)\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = new Progress(this.model, step);
    let lastSaveStep = step, lastSaveTime = Date.now(), lastYield = Date.now();
    let windowStart = Date.now(), windowExamples = 0;
    const ctx: StepContext = { step, epoch: epochOf(step), stopRequested: () => this.interrupted };
    try {
      while (step < task.totalSteps && !this.interrupted) {
        ctx.step = step; ctx.epoch = epochOf(step);
        const r = await task.step(ctx);
        if (r.aborted) break;
        if (!Number.isFinite(r.loss)) {
          run.logMetrics({ step: step + 1, epoch: epochOf(step), diverged: `loss ${r.loss}` });
          throw new Error(`${this.model}: the loss became ${r.loss} at step ${step + 1} (epoch ${epochOf(step) + 1}); training stopped. ` +
            `The last good checkpoint (step ${lastSaveStep}) is kept in ${run.dir}; try a lower learning rate`);
        }
        step++;
        windowExamples += r.examples ?? 0;
        const now = Date.now();
        const rate = (windowExamples * 1000) / Math.max(1, now - windowStart);
        const epoch = epochOf(step), epochEnd = step % spe === 0;
        progress.update({ step, total: task.totalSteps, epoch, loss: r.loss, lr: r.lr ?? NaN, examplesPerSec: rate, unit: task.unit, extra: r.metrics });
        if (step % logEvery === 0 || epochEnd || step === task.totalSteps) {
          run.logMetrics({ step, epoch, loss: r.loss, ...(r.lr !== undefined ? { lr: r.lr } : {}), ...(r.examples !== undefined ? { examplesPerSec: rate } : {}), ...r.metrics });
          windowStart = now; windowExamples = 0;
        }
        if (task.evaluate && (step % evalEvery === 0 || step === task.totalSteps)) {
          lastEval = await task.evaluate({ step, epoch });
          run.logMetrics({ step, epoch, ...lastEval });
          if (task.describe) progress.log(`${this.model} epoch ${epoch} step ${step}: ${task.describe(lastEval, { step, epoch })}`);
        }
        const due = epochEnd || step === task.totalSteps || this.interrupted ||
          (everySteps > 0 && step - lastSaveStep >= everySteps) || Date.now() - lastSaveTime >= everyMs;
        if (due) { save(); lastSaveStep = step; lastSaveTime = Date.now(); }
        // let signal handlers run: a signal is only seen when the event loop gets a turn
        if (Date.now() - lastYield > 100) { await new Promise((res) => setImmediate(res)); lastYield = Date.now(); }
      }
      if (this.interrupted && lastSaveStep !== step) save();
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      progress.done();
    }
    if (this.interrupted) progress.log(`${this.model}: interrupted at step ${step}; checkpoint saved, continue with --resume ${run.dir}`);
    return { step, epoch: epochOf(step), interrupted: this.interrupted, lastEval };
  }

  private partsNormalized(): CheckpointParts {
    const p = this.parts!;
    return 'modules' in p ? p : { modules: { '': p.model } };
  }

  /**
   * Writes the trained weights (model.safetensors: the main module under plain names, others as '<key>.<name>'),
   * then summary.json with the common fields, and releases the run directory.
   */
  finish(result: { metric: string; value: number; steps: number; dataset?: string; [extra: string]: unknown }): Summary {
    const cfg = this.cfg as Record<string, unknown>;
    if (this.parts) {
      const parts = this.partsNormalized();
      checkFinite(parts, `${this.model}: ${MODEL}`);
      const tensors: Record<string, TensorInput> = {};
      for (const [key, m] of Object.entries(parts.modules)) {
        const sd = m.stateDict();
        for (const [name, t] of sd instanceof Map ? sd : Object.entries(sd)) tensors[key ? `${key}.${name}` : name] = t;
      }
      writeSafetensors(this.path(MODEL), tensors);
    }
    const summary: Summary = {
      model: this.model, dataset: String(result.dataset ?? cfg.dataset ?? ''), backend: backendName(),
      seed: typeof cfg.seed === 'number' ? cfg.seed : 0, seconds: this.seconds(), run: this.run.dir,
      status: this.interrupted ? 'interrupted' : 'completed', interrupted: this.interrupted,
      ...(this.stoppedBy ? { stoppedBy: this.stoppedBy } : {}), ...result,
    };
    this.run.writeSummary(summary);
    this.run.close();
    return summary;
  }

  /** Releases the run directory without a summary (after an error). */
  close(): void {
    this.run.close();
  }
}

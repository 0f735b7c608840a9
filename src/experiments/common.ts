// What the experiments share: their common flags, the output folder, a plain-text table, panels of line plots
// written as one PNG, and a per-epoch driver around trainClassifier (the one classifier training loop).
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type FlagSpec, type Flags } from '../util/flags.ts';
import { linePlot, type Series, type PlotOptions } from '../viz/plot.ts';
import { writePng } from '../viz/png.ts';
import { trainClassifier, evaluateClassifier, type ClassifierConfig, type ClassifierSpec } from '../train/classify.ts';
import { loadWeights } from '../train/checkpoint.ts';
import type { Summary } from '../train/run.ts';
import type { TrainOptions } from '../train/recipe.ts';
import type { ImageDataset } from '../data/index.ts';

export type { Flags };

/** Flags every experiment takes. Defaults are resolved in the experiment (they differ under --quick). */
export const commonFlags: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'output folder (default runs/experiments/<name>/)' },
  quick: { type: 'boolean', help: 'a seconds-long version on tiny subsets (used by the tests)' },
  'data-dir': { type: 'string', help: 'dataset directory (else $DEEPTEN_DATA, then ~/.cache/deepten)' },
  seed: { type: 'number', help: 'random seed', default: 1 },
};

/** A numeric flag: the value given, else the --quick or the full default. */
export function num(flags: Flags, name: string, full: number, quick: number): number {
  const v = flags[name];
  if (v === undefined) return flags.quick ? quick : full;
  if (typeof v !== 'number') throw new UsageError(`--${name} must be a number`);
  return v;
}

/** A list of numbers flag: "8,20" (also "8/20"). */
export function numList(flags: Flags, name: string, full: number[], quick: number[]): number[] {
  const v = flags[name];
  if (v === undefined) return flags.quick ? quick : full;
  const parts = String(v).split(/[,/]/).map((s) => s.trim()).filter(Boolean);
  const out = parts.map(Number);
  if (!out.length || out.some((x) => !Number.isFinite(x))) throw new UsageError(`--${name} expects numbers separated by commas, got '${v}'`);
  return out;
}

export function requirePositiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return v;
}

/** The output folder, created. */
export function outDir(flags: Flags, name: string): string {
  const dir = resolve(typeof flags.out === 'string' ? flags.out : join('runs', 'experiments', name));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Right-aligned columns under a header and a rule. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** 3 significant digits in exponent form: 1.23e-4. */
export const sci = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));
export const pct = (v: number, digits = 2) => (Number.isFinite(v) ? (100 * v).toFixed(digits) + '%' : String(v));

/** Writes results.json and table.txt into `dir`, and prints the table. */
export function report(dir: string, table: string, results: unknown): void {
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, 'table.txt'), table + '\n');
  process.stdout.write(table + '\n');
}

/** Several line plots side by side in one RGB PNG. */
export function writePanels(path: string, panels: { series: Series[]; opts: PlotOptions }[]): void {
  const canvases = panels.map((p) => linePlot(p.series, p.opts));
  const height = Math.max(...canvases.map((c) => c.height));
  const width = canvases.reduce((s, c) => s + c.width, 0);
  const rgb = new Uint8Array(width * height * 3).fill(255);
  let x0 = 0;
  for (const c of canvases) {
    const src = c.toRgb();
    for (let y = 0; y < c.height; y++) rgb.set(src.subarray(y * c.width * 3, (y + 1) * c.width * 3), (y * width + x0) * 3);
    x0 += c.width;
  }
  writePng(path, width, height, rgb, 3);
}

export interface EpochInfo {
  epoch: number;
  steps: number;
  /** Wall-clock seconds of this epoch's trainClassifier call (training plus its test evaluations). */
  seconds: number;
  testAccuracy: number;
  testLoss: number;
  summary: Summary;
  /** The model as of this epoch's end, for extra evaluations. */
  evaluate(d: ImageDataset): { accuracy: number; loss: number };
}

/**
 * Trains with trainClassifier one epoch at a time: the first call runs epoch 1 (maxSteps = one epoch), each later call
 * resumes the run for one more epoch. Resuming is bit-identical to an uninterrupted run, so the lr schedule, data
 * order and seed are those of a single `epochs`-long run, while `onEpoch` can evaluate the weights between epochs.
 * Returns false when training was interrupted (Ctrl-C).
 */
export async function trainByEpoch(spec: ClassifierSpec, opts: TrainOptions & { out: string; epochs: number; trainSize: number; batchSize: number },
  onEpoch: (e: EpochInfo) => void): Promise<boolean> {
  // a stale run in the same folder would append to its metrics; this folder belongs to the experiment
  if (existsSync(join(opts.out, 'config.json'))) rmSync(opts.out, { recursive: true, force: true });
  const stepsPerEpoch = Math.floor(opts.trainSize / opts.batchSize);
  if (stepsPerEpoch < 1) throw new UsageError(`${spec.name}: ${opts.trainSize} training examples make no batch of ${opts.batchSize}`);
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = Date.now();
    const target = epoch * stepsPerEpoch;
    const summary = epoch === 1
      ? await trainClassifier(spec, { ...opts, maxSteps: target })
      : await trainClassifier(spec, { resume: opts.out, maxSteps: target });
    if (summary.steps < target) return false; // interrupted; the run folder holds a resumable checkpoint
    const cfg = JSON.parse(readFileSync(join(opts.out, 'config.json'), 'utf8')) as ClassifierConfig;
    onEpoch({
      epoch, steps: summary.steps, seconds: (Date.now() - t0) / 1000, summary,
      testAccuracy: summary.value, testLoss: summary.testLoss as number,
      evaluate: (d) => {
        const model = spec.build(cfg.model, 1);
        model.loadStateDict(new Map(Object.entries(loadWeights(join(opts.out, 'model.safetensors')))), { strict: true });
        return evaluateClassifier(model, d, cfg);
      },
    });
  }
  return true;
}

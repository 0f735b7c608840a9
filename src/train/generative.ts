// What the generative recipes (dcgan, ddpm) share: scoring a sampler with the MNIST judge (classifier-FID against
// the 10,000 test images, class coverage), sample grids and their GIF, and `deepten eval <model> --checkpoint C
// [--samples N]`. A recipe plugs in one hook: how to build its sampler from saved weights.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Judge, toUnitPixels, type JudgeScore } from '../eval/judge.ts';
import { tileGrid } from '../viz/grid.ts';
import { writePng, readPng } from '../viz/png.ts';
import { writeGif } from '../viz/gif.ts';
import type { RGB } from '../viz/canvas.ts';
import type { DataDirOptions } from '../data/paths.ts';
import type { EvalOptions } from './recipe.ts';
import { resolveWeights } from './loop.ts';

const PIXELS = 28 * 28;

/** Draws n images (n·784 values, 1×28×28 each, in [−1, 1] like the training data) in one call. */
export type SampleFn = (n: number) => Float32Array;

/** The numbers a generative model is judged by, as logged in metrics.jsonl and printed by `deepten eval`. */
export interface GenerativeMetrics {
  [k: string]: number;
  fid: number;
  samples: number;
  entropy: number;
  minShare: number;
}

/** Checks a sample count: an integer ≥ 2 (a covariance needs two rows). */
export function checkSampleCount(n: unknown, what = '--samples'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2) throw new Error(`${what} must be an integer ≥ 2 (FID needs a covariance), got ${String(n)}`);
  return n;
}

/** n samples drawn in batches of `batch`, as judge pixels in [0, 1]. */
export function drawSamples(sample: SampleFn, n: number, batch = 500): Float32Array {
  const out = new Float32Array(n * PIXELS);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const y = sample(m);
    if (y.length !== m * PIXELS) throw new Error(`sampler: asked for ${m} images (${m * PIXELS} values), got ${y.length} values`);
    out.set(toUnitPixels(y), s * PIXELS);
  }
  return out;
}

/** FID(n samples, MNIST test) and class coverage. */
export function scoreSampler(judge: Judge, sample: SampleFn, n: number, opts: DataDirOptions = {}): GenerativeMetrics {
  checkSampleCount(n, 'samples');
  return metricsOf(judge.score(drawSamples(sample, n), opts));
}

export function metricsOf(s: JudgeScore): GenerativeMetrics {
  return { fid: s.fid, samples: s.n, entropy: s.coverage.entropy, minShare: s.coverage.minShare };
}

/** One line for the console. */
export function describeMetrics(m: Record<string, number>): string {
  return `FID(${m.samples}) ${m.fid.toFixed(2)}, coverage: entropy ${m.entropy.toFixed(4)} (max ${Math.log(10).toFixed(4)}), min share ${m.minShare.toFixed(4)}`;
}

/** Writes a grid of images in [−1, 1] (n·784 values) as a PNG with nrow images per row, 2× scaled. */
export function writeSampleGrid(path: string, images: Float32Array, nrow: number): void {
  const n = images.length / PIXELS;
  const img = tileGrid({ data: images, shape: [n, 1, 28, 28] }, { nrow, range: [-1, 1], padding: 2, scale: 2 });
  writePng(path, img.width, img.height, img.pixels, 1);
}

const GRAYS: RGB[] = Array.from({ length: 256 }, (_, i) => [i, i, i] as const);

/** An animated GIF of the gray PNG grids in `dir` whose names match `pattern`, in name order; returns the frame count. */
export function gifOfGrids(dir: string, pattern: RegExp, out: string, delayCs = 40): number {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => pattern.test(f)).sort() : [];
  if (!files.length) return 0;
  const frames = files.map((f) => readPng(join(dir, f)));
  const { width, height } = frames[0];
  frames.forEach((fr, i) => {
    if (fr.width !== width || fr.height !== height || fr.channels !== 1) {
      throw new Error(`gifOfGrids: ${files[i]} is ${fr.width}×${fr.height}×${fr.channels}, expected ${width}×${height} gray like ${files[0]}`);
    }
  });
  const delays = frames.map((_, i) => (i === frames.length - 1 ? delayCs * 5 : delayCs)); // rest on the last grid
  writeGif(out, frames.map((f) => f.pixels), width, height, GRAYS, delays);
  return frames.length;
}

/** The run's config.json beside a weights file, or null. */
export function runConfigBeside(file: string): Record<string, unknown> | null {
  const p = join(dirname(file), 'config.json');
  if (!existsSync(p)) return null;
  try { return JSON.parse(readFileSync(p, 'utf8')); } catch (e) { throw new Error(`${p}: not valid JSON (${(e as Error).message})`); }
}

/**
 * `deepten eval <model> --checkpoint C [--samples N]`: the recipe's hook builds a sampler from the weights file
 * (and the run's config.json when it sits in a run directory); N samples are judged (default 10,000).
 */
export async function evaluateGenerative(opts: EvalOptions, load: (file: string, config: Record<string, unknown> | null) => SampleFn): Promise<GenerativeMetrics> {
  const n = checkSampleCount(opts.samples ?? 10_000);
  const file = resolveWeights(opts.checkpoint);
  const judge = Judge.load({ dataDir: opts.dataDir });
  const sample = load(file, runConfigBeside(file));
  return scoreSampler(judge, sample, n, { dataDir: opts.dataDir });
}

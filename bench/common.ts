// What every bench worker shares: the workload list, the timing rule and the result format.
// The same rule is re-implemented in torch_bench.py (keep the two in step).
import { writeFileSync } from 'node:fs';

export interface Workload {
  name: string;
  desc: string;
  /** Floating-point operations of one run, when it is a plain GEMM (for GFLOP/s). */
  flops?: number;
  /** A bare-kernel row for deepten only (peers show "—"). */
  deeptenOnly?: boolean;
}

const gemm = (n: number): Workload => ({ name: `sgemm-${n}`, desc: `C = A·B, ${n}³ float32, no grad`, flops: 2 * n ** 3 });
const bare = (n: number): Workload => ({ name: `sgemm-${n}-kernel`, desc: `backend().matmul on preallocated ${n}³ arrays`, flops: 2 * n ** 3, deeptenOnly: true });

export const WORKLOADS: Workload[] = [
  gemm(256), gemm(512), gemm(1024),
  bare(256), bare(512), bare(1024),
  { name: 'conv-lenet', desc: 'conv2d fwd+bwd (∂x, ∂w): x 64×1×28×28, w 6×1×5×5' },
  { name: 'conv-resnet', desc: 'conv2d fwd+bwd (∂x, ∂w): x 64×64×16×16, w 64×64×3×3 pad 1' },
  { name: 'lstm', desc: '2-layer LSTM fwd+bwd: input 200, hidden 200, seq 20, batch 20, loss = Σ outputs' },
  { name: 'transformer', desc: 'encoder block (post-norm) fwd+bwd: d 128, 4 heads, FF 512 ReLU, seq 64, batch 12' },
  { name: 'mlp-train', desc: 'train step MLP 784-800-10 ReLU, batch 128, cross-entropy, SGD momentum 0.9' },
  { name: 'lenet-train', desc: 'train step LeNet-5 (ReLU, maxpool), batch 64, cross-entropy, SGD momentum 0.9' },
];

export interface TimingOptions {
  /** Seconds of measured runs to aim for. */
  budget: number;
  minReps: number;
  /** Hard cap on measured repetitions (slow library/workload pairs use a small one). */
  maxReps: number;
}

export function timingOptions(quick: boolean): TimingOptions {
  return quick ? { budget: 0.4, minReps: 3, maxReps: 100 } : { budget: 1.5, minReps: 5, maxReps: 300 };
}

export interface Measured { ms: number; reps: number; min: number; note?: string }
export interface NotAvailable { na: string }
export type Result = Measured | NotAvailable;

/**
 * Warm-up, then the median of repeated runs. Warm-up: one run, and a second when the first was quick.
 * Measured runs go on until both minReps and the time budget are met, stopping early at maxReps, or once
 * 4× the budget has gone by with at least 3 runs (a very slow pair is then reported from 3 runs).
 */
export function measure(fn: () => void, o: TimingOptions): Measured {
  let t = performance.now();
  fn();
  if (performance.now() - t < 250) fn();
  const times: number[] = [];
  const start = performance.now();
  for (;;) {
    t = performance.now();
    fn();
    times.push(performance.now() - t);
    const elapsed = (performance.now() - start) / 1000;
    if (times.length >= o.maxReps) break;
    if (times.length >= o.minReps && elapsed >= o.budget) break;
    if (times.length >= 3 && elapsed >= 4 * o.budget) break;
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const ms = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { ms, reps: times.length, min: times[0] };
}

export interface WorkerReport {
  library: string;
  version: string;
  threads: number;
  info: Record<string, unknown>;
  notes: string[];
  results: Record<string, Result>;
}

export interface WorkerArgs { out: string; only: string[]; quick: boolean; rest: string[] }

/** --out FILE --only a,b [--quick]; anything else is left in rest. */
export function workerArgs(argv = process.argv.slice(2)): WorkerArgs {
  const a: WorkerArgs = { out: '', only: [], quick: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--only') a.only = argv[++i].split(',').filter(Boolean);
    else if (argv[i] === '--quick') a.quick = true;
    else a.rest.push(argv[i]);
  }
  if (!a.out) throw new Error('bench worker: --out FILE is required');
  return a;
}

/**
 * Runs each requested workload that `impls` has; a missing one is "n/a", and a thrown error is "n/a" with its
 * first line (e.g. a tfjs backend without a gradient kernel). setup() builds inputs outside the timing.
 */
export function runWorkloads(library: string, args: WorkerArgs, impls: Record<string, () => (() => void)>,
  opts: (name: string) => TimingOptions): Record<string, Result> {
  const results: Record<string, Result> = {};
  for (const name of args.only) {
    const setup = impls[name];
    if (!setup) { results[name] = { na: 'not implemented for this library' }; continue; }
    try {
      const run = setup();
      results[name] = measure(run, opts(name));
      const r = results[name] as Measured;
      process.stderr.write(`  ${library.padEnd(14)} ${name.padEnd(18)} ${r.ms.toFixed(2).padStart(10)} ms  (${r.reps} runs)\n`);
    } catch (e) {
      const msg = String((e as Error)?.message ?? e).split('\n')[0].slice(0, 160);
      results[name] = { na: msg };
      process.stderr.write(`  ${library.padEnd(14)} ${name.padEnd(18)}        n/a  (${msg})\n`);
    }
  }
  return results;
}

export function writeReport(path: string, r: WorkerReport): void {
  writeFileSync(path, JSON.stringify(r, null, 1));
}

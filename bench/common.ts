// What every bench worker shares: the workload list, the timing rule and the result format.
// The same rule is re-implemented in torch_bench.py (keep the two in step).
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
  { name: 'gru', desc: '2-layer GRU fwd+bwd: input 200, hidden 200, seq 20, batch 20, loss = Σ outputs' },
  { name: 'lstm-ptb-train', desc: 'train step of the PTB small LSTM LM (Zaremba et al.): vocab 10k, embed 200, 2×LSTM 200, seq 20, batch 20, decoder 10k, CE × 20, clip 5, SGD; state carried and detached' },
  { name: 'transformer', desc: 'encoder block (post-norm) fwd+bwd: d 128, 4 heads, FF 512 ReLU, seq 64, batch 12' },
  { name: 'mlp-train', desc: 'train step MLP 784-800-10 ReLU, batch 128, cross-entropy, SGD momentum 0.9' },
  { name: 'lenet-train', desc: 'train step LeNet-5 (ReLU, maxpool), batch 64, cross-entropy, SGD momentum 0.9' },
  { name: 'dcgan-step', desc: 'DCGAN step (issue 15 nets, batch 128): G(z); D on real + detached fake; G through frozen D; 2× Adam' },
  { name: 'gpt-train', desc: "nanoGPT's CPU shakespeare_char iteration: 4 layers, 4 heads, d 128, block 64, batch 12, AdamW, clip 1" },
  { name: 'transformer-multi30k-train', desc: 'Multi30k step: 3+3 layers, d 256, 8 heads, FF 512, dropout 0.1, vocab 7,859/5,921, batch 128 × 14→15 tokens, Adam, clip 1' },
  { name: 'ddpm-train', desc: 'DDPM train step: U-Net 793,697 params, batch 128 of 28×28, ε-MSE at random t, clip 1.0, Adam' },
];

export interface TimingOptions {
  /** Seconds of measured runs to aim for. */
  budget: number;
  minReps: number;
  /** Hard cap on measured repetitions (slow library/workload pairs use a small one). */
  maxReps: number;
  /** Seconds one workload may take in all: no further run starts when it would end past this. */
  limit: number;
}

export function timingOptions(quick: boolean): TimingOptions {
  return quick ? { budget: 0.4, minReps: 3, maxReps: 100, limit: 8 } : { budget: 1.5, minReps: 5, maxReps: 300, limit: 15 };
}

/** The bench driver stops a worker whose workload runs past this (one run longer than the whole limit). */
export const killAfter = (o: TimingOptions) => 1.5 * o.limit;

export interface Measured {
  ms: number; reps: number; min: number;
  /** For a paired workload: the median of its reference, timed in alternation with it (same noise for both). */
  paired?: { ms: number; min: number };
}
export interface NotAvailable { na: string }
export type Result = Measured | NotAvailable;

/**
 * Warm-up, then the median of repeated runs. Warm-up: runs until 0.25 s have gone by (at least 1), so that
 * JIT tiers and the allocator's free lists reach the steady state a training loop runs in.
 * Measured runs go on until both minReps and the time budget are met, stopping early at maxReps, once 4× the
 * budget has gone by with at least 3 runs, or when the next run would end past `limit` (then as few as 1 run).
 */
export function measure(fn: () => void, o: TimingOptions, ref?: () => void): Measured {
  const t0 = performance.now();
  let t = t0;
  for (let w = 0; w === 0 || performance.now() - t < 250; w++) { fn(); ref?.(); }
  const times: number[] = [], refTimes: number[] = [];
  const start = performance.now();
  for (;;) {
    if (ref) { t = performance.now(); ref(); refTimes.push(performance.now() - t); }
    t = performance.now();
    fn();
    const now = performance.now();
    times.push(now - t);
    const elapsed = (now - start) / 1000;
    if (times.length >= o.maxReps) break;
    if (times.length >= o.minReps && elapsed >= o.budget) break;
    if (times.length >= 3 && elapsed >= 4 * o.budget) break;
    if ((now - t0) / 1000 + (now - t) / 1000 > o.limit) break;
  }
  const r: Measured = { ms: median(times), reps: times.length, min: Math.min(...times) };
  if (ref) r.paired = { ms: median(refTimes), min: Math.min(...refTimes) };
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}



/** What a worker says about itself (printed once, first). */
export interface WorkerMeta {
  library: string;
  version: string;
  threads: number;
  info: Record<string, unknown>;
}

export interface WorkerArgs {
  only: string[];
  quick: boolean;
  /** Step mode (bench/steps.ts): 2 warm-up runs, then exactly this many, reporting wall and CPU time per run. */
  steps: number;
  rest: string[];
}

/** --only a,b [--quick] [--steps N]; anything else is left in rest. */
export function workerArgs(argv = process.argv.slice(2)): WorkerArgs {
  const a: WorkerArgs = { only: [], quick: false, steps: 0, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') a.only = argv[++i].split(',').filter(Boolean);
    else if (argv[i] === '--quick') a.quick = true;
    else if (argv[i] === '--steps') a.steps = Number(argv[++i]);
    else a.rest.push(argv[i]);
  }
  return a;
}

/** Per-run means over n runs after 2 warm-up runs: wall time, and this process's CPU time (every thread's). */
export interface StepTimes { wallMs: number; cpuMs: number; n: number }

export function measureSteps(fn: () => void, n: number): StepTimes {
  fn(); fn();
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const c = process.cpuUsage(c0);
  return { wallMs: (performance.now() - t0) / n, cpuMs: (c.user + c.system) / 1000 / n, n };
}

// Worker → driver protocol, one line each on stdout: "@@meta {json}", "@@note text", "@@start name",
// "@@result {name, ...Result}". The driver times out a workload that started and did not finish.
const say = (s: string) => process.stdout.write(s + '\n');
export const emitMeta = (m: WorkerMeta) => say('@@meta ' + JSON.stringify(m));
export const emitNote = (text: string) => say('@@note ' + text);

/**
 * Runs each requested workload that `impls` has; a missing one is "n/a", and a thrown error is "n/a" with its
 * first line (e.g. a tfjs backend without a gradient kernel). setup() builds inputs outside the timing.
 */
export function runWorkloads(library: string, args: WorkerArgs, impls: Record<string, () => (() => void) | { run: () => void; ref: () => void }>,
  opts: (name: string) => TimingOptions): void {
  for (const name of args.only) {
    say('@@start ' + name);
    let r: Result;
    const setup = impls[name];
    if (!setup) r = { na: 'not implemented for this library' };
    else {
      try {
        const w = setup();
        if (args.steps > 0) {
          const st = measureSteps(typeof w === 'function' ? w : w.run, args.steps);
          say('@@steps ' + JSON.stringify({ name, ...st }));
          process.stderr.write(`  ${library.padEnd(14)} ${name.padEnd(18)} ${st.wallMs.toFixed(1)} ms wall, ${st.cpuMs.toFixed(1)} ms CPU per run (${st.n} runs)\n`);
          continue;
        }
        r = typeof w === 'function' ? measure(w, opts(name)) : measure(w.run, opts(name), w.ref);
      } catch (e) {
        r = { na: String((e as Error)?.message ?? e).split('\n')[0].slice(0, 160) };
      }
    }
    say('@@result ' + JSON.stringify({ name, ...r }));
    const shown = 'na' in r ? `       n/a  (${r.na})` : `${r.ms.toFixed(2).padStart(10)} ms  (${r.reps} runs)`;
    process.stderr.write(`  ${library.padEnd(14)} ${name.padEnd(18)} ${shown}\n`);
  }
}

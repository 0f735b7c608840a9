// The article's "limited on very long sequences": one self-attention layer (nn.MultiheadAttention, forward and
// backward) at sequence lengths 64 … 4096. Its projections cost O(L·d²) but the score matrix softmax(Q·Kᵀ/√d) is
// L × L per head, so time and memory grow as O(L²·d + L·d²): the fitted exponent of time against L approaches 2
// once the L² terms dominate. Memory is what the forward pass keeps for the backward (measured as the growth of
// ArrayBuffer memory after a forced garbage collection), beside the H·L² floats of the weights alone.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { randn } from '../tensor.ts';
import { manualSeed } from '../random.ts';
import { backendName, backendInfo } from '../backend/index.ts';
import { MultiheadAttention } from '../nn/attention.ts';
import { commonFlags, num, numList, outDir, formatTable, report, writePanels, requirePositiveInt, type Flags } from './common.ts';
import type { Experiment } from './index.ts';

/**
 * A full collection whose freed ArrayBuffers are accounted for when it returns: gc() (node's --expose-gc, switched
 * on at run time), twice, with pauses for V8's concurrent ArrayBuffer sweeper.
 */
function collector(): () => Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const pause = () => new Promise((r) => setTimeout(r, 30));
  return async () => { gc(); await pause(); gc(); await pause(); };
}

/** Least-squares slope of log y against log x: y ∝ x^slope. */
export function fitExponent(x: number[], y: number[]): number {
  const lx = x.map(Math.log), ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length, my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0, den = 0;
  lx.forEach((v, i) => { num += (v - mx) * (ly[i] - my); den += (v - mx) ** 2; });
  return num / den;
}

export const attentionCost: Experiment = {
  summary: 'one self-attention layer fwd+bwd at sequence lengths 64…4096: time and memory grow as L² (fitted exponent)',
  flags: {
    ...commonFlags,
    lengths: { type: 'string', help: 'sequence lengths (default 64,128,…,4096; --quick 64,128,256,512)' },
    'd-model': { type: 'number', help: 'model width (default 128)' },
    heads: { type: 'number', help: 'attention heads (default 4)' },
    batch: { type: 'number', help: 'batch size (default 1)' },
    reps: { type: 'number', help: 'timed repetitions per length, median reported (default 3)' },
  },
  async run(flags: Flags) {
    const lengths = numList(flags, 'lengths', [64, 128, 256, 512, 1024, 2048, 4096], [64, 128, 256, 512]);
    lengths.forEach((L) => requirePositiveInt('lengths', L));
    const d = requirePositiveInt('d-model', num(flags, 'd-model', 128, 64));
    const H = requirePositiveInt('heads', num(flags, 'heads', 4, 4));
    const B = requirePositiveInt('batch', num(flags, 'batch', 1, 1));
    const reps = requirePositiveInt('reps', num(flags, 'reps', 3, 2));
    const dir = outDir(flags, 'attention-cost');
    manualSeed(Number(flags.seed ?? 1));
    const gc = collector();
    const mha = new MultiheadAttention(d, H, { batchFirst: true });
    const rows: { L: number; ms: number; cpuMs: number; keptMB: number; weightsMB: number }[] = [];
    for (const L of lengths) {
      const x = randn([B, L, d], { requiresGrad: true });
      const once = () => {
        mha.zeroGrad();
        x.grad = null;
        const [y] = mha.forward(x, x, x, { needWeights: false });
        y.sum().backward();
      };
      once(); // warm-up
      const times: number[] = [], cpus: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now(), c0 = process.cpuUsage();
        once();
        const c = process.cpuUsage(c0);
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      // memory the forward pass keeps for backward: ArrayBuffer growth after a forced collection
      mha.zeroGrad();
      x.grad = null;
      await gc();
      const before = process.memoryUsage().arrayBuffers;
      const [y] = mha.forward(x, x, x, { needWeights: false });
      const kept = process.memoryUsage().arrayBuffers - before;
      y.sum().backward();
      rows.push({ L, ms: median(times), cpuMs: median(cpus), keptMB: kept / 2 ** 20, weightsMB: (B * H * L * L * 4) / 2 ** 20 });
      const last = rows[rows.length - 1];
      process.stderr.write(`attention-cost: L ${L}: ${last.ms.toFixed(1)} ms wall, ${last.cpuMs.toFixed(1)} ms CPU, ${last.keptMB.toFixed(1)} MB kept\n`);
    }
    // the exponent over the three longest lengths, where the L² terms dominate, and over all lengths. Time is the
    // process's CPU time (one thread: the work itself), which a machine shared with other jobs disturbs far less
    // than the wall clock.
    const tail = rows.slice(-3);
    const fit = (rs: typeof rows, key: 'cpuMs' | 'keptMB') => (rs.length >= 2 ? fitExponent(rs.map((r) => r.L), rs.map((r) => r[key])) : NaN);
    const results = {
      backend: backendName(), threads: backendInfo().threads, dModel: d, heads: H, batch: B, reps, rows,
      timeExponentLong: fit(tail, 'cpuMs'), timeExponentAll: fit(rows, 'cpuMs'), memoryExponentLong: fit(tail, 'keptMB'), memoryExponentAll: fit(rows, 'keptMB'),
    };
    const table = formatTable(['L', 'fwd+bwd CPU ms', 'wall ms', 'kept for backward (MB)', 'weights H·L² (MB)'],
      rows.map((r) => [r.L, r.cpuMs.toFixed(2), r.ms.toFixed(2), r.keptMB.toFixed(2), r.weightsMB.toFixed(2)])) +
      `\nfitted exponent (time ∝ L^k): k = ${results.timeExponentLong.toFixed(2)} for L ≥ ${tail[0]?.L} (${results.timeExponentAll.toFixed(2)} over all)` +
      `\nfitted exponent (memory ∝ L^k): k = ${results.memoryExponentLong.toFixed(2)} for L ≥ ${tail[0]?.L} (${results.memoryExponentAll.toFixed(2)} over all)`;
    report(dir, table, results);
    const lx = rows.map((r) => Math.log2(r.L));
    writePanels(join(dir, 'attention-cost.png'), [
      { series: [{ name: 'fwd+bwd CPU time (ms)', x: lx, y: rows.map((r) => r.cpuMs) }],
        opts: { title: `time, fitted L^${results.timeExponentLong.toFixed(2)}`, xLabel: 'log2 sequence length L', yLabel: 'ms', logY: true } },
      { series: [{ name: 'kept for backward (MB)', x: lx, y: rows.map((r) => r.keptMB) }, { name: 'weights H*L^2 (MB)', x: lx, y: rows.map((r) => r.weightsMB) }],
        opts: { title: `memory, fitted L^${results.memoryExponentLong.toFixed(2)}`, xLabel: 'log2 sequence length', yLabel: 'MB', logY: true } },
    ]);
  },
};

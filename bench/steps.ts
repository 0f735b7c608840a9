// node --import tsx bench/steps.ts [--only gpt-train,transformer-multi30k-train] [--steps 20] [--rounds 2] [--threads 1]
// Training steps timed back to back: PyTorch (Debian python3-torch, OPENBLAS_CORETYPE as deepten's addon sets it,
// OPENBLAS_NUM_THREADS = torch threads) then deepten-native, alternating for --rounds rounds, each a fixed number of
// steps after 2 warm-up steps. Reports wall and CPU time per step (CPU time is the process's, every thread's): on a
// machine shared with other jobs the wall times swing with the load, CPU time much less, and alternating the two
// libraries spreads the load over both.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openblasCoreType } from '../src/backend/native.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const only = arg('only', 'gpt-train,transformer-multi30k-train').split(',').filter(Boolean);
const steps = Number(arg('steps', '20')), rounds = Number(arg('rounds', '2')), threads = Number(arg('threads', '1'));
if (![steps, rounds, threads].every((v) => Number.isInteger(v) && v > 0)) {
  console.error('usage: node --import tsx bench/steps.ts [--only a,b] [--steps N] [--rounds N] [--threads N]');
  process.exit(2);
}

interface Steps { name: string; wallMs: number; cpuMs: number; n: number }

function run(cmd: string, args: string[], env: Record<string, string>): Steps[] {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('@@steps ')).map((l) => JSON.parse(l.slice(8)) as Steps);
}

const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const coretype = process.env.OPENBLAS_CORETYPE || openblasCoreType(cpuinfo);
const torchEnv: Record<string, string> = { OPENBLAS_NUM_THREADS: String(threads), ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}) };
const tsx = ['--import', 'tsx'];
const results: Record<string, { torch: Steps[]; deepten: Steps[] }> = {};
for (const n of only) results[n] = { torch: [], deepten: [] };
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (const s of run('/usr/bin/python3', [join(benchDir, 'torch_bench.py'), '--threads', String(threads), '--only', only.join(','), '--steps', String(steps)], torchEnv)) results[s.name].torch.push(s);
  for (const s of run(process.execPath, [...tsx, join(benchDir, 'deepten_worker.ts'), '--threads', String(threads), '--only', only.join(','), '--steps', String(steps)], { DEEPTEN_BACKEND: 'native' })) results[s.name].deepten.push(s);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`${rounds} rounds × ${steps} steps, ${threads} thread(s), OPENBLAS_CORETYPE ${coretype ?? 'unset'}, load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
console.log('workload                     pytorch wall / CPU ms   deepten wall / CPU ms   deepten÷pytorch (wall, CPU)');
for (const [n, v] of Object.entries(results)) {
  const tw = mean(v.torch.map((s) => s.wallMs)), tc = mean(v.torch.map((s) => s.cpuMs));
  const dw = mean(v.deepten.map((s) => s.wallMs)), dc = mean(v.deepten.map((s) => s.cpuMs));
  console.log(`${n.padEnd(28)} ${`${tw.toFixed(1)} / ${tc.toFixed(1)}`.padStart(21)}   ${`${dw.toFixed(1)} / ${dc.toFixed(1)}`.padStart(21)}   ${(dw / tw).toFixed(2)}, ${(dc / tc).toFixed(2)}`);
}
console.log(JSON.stringify({ rounds, steps, threads, coretype, results }));

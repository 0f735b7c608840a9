// npm run bench [-- --quick] [--only sgemm-512,lstm] [--libs native,js,tfjs-cpu,tfjs-wasm,torch] [--threads N]
//                [--json PATH]
// Times the same workloads on deepten (native and TypeScript backends), TensorFlow.js (cpu, wasm) and PyTorch CPU,
// each library in its own child process, one after another (never two at once), and prints a table of medians
// plus deepten-native ÷ peer time ratios. Workers: deepten_worker.ts, tfjs_worker.ts, torch_bench.py.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, killAfter, timingOptions, type Result, type WorkerMeta } from './common.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const LIBS = ['native', 'js', 'tfjs-cpu', 'tfjs-wasm', 'torch'] as const;
type Lib = typeof LIBS[number];

interface Options { quick: boolean; only: string[]; libs: Lib[]; json: string | null; threads: number | null }

function usage(msg?: string): never {
  if (msg) console.error(`bench: ${msg}`);
  console.error('usage: npm run bench -- [--quick] [--only NAME,NAME] [--libs ' + LIBS.join(',') + '] [--threads N] [--json PATH]\n' +
    'workloads: ' + WORKLOADS.map((w) => w.name).join(', '));
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: WORKLOADS.map((w) => w.name), libs: [...LIBS], json: null, threads: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--quick') o.quick = true;
    else if (a === '--only') {
      o.only = next().split(',').filter(Boolean);
      const bad = o.only.filter((n) => !WORKLOADS.some((w) => w.name === n));
      if (bad.length) usage(`unknown workload ${bad.join(', ')}`);
    } else if (a === '--libs') {
      const l = next().split(',').filter(Boolean);
      const bad = l.filter((n) => !(LIBS as readonly string[]).includes(n));
      if (bad.length) usage(`unknown library ${bad.join(', ')}`);
      o.libs = l as Lib[];
    } else if (a === '--json') o.json = next();
    else if (a === '--threads') {
      o.threads = Number(next());
      if (!Number.isInteger(o.threads) || o.threads < 1) usage('--threads needs a positive integer');
    } else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

// ---------- the machine ----------

interface Machine {
  /** 1-minute load average when the bench started: other work on the machine skews every number. */
  load: number;
  cpu: string; cores: number; memGiB: number; flags: string[]; node: string; openblasCoretype: string | null;
  fmaPeak: { method: string; isa?: string; gflops1?: number; gflopsN?: number; threads?: number };
}

function machine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flagLine = cpuinfo.split('\n').find((l) => l.startsWith('flags')) ?? '';
  const all = new Set(flagLine.slice(flagLine.indexOf(':') + 1).trim().split(/\s+/));
  const flags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_tile'].filter((f) => all.has(f));
  // as deepten's native loader does: OpenBLAS 0.3.21 misdetects new Intel cores
  const coretype = process.env.OPENBLAS_CORETYPE || (all.has('avx512f') ? 'SkylakeX' : all.has('avx2') ? 'Haswell' : null);
  return {
    load: loadavg()[0], cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30),
    flags, node: process.version, openblasCoretype: coretype, fmaPeak: fmaPeak(cpus().length, all),
  };
}

/** Compiles and runs fma_peak.cpp; without g++, a theoretical figure from the flags and the reported clock. */
function fmaPeak(threads: number, flags: Set<string>): Machine['fmaPeak'] {
  const exe = join(tmpdir(), `deepten-bench-fma-peak-${process.pid}`);
  const cc = spawnSync('g++', ['-O3', '-march=native', '-pthread', join(benchDir, 'fma_peak.cpp'), '-o', exe], { encoding: 'utf8' });
  if (cc.status === 0) {
    const r = spawnSync(exe, [String(threads)], { encoding: 'utf8' });
    spawnSync('rm', ['-f', exe]);
    try {
      return { method: 'measured: bench/fma_peak.cpp, g++ -O3 -march=native, 12 independent FMA chains, best of 25 runs', ...JSON.parse(r.stdout) };
    } catch { /* fall through */ }
  }
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') ? 8 : 4;
  const mhz = cpus()[0]?.speed ?? 0;
  const per = (2 * lanes * 2 * mhz) / 1000; // 2 FMA ports assumed
  return { method: `theoretical (g++ unavailable): ${lanes} lanes × 2 flops × 2 FMA ports × ${mhz} MHz`, gflops1: per, gflopsN: per * threads, threads };
}

// ---------- running a worker ----------

interface LibReport { library: string; status: 'ok' | 'skipped'; reason?: string; meta?: WorkerMeta; notes: string[]; results: Record<string, Result> }

interface Job { label: string; cmd: string; args: string[]; env: Record<string, string>; names: string[] }

/**
 * Runs one worker, restarting it past a workload that hangs: a workload still running killAfter() seconds after
 * it started (one run longer than the whole per-workload limit) is stopped and reported as n/a.
 */
async function runJob(job: Job, o: Options): Promise<LibReport> {
  const rep: LibReport = { library: job.label, status: 'ok', notes: [], results: {} };
  if (!job.names.length) return { ...rep, status: 'skipped', reason: 'none of the selected workloads applies' };
  const limit = killAfter(timingOptions(o.quick));
  let todo = [...job.names];
  while (todo.length) {
    const args = [...job.args, '--only', todo.join(','), ...(o.quick ? ['--quick'] : [])];
    const child = spawn(job.cmd, args, { cwd: root, env: { ...process.env, ...job.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let current: string | null = null, timer: NodeJS.Timeout | undefined, timedOut: string | null = null;
    const errTail: string[] = [];
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        if (line.startsWith('@@meta ')) rep.meta = JSON.parse(line.slice(7));
        else if (line.startsWith('@@note ')) { if (!rep.notes.includes(line.slice(7))) rep.notes.push(line.slice(7)); }
        else if (line.startsWith('@@skip ')) { rep.status = 'skipped'; rep.reason = line.slice(7); }
        else if (line.startsWith('@@start ')) {
          current = line.slice(8);
          timer = setTimeout(() => { timedOut = current; child.kill('SIGKILL'); }, limit * 1000);
        } else if (line.startsWith('@@result ')) {
          clearTimeout(timer);
          const { name, ...r } = JSON.parse(line.slice(9)) as { name: string } & Result;
          rep.results[name] = r as Result;
          todo = todo.filter((n) => n !== name);
          current = null;
        } else process.stderr.write(line + '\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      errTail.push(...chunk.split('\n').filter((l) => l.trim()));
      errTail.splice(0, Math.max(0, errTail.length - 3));
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    clearTimeout(timer);
    if (rep.status === 'skipped') return rep;
    if (timedOut) {
      rep.results[timedOut] = { na: `stopped: one run took over ${limit} s` };
      process.stderr.write(`  ${job.label.padEnd(14)} ${String(timedOut).padEnd(18)}        n/a  (stopped after ${limit} s)\n`);
      todo = todo.filter((n) => n !== timedOut);
    } else if (todo.length) {
      // the worker died without a result: report why once for what is left, rather than retrying forever
      const why = `worker exited (code ${code}) during ${current ?? 'start-up'}: ${errTail.at(-1) ?? ''}`.slice(0, 200);
      if (!Object.keys(rep.results).length && current === null) { rep.status = 'skipped'; rep.reason = why; return rep; }
      for (const n of todo) rep.results[n] = { na: why };
      todo = [];
    }
  }
  return rep;
}

/** A library's best of its 1- and 2-thread runs, per workload, with the winning thread count (`note` says how). */
function bestOf(reps: LibReport[], library: string, note: string): LibReport {
  const ok = reps.filter((r) => r.status === 'ok');
  if (!ok.length) return { ...reps[0], library };
  const best: LibReport = { library, status: 'ok', meta: { ...ok[0].meta!, threads: 0 }, notes: [...ok[0].notes], results: {} };
  const names = new Set(ok.flatMap((r) => Object.keys(r.results)));
  for (const n of names) {
    let pick: Result | undefined, threads = 0;
    for (const r of ok) {
      const x = r.results[n];
      if (x && 'ms' in x && (!pick || !('ms' in pick) || x.ms < pick.ms)) { pick = x; threads = r.meta?.threads ?? 0; }
      else if (x && !pick) pick = x;
    }
    best.results[n] = pick && 'ms' in pick ? { ...pick, threads } as Result : pick!;
  }
  best.notes.push(`best of ${ok.map((r) => r.meta?.threads).join(' and ')} threads per workload${note}`);
  return best;
}

// ---------- the table ----------

const fmt = (r: Result | undefined): string => !r ? '—' : 'ms' in r ? (r.ms >= 100 ? r.ms.toFixed(0) : r.ms >= 10 ? r.ms.toFixed(1) : r.ms.toFixed(2)) : 'n/a';
const ms = (r: Result | undefined): number | null => (r && 'ms' in r ? r.ms : null);

function table(rows: string[][], alignLeft = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c < alignLeft ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
    return i === 0 ? line + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : line;
  }).join('\n');
}

function render(m: Machine, libs: LibReport[], o: Options): string {
  const out: string[] = [];
  const fp = m.fmaPeak;
  out.push(`machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, flags ${m.flags.join(' ')}, Node ${m.node}, OPENBLAS_CORETYPE ${m.openblasCoretype ?? 'unset'}, load average ${m.load.toFixed(1)} at start`);
  out.push(`FMA peak (fp32): ${fp.gflops1?.toFixed(0)} GFLOP/s on 1 thread, ${fp.gflopsN?.toFixed(0)} GFLOP/s on ${fp.threads} threads [${fp.method}]`);
  out.push(`timing: ${o.quick ? 'quick: ' : ''}warm-up, then the median of repeated runs (≥ ${timingOptions(o.quick).minReps} runs or ` +
    `${timingOptions(o.quick).budget} s; fewer for slow pairs: see runs)`);
  out.push('');
  const ok = libs.filter((l) => l.status === 'ok');
  for (const l of libs) {
    const t = l.meta ? (l.meta.threads === 0 ? 'threads 1|2 (best)' : `threads ${l.meta.threads}`) : '';
    out.push(l.status === 'ok' ? `${l.library.padEnd(15)} ${l.meta?.version ?? ''}  ${t}  ${l.meta?.info && 'blas' in l.meta.info ? `BLAS ${l.meta.info.blas}` : ''}` :
      `${l.library.padEnd(15)} skipped: ${l.reason}`);
    for (const n of l.notes) out.push(`${''.padEnd(17)}· ${n}`);
  }
  out.push('');
  const base = ok.find((l) => l.library === 'deepten-native') ?? ok.find((l) => l.library === 'deepten-js');
  const peers = ok.filter((l) => l !== base);
  const names = o.only.filter((n) => !WORKLOADS.find((w) => w.name === n)!.deeptenOnly);
  const head = ['workload (median ms)', ...ok.map((l) => l.library), ...(base ? peers.map((p) => `${short(base.library)}÷${short(p.library)}`) : [])];
  const rows = [head];
  for (const n of names) {
    const row = [n, ...ok.map((l) => {
      const r = l.results[n];
      const few = r && 'reps' in r && r.reps < timingOptions(o.quick).minReps ? ` (${r.reps})` : '';
      return fmt(r) + few;
    })];
    if (base) for (const p of peers) {
      const a = ms(base.results[n]), b = ms(p.results[n]);
      row.push(a !== null && b !== null ? (a / b).toFixed(2) : '—');
    }
    rows.push(row);
  }
  if (rows.length > 1) out.push(table(rows));
  out.push('(n) after a time: only n measured runs. Ratios are time ratios: ≤ 1.00 means deepten is faster.');
  for (const l of ok.filter((l) => l.meta?.threads === 0)) {
    const won = names.flatMap((n) => { const r = l.results[n] as { threads?: number } | undefined; return r?.threads ? [`${n} ${r.threads}`] : []; });
    if (won.length) out.push(`${l.library}'s faster thread count: ${won.join(', ')}`);
  }
  const nas = ok.flatMap((l) => names.flatMap((n) => { const r = l.results[n]; return r && 'na' in r ? [`  ${l.library} ${n}: ${r.na}`] : []; }));
  if (nas.length) out.push('n/a:\n' + nas.join('\n'));
  // GEMM throughput and deepten's Tensor.matmul vs the bare kernel call
  const gemmRows = [['sgemm GFLOP/s', ...ok.map((l) => l.library)]];
  for (const w of WORKLOADS.filter((w) => w.flops && !w.deeptenOnly && o.only.includes(w.name))) {
    gemmRows.push([w.name, ...ok.map((l) => { const t = ms(l.results[w.name]); return t === null ? '—' : (w.flops! / t / 1e6).toFixed(1); })]);
  }
  if (gemmRows.length > 1) out.push('', table(gemmRows));
  const deeptens = ok.filter((l) => l.library.startsWith('deepten-'));
  const sizes = [256, 512, 1024].filter((s) => o.only.includes(`sgemm-${s}-kernel`));
  if (deeptens.length && sizes.length) {
    const kr = [['a.matmul(b) vs bare backend().matmul', 'Tensor.matmul ms', 'bare kernel ms', 'ratio', 'GFLOP/s (bare)']];
    for (const l of deeptens) for (const s of sizes) {
      // the kernel row carries a.matmul(b) timed in alternation with it; the separate sgemm row is the fallback
      const k = l.results[`sgemm-${s}-kernel`];
      const a = k && 'paired' in k && k.paired ? k.paired.ms : ms(l.results[`sgemm-${s}`]), b = ms(k);
      kr.push([`${l.library} ${s}³`, a === null ? '—' : a.toFixed(3), b === null ? '—' : b.toFixed(3),
        a !== null && b !== null ? (a / b).toFixed(3) : '—', b === null ? '—' : (2 * s ** 3 / b / 1e6).toFixed(1)]);
    }
    out.push('', table(kr), '(timed in alternation; target: ratio ≤ 1.10 from 256³ up)');
  }
  return out.join('\n');
}

function short(lib: string): string {
  return lib.replace('deepten-', '').replace('pytorch', 'torch');
}

// ---------- main ----------

const o = parseArgs(process.argv.slice(2));
const t0 = Date.now();
process.stderr.write('bench: measuring the machine…\n');
const m = machine();
const tsx = ['--import', 'tsx'];
const peerNames = o.only.filter((n) => !WORKLOADS.find((w) => w.name === n)!.deeptenOnly);
const threadsArg = o.threads ? ['--threads', String(o.threads)] : [];
const reports: LibReport[] = [];
const torchRuns: LibReport[] = []; // the per-thread-count runs behind PyTorch's best

for (const lib of o.libs) {
  process.stderr.write(`bench: ${lib}\n`);
  if (lib === 'native' || lib === 'js') {
    const label = `deepten-${lib}`;
    if (lib === 'native' && !existsSync(join(root, 'build/Release/deepten.node'))) {
      reports.push({ library: label, status: 'skipped', reason: 'build/Release/deepten.node is not built', notes: [], results: {} });
      continue;
    }
    if (lib === 'js' || o.threads) {
      reports.push(await runJob({ label, cmd: process.execPath, args: [...tsx, join(benchDir, 'deepten_worker.ts'), ...threadsArg], env: { DEEPTEN_BACKEND: lib }, names: o.only }, o));
      continue;
    }
    // the same rule as for PyTorch: the better of 1 and 2 threads per workload
    const runs: LibReport[] = [];
    for (const t of [1, 2]) {
      runs.push(await runJob({ label: `${label}-${t}t`, cmd: process.execPath, args: [...tsx, join(benchDir, 'deepten_worker.ts'), '--threads', String(t)], env: { DEEPTEN_BACKEND: lib }, names: o.only }, o));
      if (runs.at(-1)!.status === 'skipped') break;
    }
    reports.push(bestOf(runs, label, ' (--threads)'));
  } else if (lib === 'tfjs-cpu' || lib === 'tfjs-wasm') {
    const b = lib.slice(5);
    reports.push(await runJob({ label: lib, cmd: process.execPath, args: [...tsx, join(benchDir, 'tfjs_worker.ts'), '--backend', b], env: {}, names: peerNames }, o));
  } else {
    const py = '/usr/bin/python3';
    if (!existsSync(py)) { reports.push({ library: 'pytorch', status: 'skipped', reason: `${py} not found`, notes: [], results: {} }); continue; }
    const env: Record<string, string> = m.openblasCoretype ? { OPENBLAS_CORETYPE: m.openblasCoretype } : {};
    const counts = o.threads ? [o.threads] : [1, 2];
    const runs: LibReport[] = [];
    for (const t of counts) {
      // torch.set_num_threads sizes torch's OpenMP pool but not the OpenBLAS pool its GEMMs run on (which
      // otherwise takes every core): pin both, unless the user chose OpenBLAS's count
      const blas: Record<string, string> = process.env.OPENBLAS_NUM_THREADS ? {} : { OPENBLAS_NUM_THREADS: String(t) };
      runs.push(await runJob({ label: `pytorch-${t}t`, cmd: py, args: [join(benchDir, 'torch_bench.py'), '--threads', String(t)], env: { ...env, ...blas }, names: peerNames }, o));
      if (runs.at(-1)!.status === 'skipped') break;
    }
    torchRuns.push(...runs);
    reports.push(bestOf(runs, 'pytorch', ' (torch.set_num_threads' +
      (process.env.OPENBLAS_NUM_THREADS ? `; OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS}, the user's)` : ', OPENBLAS_NUM_THREADS set to the same count)')));
  }
}

const text = render(m, reports, o);
console.log('\n' + text);
console.log(`\nbench: ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
if (o.json) {
  writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: o, machine: m, workloads: WORKLOADS.filter((w) => o.only.includes(w.name)), libraries: reports, pytorchRuns: torchRuns }, null, 1));
  console.log(`bench: wrote ${o.json}`);
}

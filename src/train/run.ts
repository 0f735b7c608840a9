// A run directory: config.json, metrics.jsonl (one JSON line per logged step), checkpoint.safetensors,
// model.safetensors, images, summary.json, and run.lock while a process trains in it.
// Opening one never destroys a run silently: a directory that already holds a run is refused unless the caller
// resumes it or asks to overwrite it, and a directory in use by a live process is refused always.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { writeFileAtomic } from '../io/atomic.ts';

export interface Summary {
  model: string;
  dataset: string;
  metric: string;
  value: number;
  steps: number;
  seconds: number;
  backend: string;
  seed: number;
  [extra: string]: unknown;
}

export interface MetricsLine {
  step: number;
  epoch?: number;
  loss?: number;
  lr?: number;
  examplesPerSec?: number;
  [metric: string]: number | string | null | undefined;
}

export interface OpenOptions {
  /** The run directory for a new run (default runs/<model>/<timestamp>). */
  out?: string;
  /** Continue the run in this directory. */
  resume?: string;
  /** Replace the run already in `out`. */
  overwrite?: boolean;
  /** What a new run writes to config.json. */
  config: unknown;
}

const LOCK = 'run.lock';
/** Names writeFileAtomic gives its temporary files: `.<name>.<pid>.<hex>.tmp`. */
const TMP = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

/** Creates `dir` and its missing parents, failing with one clear line (never looping) when it cannot. */
function makeDir(dir: string, flag: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!existsSync(d)) {
    missing.unshift(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (existsSync(d) && !isDir(d)) throw new Error(`${flag} ${dir}: ${d} exists and is not a directory`);
  for (const m of missing) {
    try { mkdirSync(m); } catch (e) { throw new Error(`${flag} ${dir}: cannot create ${m}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  // a directory can exist and still refuse files (read-only mounts, /proc): try one
  const probe = join(dir, `.deepten-write-test.${process.pid}`);
  try { closeSync(openSync(probe, 'wx')); unlinkSync(probe); } catch (e) {
    throw new Error(`${flag} ${dir}: cannot write files there: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** The live process holding `dir`'s lock, or null (no lock, or a stale one left by a process that died). */
export function lockHolder(dir: string): { pid: number; host: string } | null {
  let raw: string;
  try { raw = readFileSync(join(dir, LOCK), 'utf8'); } catch { return null; }
  const [pidStr, host] = raw.trim().split(/\s+/);
  const pid = Number(pidStr);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (host && host !== hostname()) return { pid, host }; // cannot check another machine's processes: assume live
  return pid !== process.pid && pidAlive(pid) ? { pid, host: host ?? hostname() } : null;
}

export class Run {
  readonly dir: string;
  private locked = false;
  private readonly unlockOnExit = () => this.unlock();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * A new run directory, or an existing one when resuming, locked for this process until close(). Refuses a
   * directory that holds a run (unless resuming or overwriting), one that is not empty and holds no run, and one
   * in use by another live process. Removes temporary files of atomic writes that a killed process left behind.
   */
  static open(model: string, opts: OpenOptions): Run {
    if (opts.resume) {
      const dir = resolve(opts.resume);
      if (!isDir(dir)) throw new Error(`--resume ${opts.resume}: no such directory`);
      if (!existsSync(join(dir, 'config.json'))) throw new Error(`--resume ${opts.resume}: not a run directory (no config.json)`);
      const run = new Run(dir);
      run.lock('--resume');
      return run;
    }
    const flag = opts.out ? '--out' : 'run directory';
    let dir = resolve(opts.out ?? join('runs', model, timestamp()));
    if (!opts.out) for (let k = 2; existsSync(dir); k++) dir = resolve(join('runs', model, `${timestamp()}-${k}`));
    if (existsSync(dir)) {
      if (!isDir(dir)) throw new Error(`--out ${opts.out}: exists and is not a directory`);
      const entries = readdirSync(dir);
      const holdsRun = entries.includes('config.json');
      if (entries.length && !holdsRun) throw new Error(`--out ${opts.out}: the directory is not empty and holds no deepten run; choose a new or empty directory`);
      if (holdsRun && !opts.overwrite) {
        throw new Error(`--out ${opts.out}: the directory already holds a run; continue it with --resume ${opts.out}, or replace it with --overwrite`);
      }
      const holder = lockHolder(dir);
      if (holder) throw new Error(`--out ${opts.out}: the run there is in use by process ${holder.pid} on ${holder.host} (${LOCK})`);
      for (const e of entries) rmSync(join(dir, e), { recursive: true, force: true });
    }
    makeDir(dir, flag);
    const run = new Run(dir);
    run.lock(flag);
    writeFileAtomic(run.path('config.json'), JSON.stringify(opts.config, null, 2) + '\n');
    return run;
  }

  private lock(flag: string): void {
    const holder = lockHolder(this.dir);
    if (holder) throw new Error(`${flag} ${this.dir}: the run is in use by process ${holder.pid} on ${holder.host} (${LOCK}); wait for it or stop it first`);
    const p = this.path(LOCK);
    try { unlinkSync(p); } catch { /* none, or a stale one */ }
    let fd: number;
    try { fd = openSync(p, 'wx'); } catch (e) {
      throw new Error(`${flag} ${this.dir}: cannot take the run's lock (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is another process starting in it?`);
    }
    writeSync(fd, `${process.pid} ${hostname()}\n`);
    closeSync(fd);
    this.locked = true;
    process.once('exit', this.unlockOnExit);
    for (const f of readdirSync(this.dir)) if (TMP.test(f)) rmSync(this.path(f), { force: true });
  }

  private unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    try { unlinkSync(this.path(LOCK)); } catch { /* already gone */ }
  }

  /** Releases the lock (the run directory and its files stay). */
  close(): void {
    this.unlock();
    process.removeListener('exit', this.unlockOnExit);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** config.json, parsed; a missing or corrupt file is an error naming it. */
  config<T>(): T {
    const p = this.path('config.json');
    let raw: string;
    try { raw = readFileSync(p, 'utf8'); } catch (e) { throw new Error(`${p}: cannot read: ${(e as Error).message}`); }
    let cfg: unknown;
    try { cfg = JSON.parse(raw); } catch (e) { throw new Error(`${p}: not valid JSON (${(e as Error).message})`); }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error(`${p}: expected a JSON object of settings`);
    return cfg as T;
  }

  logMetrics(line: MetricsLine): void {
    appendFileSync(this.path('metrics.jsonl'), JSON.stringify(line) + '\n');
  }

  /** Bytes in metrics.jsonl now (a checkpoint records this, so a resume can drop what was logged after it). */
  metricsSize(): number {
    try { return statSync(this.path('metrics.jsonl')).size; } catch { return 0; }
  }

  /** Cuts metrics.jsonl back to `bytes` (the size when the checkpoint being resumed was written). */
  truncateMetrics(bytes: number): void {
    const p = this.path('metrics.jsonl');
    if (!existsSync(p)) return;
    if (statSync(p).size > bytes) truncateSync(p, bytes);
  }

  writeSummary(s: Summary): void {
    writeFileAtomic(this.path('summary.json'), JSON.stringify(s, null, 2) + '\n');
  }
}

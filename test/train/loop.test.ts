// The shared run lifecycle (src/train/loop.ts, run.ts, checkpoint.ts), through the real CLI in child processes
// where signals and files matter: no silent overwrite, locks, periodic checkpoints, SIGTERM and SIGKILL then
// resume, metrics without duplicates, divergence, settings checked before anything is written, clear errors for
// hand-edited state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-loop-'));
const SMALL = 'trainLimit=800,testLimit=100,model.hidden=16';

function cli(args: string[], timeout = 120_000) {
  return spawnSync(process.execPath, ['bin/deepten.mjs', ...args], { encoding: 'utf8', timeout, env: { ...process.env, DEEPTEN_THREADS: '1' } });
}

function startTraining(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['bin/deepten.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEEPTEN_THREADS: '1' } });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.stdout!.resume();
  return { child, stderr: () => err };
}

const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => c.on('exit', (code, signal) => res({ code, signal })));
const until = (cond: () => boolean, ms = 300_000) => new Promise<void>((res, rej) => {
  const t0 = Date.now();
  const ok = () => { try { return cond(); } catch { return false; } }; // files may not exist yet
  const t = setInterval(() => { if (ok()) { clearInterval(t); res(); } else if (Date.now() - t0 > ms) { clearInterval(t); rej(new Error('timed out waiting')); } }, 20);
});

function checkpointStep(dir: string): number {
  return JSON.parse(readSafetensors(join(dir, 'checkpoint.safetensors')).metadata.deepten!).step;
}

function metrics(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** Each kind of line (a step's loss, an evaluation) appears at most once per step. */
function assertNoDuplicates(lines: Record<string, unknown>[]): void {
  const seen = new Set<string>();
  for (const l of lines) {
    const key = `${l.step}:${Object.keys(l).filter((k) => k !== 'examplesPerSec').sort().join(',')}`;
    assert.ok(!seen.has(key), `metrics line repeated: ${JSON.stringify(l)}`);
    seen.add(key);
  }
}

test('an --out that holds a run is refused unless --resume or --overwrite; a non-run directory is never emptied', () => {
  const dir = tmp();
  try {
    const out = join(dir, 'run');
    let r = cli(['train', 'mlp', '--out', out, '--max-steps', '3', '--set', SMALL]);
    assert.equal(r.status, 0, r.stderr);
    const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    r = cli(['train', 'mlp', '--out', out, '--max-steps', '3', '--set', SMALL]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already holds a run; continue it with --resume .*, or replace it with --overwrite/);
    assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), before, 'nothing appended');
    r = cli(['train', 'mlp', '--out', out, '--max-steps', '2', '--set', SMALL, '--overwrite']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).steps, 2);
    assert.ok(!readFileSync(join(out, 'metrics.jsonl'), 'utf8').includes('"step":3'), 'the old metrics are gone');
    const other = join(dir, 'notes');
    mkdirSync(other);
    writeFileSync(join(other, 'mine.txt'), 'keep me');
    r = cli(['train', 'mlp', '--out', other, '--max-steps', '2', '--set', SMALL, '--overwrite']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not empty and holds no deepten run/);
    assert.equal(readFileSync(join(other, 'mine.txt'), 'utf8'), 'keep me');
    assert.match(cli(['train', 'mlp', '--resume', out, '--overwrite']).stderr, /--resume and --overwrite contradict/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a live run.lock refuses a second process; a stale one (dead process) is taken over', async () => {
  const dir = tmp();
  try {
    assert.equal(cli(['train', 'mlp', '--out', dir, '--max-steps', '2', '--set', SMALL]).status, 0);
    assert.ok(!existsSync(join(dir, 'run.lock')), 'the lock is released at the end');
    const sleeper = spawn('sleep', ['60']);
    try {
      writeFileSync(join(dir, 'run.lock'), `${sleeper.pid} ${(await import('node:os')).hostname()}\n`);
      const r = cli(['train', 'mlp', '--resume', dir, '--max-steps', '4']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`in use by process ${sleeper.pid}`));
    } finally { sleeper.kill('SIGKILL'); await exited(sleeper); }
    const r = cli(['train', 'mlp', '--resume', dir, '--max-steps', '4']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).steps, 4);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--checkpoint-every N checkpoints mid-epoch; stale .tmp files are removed; --resume without a checkpoint says so', () => {
  const dir = tmp();
  try {
    // 800 / 64 = 12 steps per epoch; stop at 9 with a checkpoint every 4 steps: the last periodic one is at 8, the final at 9
    let r = cli(['train', 'mlp', '--out', dir, '--max-steps', '9', '--batch-size', '64', '--checkpoint-every', '4', '--set', SMALL]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(checkpointStep(dir), 9);
    writeFileSync(join(dir, '.checkpoint.safetensors.12345.abcdef.tmp'), 'half a file');
    r = cli(['train', 'mlp', '--resume', dir, '--max-steps', '10']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    rmSync(join(dir, 'checkpoint.safetensors'));
    r = cli(['train', 'mlp', '--resume', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^deepten: --resume .*: the run has no checkpoint\.safetensors yet \(it stopped before its first checkpoint\); start it again with --out .* --overwrite\n$/);
    assert.match(cli(['train', 'mlp', '--checkpoint-every', '2.5']).stderr, /--checkpoint-every must be a non-negative integer/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('SIGTERM mid-run saves a checkpoint and exits 143; --resume finishes with each metrics line once', async () => {
  const dir = tmp();
  try {
    const run = startTraining(['train', 'mlp', '--out', dir, '--batch-size', '8', '--epochs', '2', '--set', SMALL]);
    await until(() => /step \d+/.test(run.stderr()) && existsSync(join(dir, 'metrics.jsonl')));
    run.child.kill('SIGTERM');
    const { code } = await exited(run.child);
    assert.equal(code, 143, run.stderr());
    assert.match(run.stderr(), /SIGTERM: saving a checkpoint after this step/);
    const stoppedAt = checkpointStep(dir);
    assert.ok(stoppedAt > 0 && stoppedAt < 200, String(stoppedAt));
    const r = cli(['train', 'mlp', '--resume', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).steps, 200);
    const lines = metrics(dir);
    assertNoDuplicates(lines);
    assert.equal(lines.filter((l) => 'testAccuracy' in l).length, 2, 'one evaluation per epoch');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('SIGKILL mid-run leaves a readable checkpoint; --resume cuts the metrics back to it and finishes', async () => {
  const dir = tmp();
  try {
    const run = startTraining(['train', 'mlp', '--out', dir, '--batch-size', '8', '--epochs', '2', '--checkpoint-every', '7', '--set', SMALL]);
    await until(() => existsSync(join(dir, 'checkpoint.safetensors')) && checkpointStep(dir) >= 28 && metrics(dir).some((l) => (l.step as number) >= 50));
    run.child.kill('SIGKILL');
    await exited(run.child);
    const at = checkpointStep(dir);
    const logged = metrics(dir).map((l) => l.step as number);
    const r = cli(['train', 'mlp', '--resume', dir]);
    assert.equal(r.status, 0, r.stderr);
    const lines = metrics(dir);
    assertNoDuplicates(lines);
    assert.ok(logged.length > 0 && at > 0);
    for (const s of [50, 100, 150, 200]) assert.equal(lines.filter((l) => l.step === s && 'loss' in l).length, 1, `step ${s} logged once`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a NaN/Inf loss stops the run with an error; the last good checkpoint stays and no diverged weights are written', () => {
  const dir = tmp();
  try {
    const r = cli(['train', 'mlp', '--out', dir, '--lr', '1e12', '--batch-size', '16', '--checkpoint-every', '1', '--set', SMALL]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /\ndeepten: mlp: (the loss became (NaN|Infinity|-Infinity) at step \d+ \(epoch 1\); training stopped\. The last good checkpoint \(step \d+\) is kept in .*; try a lower learning rate|checkpoint at step \d+: '[\w.]+' holds (NaN|Infinity|-Infinity); not saving a diverged model)\n$/);
    assert.ok(!existsSync(join(dir, 'model.safetensors')));
    if (existsSync(join(dir, 'checkpoint.safetensors'))) {
      for (const [, t] of Object.entries(readSafetensors(join(dir, 'checkpoint.safetensors')).tensors)) {
        for (const v of t.data as Float32Array) assert.ok(Number.isFinite(v), 'checkpointed weights are finite');
      }
    }
    assert.ok(!existsSync(join(dir, 'run.lock')), 'the lock is released');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bad settings and data are refused before anything is written', () => {
  const dir = tmp();
  try {
    const out = join(dir, 'never');
    const cases: [string[], RegExp][] = [
      [['--set', 'optimizer=bogus'], /optimizer: unknown value 'bogus'; one of sgd, adam, adamw/],
      [['--set', 'schedule=bogus'], /schedule: unknown value 'bogus'; one of none, cosine, step/],
      [['--batch-size', '64', '--set', 'trainLimit=10'], /mlp: batch size 64 is larger than the mnist training set \(10 examples\)/],
      [['--data-dir', join(dir, 'nowhere')], /--data-dir .*nowhere: no such directory/],
      [['--set', 'model.inputSize=100'], /mlp: the mnist images are 1×28×28 \(C×H×W\), but the MLP takes 100 inputs per image/],
    ];
    for (const [args, re] of cases) {
      const r = cli(['train', 'mlp', '--out', out, ...args]);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.ok(!existsSync(out), `${args.join(' ')}: no run directory`);
    }
    const r = cli(['train', 'mlp', '--out', '/proc/deepten-cannot/run', '--max-steps', '1'], 20_000);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--out \/proc\/deepten-cannot\/run: cannot (create|write)/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('hand-edited training state and config.json give errors naming the file and the field', () => {
  const dir = tmp();
  try {
    assert.equal(cli(['train', 'mlp', '--out', dir, '--max-steps', '3', '--set', SMALL]).status, 0);
    const ckpt = join(dir, 'checkpoint.safetensors');
    const orig = readSafetensors(ckpt);
    const meta = JSON.parse(orig.metadata.deepten!);
    const rewrite = (m: Record<string, unknown>) => {
      const tensors = Object.fromEntries(Object.entries(orig.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
      writeSafetensors(ckpt, tensors as never, { deepten: JSON.stringify(m) });
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...meta, step: 'abc' }, /field 'step' is "abc", expected a non-negative integer/],
      [{ ...meta, rng: undefined }, /field 'rng' is undefined, expected \{s: four uint32 words/],
      [{ ...meta, extra: { ...meta.extra, recipe: { $array: '__proto__' } } }, /extra\.recipe refers to tensor "__proto__", which the file does not contain/],
      [{ ...meta, extra: { recipe: { ['__proto__']: 1 } } }, /has a key named '__proto__', which is not allowed/],
      [{ ...meta, format: 'other/9' }, /unknown format "other\/9"/],
    ];
    for (const [m, re] of cases) {
      rewrite(JSON.parse(JSON.stringify(m).replace('"__proto__":1', '"__proto__":1')));
      const r = cli(['train', 'mlp', '--resume', dir, '--max-steps', '4']);
      assert.equal(r.status, 1, JSON.stringify(m).slice(0, 80));
      assert.match(r.stderr, new RegExp(`checkpoint ${ckpt.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    rewrite(meta);
    writeFileSync(join(dir, 'config.json'), '{"epochs": 3, ');
    let r = cli(['train', 'mlp', '--resume', dir]);
    assert.match(r.stderr, /config\.json: not valid JSON/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8').replace(/, $/, '}')), epochs: 'three' }));
    r = cli(['train', 'mlp', '--resume', dir]);
    assert.match(r.stderr, /config\.json: setting 'epochs' is "three", expected a number/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('eval --checkpoint takes a run directory; flags ignored under --resume are reported', () => {
  const dir = tmp();
  try {
    assert.equal(cli(['train', 'mlp', '--out', dir, '--max-steps', '20', '--set', SMALL]).status, 0);
    const r = cli(['eval', 'mlp', '--checkpoint', dir]);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.ok(m.test_accuracy > 0.3, JSON.stringify(m));
    const again = cli(['train', 'mlp', '--resume', dir, '--lr', '5', '--set', 'epochs=9', '--max-steps', '21']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /--resume continues with the run's saved settings; ignoring --lr, --set/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

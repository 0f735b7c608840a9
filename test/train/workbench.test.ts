// The training workbench: bit-identical resume, atomic checkpoints, clear errors for mismatched checkpoints,
// run directory contents, and the CLI's behaviour on good and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as dt from '../../src/index.ts';
import { trainClassifier } from '../../src/train/classify.ts';
import { mlpSpec } from '../../src/train/recipes/classifiers.ts';
import { saveCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { MLP } from '../../src/models/mlp.ts';
import { SGD } from '../../src/optim/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-wb-'));
const small: Record<string, string> = { trainLimit: '640', testLimit: '200', 'model.hidden': '32' };

test('--resume continues bit-identically to an uninterrupted run (mid-epoch stop)', async () => {
  const a = tmp(), b = tmp();
  try {
    await trainClassifier(mlpSpec, { maxSteps: 30, batchSize: 32, out: a, set: { ...small, epochs: '3' } });
    await trainClassifier(mlpSpec, { maxSteps: 13, batchSize: 32, out: b, set: { ...small, epochs: '3' } });
    await trainClassifier(mlpSpec, { resume: b, maxSteps: 30 });
    assert.deepEqual(readFileSync(join(b, 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoint.safetensors']) assert.ok(existsSync(join(a, f)), f);
    const summary = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    for (const k of ['model', 'dataset', 'metric', 'value', 'steps', 'seconds', 'backend', 'seed']) assert.ok(k in summary, k);
    const lines = readFileSync(join(a, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => 'loss' in l && 'lr' in l && 'examplesPerSec' in l));
    assert.ok(lines.some((l) => 'testAccuracy' in l));
  } finally { rmSync(a, { recursive: true, force: true }); rmSync(b, { recursive: true, force: true }); }
});

test('a run resumed at an epoch boundary logs each test evaluation once and keeps its result', async () => {
  const a = tmp(), b = tmp();
  try {
    // 640 examples / 32 = 20 steps per epoch: stop exactly at the end of epoch 1, then resume to the end of epoch 2
    await trainClassifier(mlpSpec, { maxSteps: 40, batchSize: 32, out: a, set: { ...small, epochs: '3' } });
    await trainClassifier(mlpSpec, { maxSteps: 20, batchSize: 32, out: b, set: { ...small, epochs: '3' } });
    const resumed = await trainClassifier(mlpSpec, { resume: b, maxSteps: 40 });
    const evals = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'testAccuracy' in l);
    assert.deepEqual(evals(b).map((l) => l.step), [20, 40]);
    assert.deepEqual(evals(b), evals(a));
    // resuming a finished run trains nothing and reports the saved evaluation
    const again = await trainClassifier(mlpSpec, { resume: b, maxSteps: 40 });
    assert.equal(again.value, resumed.value);
    assert.ok(Number.isFinite(again.value));
  } finally { rmSync(a, { recursive: true, force: true }); rmSync(b, { recursive: true, force: true }); }
});

test('a checkpoint restores weights, optimizer, RNG and loop state; mismatches are named', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'c.safetensors');
    dt.manualSeed(3);
    const m = new MLP({ hidden: [8], inputSize: 4, classes: 3 });
    const opt = new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
    m.forward(dt.randn([2, 4])).sum().backward();
    opt.step();
    saveCheckpoint(path, { model: m, optimizer: opt }, { step: 7, epoch: 2, extra: { note: 'x', arr: new Float32Array([1, 2]) } });
    const next = dt.rand([3]).data;
    const m2 = new MLP({ hidden: [8], inputSize: 4, classes: 3 });
    const opt2 = new SGD(m2.parameters(), { lr: 0.5 });
    const st = loadCheckpoint(path, { model: m2, optimizer: opt2 });
    assert.equal(st.step, 7);
    assert.deepEqual((st.extra as any).arr, new Float32Array([1, 2]));
    assert.deepEqual(dt.rand([3]).data, next, 'RNG state restored');
    assert.equal(opt2.paramGroups[0].lr, 0.1);
    for (const [k, v] of m.stateDict()) assert.deepEqual(m2.stateDict().get(k)!.data, v.data, k);
    const wrong = new MLP({ hidden: [9], inputSize: 4, classes: 3 });
    assert.throws(() => loadCheckpoint(path, { model: wrong }), /checkpoint .*c\.safetensors: '[\w.]+weight' has shape \[\d+, \d+\] in the file but \[\d+, \d+\] in the model/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a failed checkpoint write leaves the previous checkpoint intact', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'c.safetensors');
    const m = new MLP({ hidden: [4], inputSize: 2, classes: 2 });
    saveCheckpoint(path, { model: m }, { step: 1, epoch: 0 });
    const before = readFileSync(path);
    const bad = { stateDict: () => new Map([['ok', dt.zeros([2])], ['bad/name', dt.zeros([1])]]), loadStateDict: () => undefined };
    assert.throws(() => saveCheckpoint(path, { model: bad as any }, { step: 2, epoch: 0 }), /contains '\/'/);
    assert.deepEqual(readFileSync(path), before);
    writeFileSync(path, before.subarray(0, 20));
    assert.throws(() => loadCheckpoint(path, { model: m }), new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['bin/deepten.mjs', ...args], { encoding: 'utf8', env: { ...process.env } });
}

test('CLI: help on every command, list, info', () => {
  for (const c of [['--help'], ['list', '--help'], ['info', '--help'], ['train', '--help'], ['eval', '--help']]) {
    const r = cli(c);
    assert.equal(r.status, 0, `${c.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /usage: deepten/);
  }
  const list = cli(['list']);
  assert.match(list.stdout, /lenet[\s\S]*99\.05%/);
  assert.match(cli(['info']).stdout, /backend: (js|native)\nblas: /);
});

test('CLI: bad input gives one clear line and a non-zero exit', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['train', 'nosuch'], /unknown model 'nosuch'/],
    [['train', 'mlp', '--epochs', 'many'], /--epochs must be a number, got 'many'/],
    [['train', 'mlp', '--bogus'], /unknown option --bogus/],
    [['train', 'mlp', '--set', 'nosuch=1'], /--set nosuch=1: no such setting/],
    [['train', 'mlp', '--resume', '/nonexistent/run'], /--resume \/nonexistent\/run: no such directory/],
    [['eval', 'mlp'], /--checkpoint PATH is required/],
    [['eval', 'mlp', '--checkpoint', '/nonexistent.safetensors'], /\/nonexistent\.safetensors/],
    [['info', '--backend', 'gpu'], /--backend must be js or native/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('Ctrl-C (SIGINT) during training saves a checkpoint, exits 130, and --resume continues', async () => {
  const dir = tmp();
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['bin/deepten.mjs', 'train', 'mlp', '--out', dir, '--set', 'trainLimit=6000,testLimit=100,model.hidden=32', '--batch-size', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    // wait until training has logged progress, then interrupt
    await new Promise<void>((res) => { const t = setInterval(() => { if (existsSync(join(dir, 'config.json')) && /step \d+/.test(stderr)) { clearInterval(t); res(); } }, 100); });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted at step \d+; checkpoint saved, continue with --resume/);
    assert.ok(existsSync(join(dir, 'checkpoint.safetensors')));
    const stoppedAt = Number(/interrupted at step (\d+)/.exec(stderr)![1]);
    const r = cli(['train', 'mlp', '--resume', dir, '--max-steps', String(stoppedAt + 40)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).steps, stoppedAt + 40);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// The ddpm recipe end to end on a tiny U-Net: a smoke run whose loss falls and which writes its images and EMA
// snapshots, checkpoints that hold the model, the EMA model, Adam and the schedule and resume bit-identically
// (also when a finished run is extended with --max-steps), and clear errors on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainDdpm, evaluateDdpm } from '../../src/train/recipes/ddpm.ts';
import { recipes } from '../../src/train/recipes/index.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-ddpm-'));
// a U-Net of 8/16/16 channels on 256 MNIST images: a few dozen steps take seconds
const tiny: Record<string, string> = {
  trainLimit: '256', evalSamples: '0', gridSamples: '4', stripChains: '2', sampleSteps: '10', warmupSteps: '5', snapshots: '12', logEvery: '4',
  'model.widths': '8/16/16', 'model.timeDim': '16', 'model.timeFeatures': '8', 'model.groups': '4',
};
const readLines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('ddpm smoke run: the loss falls; grids, denoising strips, EMA snapshots and a checkpoint with every part', async () => {
  const dir = tmp();
  try {
    const s = await trainDdpm({ out: dir, batchSize: 8, maxSteps: 48, set: { ...tiny, evalEvery: '24' } });
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoint.safetensors', 'model.safetensors', 'samples.png',
      'denoising.png', 'samples-000024.png', 'denoising-000048.png', 'ema-000012.safetensors']) assert.ok(existsSync(join(dir, f)), f);
    const losses = readLines(join(dir, 'metrics.jsonl')).filter((l) => typeof l.loss === 'number').map((l) => l.loss);
    // ε-prediction starts near E[ε²] = 1; 48 steps of Adam bring a tiny U-Net well below it
    assert.ok(losses.length >= 4, `${losses.length} loss lines`);
    assert.ok(losses[losses.length - 1] < 0.6 && losses[losses.length - 1] < losses[0], `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.equal(s.steps, 48);
    const ck = readSafetensors(join(dir, 'checkpoint.safetensors'));
    const names = Object.keys(ck.tensors);
    assert.ok(names.includes('conv_in.weight') && names.includes('ema.conv_in.weight'), 'model and EMA weights');
    assert.ok(names.some((n) => n.startsWith('optimizer/')), 'Adam state');
    const meta = JSON.parse(ck.metadata.deepten);
    assert.ok(meta.schedulers[''], 'the warm-up schedule');
    assert.equal(meta.extra.recipe.ema.updates, 48);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('ddpm resume: interrupted and extended runs end bit-identical to one uninterrupted run', async () => {
  const [a, b] = [tmp(), tmp()];
  try {
    await trainDdpm({ out: a, batchSize: 8, maxSteps: 12, set: { ...tiny, evalEvery: '0' } });
    await trainDdpm({ out: b, batchSize: 8, maxSteps: 5, set: { ...tiny, evalEvery: '0' } });
    await trainDdpm({ resume: b, maxSteps: 12 });
    const wa = readSafetensors(join(a, 'checkpoint.safetensors')).tensors, wb = readSafetensors(join(b, 'checkpoint.safetensors')).tensors;
    for (const name of ['conv_in.weight', 'mid_attn.attn.in_proj_weight', 'ema.conv_out.weight', 'ema.up1.norm2.bias']) {
      assert.deepEqual(Array.from(wb[name].data as Float32Array), Array.from(wa[name].data as Float32Array), name);
    }
    const la = readLines(join(a, 'metrics.jsonl')).filter((l) => 'loss' in l), lb = readLines(join(b, 'metrics.jsonl')).filter((l) => 'loss' in l);
    // b also logged the end of its first session (step 5); every step a logged, b logged with the same loss, once
    const steps = lb.map((l) => l.step);
    assert.equal(new Set(steps).size, steps.length, `no step logged twice: ${steps}`);
    for (const l of la) assert.deepEqual(lb.find((k) => k.step === l.step)?.loss, l.loss, `step ${l.step}`);
  } finally { for (const d of [a, b]) rmSync(d, { recursive: true, force: true }); }
});

test('ddpm is registered, and bad input gives one clear line', async () => {
  assert.equal(recipes.ddpm.name, 'ddpm');
  const dir = tmp();
  try {
    await assert.rejects(trainDdpm({ out: dir, set: { ...tiny, sampleSteps: '7' } }), /ddpm: sampleSteps 7 must divide timesteps 1000/);
    await assert.rejects(trainDdpm({ out: dir, batchSize: 512, set: tiny }), /ddpm: batch size 512 is larger than the training set \(256 images\)/);
    await assert.rejects(trainDdpm({ out: dir, set: { ...tiny, 'model.depth': '3' } }), /--set model.depth=3: no such setting/);
    await assert.rejects(evaluateDdpm({ checkpoint: join(dir, 'nothing.safetensors') }), /no such file or directory/);
    assert.ok(!existsSync(join(dir, 'config.json')), 'nothing written');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

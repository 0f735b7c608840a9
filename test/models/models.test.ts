// Models 1-3: shapes, parameter counts against the reference architectures, smoke training that beats chance,
// and save → load → identical predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dt from '../../src/index.ts';
import { MLP } from '../../src/models/mlp.ts';
import { LeNet5 } from '../../src/models/lenet.ts';
import { ResNet } from '../../src/models/resnet.ts';
import type { Module } from '../../src/nn/module.ts';
import { trainClassifier } from '../../src/train/classify.ts';
import { mlpSpec, lenetSpec, resnetSpec, resnet as resnetRecipe } from '../../src/train/recipes/classifiers.ts';
import { Generator } from '../../src/random.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { loadWeights } from '../../src/train/checkpoint.ts';

const count = (m: Module) => m.parameters().reduce((s, p) => s + p.size, 0);
const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-models-'));

test('MLP 784-800-10: 636,010 parameters, logits (B, 10) from images or vectors', () => {
  const m = new MLP();
  assert.equal(count(m), 784 * 800 + 800 + 800 * 10 + 10);
  assert.deepEqual(m.forward(dt.randn([3, 1, 28, 28])).shape, [3, 10]);
  assert.deepEqual(new MLP({ hidden: [32, 16], batchNorm: true }).forward(dt.randn([4, 784])).shape, [4, 10]);
});

test('LeNet-5: 61,706 parameters with the classic layer sizes', () => {
  const m = new LeNet5();
  assert.equal(count(m), 61706);
  assert.deepEqual(m.forward(dt.randn([2, 1, 28, 28])).shape, [2, 10]);
});

test('ResNet-20: about 0.27M parameters, 6n+2 depths only, plain variant has the same weights', () => {
  const m = new ResNet({ depth: 20 });
  assert.equal(count(m), 269434);
  assert.deepEqual(new ResNet({ depth: 8, widths: [4, 8, 8] }).forward(dt.randn([2, 1, 28, 28])).shape, [2, 10]);
  assert.deepEqual(new ResNet({ depth: 8, inChannels: 3, widths: [4, 8, 8] }).forward(dt.randn([2, 3, 32, 32])).shape, [2, 10]);
  assert.equal(count(new ResNet({ depth: 20, plain: true })), 269434);
  assert.ok(count(new ResNet({ depth: 20, shortcut: 'B' })) > 269434);
  assert.throws(() => new ResNet({ depth: 21 }), /ResNet: depth must be 6n \+ 2/);
});

test('save → load → identical predictions', () => {
  const dir = tmp();
  try {
    for (const make of [() => new MLP({ hidden: [16] }), () => new LeNet5(), () => new ResNet({ depth: 8, widths: [4, 8, 8] })]) {
      dt.manualSeed(5);
      const a = make();
      a.eval();
      const x = dt.randn([3, 1, 28, 28]);
      const path = join(dir, 'm.safetensors');
      writeSafetensors(path, Object.fromEntries(a.stateDict()));
      dt.manualSeed(6);
      const b = make();
      b.eval();
      assert.notDeepEqual(b.forward(x).data, a.forward(x).data);
      b.loadStateDict(new Map(Object.entries(loadWeights(path))));
      assert.deepEqual(b.forward(x).data, a.forward(x).data);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// Smoke runs: a few hundred examples' worth of steps on an MNIST / Fashion-MNIST subset must beat chance (10%) widely.
const smoke = { trainLimit: '3000', testLimit: '500' };
test('mlp smoke run on MNIST beats chance by a wide margin', async () => {
  const out = tmp();
  try {
    const s = await trainClassifier(mlpSpec, { maxSteps: 150, batchSize: 32, out, set: { ...smoke, 'model.hidden': '64' } });
    assert.ok(s.value > 0.8, `test accuracy ${s.value}`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('lenet smoke run on MNIST beats chance by a wide margin', async () => {
  const out = tmp();
  try {
    const s = await trainClassifier(lenetSpec, { maxSteps: 150, batchSize: 32, out, set: smoke });
    assert.ok(s.value > 0.7, `test accuracy ${s.value}`);
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('resnet smoke run on Fashion-MNIST beats chance by a wide margin', async () => {
  const out = tmp();
  try {
    const s = await trainClassifier(resnetSpec, { maxSteps: 240, batchSize: 16, out, set: { trainLimit: '1920', testLimit: '500', 'model.depth': '8', 'model.widths': '4/8/8', cropPadding: '0', flip: 'false', lr: '0.05', epochs: '2' } });
    assert.ok(s.value > 0.5, `test accuracy ${s.value}`); // chance is 0.1; seen 0.64-0.65 on both backends
  } finally { rmSync(out, { recursive: true, force: true }); }
});

/**
 * A CIFAR-10-format dataset (binary batches: label byte + 3072 bytes R, G, B planes) whose class is the image's
 * colour: class c is the RGB triple of c's three bits scaled, plus noise. Only a model that reads all three channels
 * separates the classes.
 */
function writeColourCifar(dir: string, perFile: number, testCount: number): void {
  const gen = new Generator(5);
  const file = (name: string, count: number, offset: number) => {
    const bytes = new Uint8Array(count * 3073);
    for (let r = 0; r < count; r++) {
      const label = (r + offset) % 8; // 8 colours = the corners of the RGB cube
      bytes[r * 3073] = label;
      for (let ch = 0; ch < 3; ch++) {
        const base = (label >> ch) & 1 ? 190 : 60;
        for (let i = 0; i < 1024; i++) bytes[r * 3073 + 1 + ch * 1024 + i] = Math.max(0, Math.min(255, Math.round(base + 40 * gen.normal())));
      }
    }
    writeFileSync(join(dir, name), bytes);
  };
  for (let i = 1; i <= 5; i++) file(`data_batch_${i}.bin`, perFile, i);
  file('test_batch.bin', testCount, 0);
}

test('resnet trains on CIFAR-10 binary batches (3-channel 32×32) and evaluates from its run directory', async () => {
  const data = tmp(), out = tmp();
  try {
    writeColourCifar(data, 96, 200);
    const set = { 'model.depth': '8', 'model.widths': '4/8/8', lr: '0.05', epochs: '3' };
    const s = await trainClassifier(resnetSpec, { batchSize: 16, out, dataDir: data, dataset: 'cifar10', set });
    assert.equal(s.dataset, 'cifar10');
    assert.ok(s.value > 0.6, `test accuracy ${s.value}`); // chance is 1/8
    const cfg = JSON.parse((await import('node:fs')).readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.mean, [0.4914, 0.4822, 0.4465]);
    assert.equal(cfg.cropPadding, 4); // the recipe's crop, at CIFAR's padding
    // eval reads the run's config (depth 8, widths 4/8/8, cifar10) next to the weights
    const m = await resnetRecipe.evaluate!({ checkpoint: join(out, 'model.safetensors'), dataDir: data });
    assert.equal(m.test_accuracy, s.value);
  } finally { rmSync(data, { recursive: true, force: true }); rmSync(out, { recursive: true, force: true }); }
});

test('--set mean/std take one value or one per channel; the one not set stays the dataset\'s', async () => {
  const data = tmp(), out = tmp();
  try {
    writeColourCifar(data, 4, 8);
    const set = { 'model.depth': '8', 'model.widths': '2/2/2', mean: '0.5/0.4/0.3' };
    await trainClassifier(resnetSpec, { maxSteps: 1, batchSize: 4, out, dataDir: data, dataset: 'cifar10', set });
    const cfg = JSON.parse((await import('node:fs')).readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.mean, [0.5, 0.4, 0.3]);
    assert.deepEqual(cfg.std, [0.2470, 0.2435, 0.2616]);
    await assert.rejects(trainClassifier(resnetSpec, { maxSteps: 1, batchSize: 4, out: tmp(), dataDir: data, dataset: 'cifar10', set: { ...set, mean: '0.5/0.5' } }),
      /classifier: mean has 2 values for images of 3 channel\(s\)/);
  } finally { rmSync(data, { recursive: true, force: true }); rmSync(out, { recursive: true, force: true }); }
});

test('a classifier refuses a dataset its input layer does not fit, naming the ones it takes', async () => {
  await assert.rejects(trainClassifier(lenetSpec, { maxSteps: 1, out: tmp(), dataset: 'cifar10' }), /lenet: unknown dataset 'cifar10' \(this model trains on mnist, fashion-mnist\)/);
  await assert.rejects(trainClassifier(resnetSpec, { maxSteps: 1, out: tmp(), dataset: 'svhn' }), /resnet: unknown dataset 'svhn' \(this model trains on fashion-mnist, mnist, cifar10\)/);
});

test('a missing dataset fails before the run directory is made', async () => {
  const empty = tmp(), out = join(tmp(), 'run');
  const saved = process.env.DEEPTEN_OFFLINE;
  process.env.DEEPTEN_OFFLINE = '1';
  try {
    await assert.rejects(trainClassifier(resnetSpec, { maxSteps: 1, out, dataDir: empty, dataset: 'cifar10' }), /cifar10.*not found/s);
    assert.equal(existsSync(out), false);
  } finally {
    if (saved === undefined) delete process.env.DEEPTEN_OFFLINE; else process.env.DEEPTEN_OFFLINE = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

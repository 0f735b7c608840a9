// applyOverrides: --set never leaves the config (no prototype pollution), enum settings take only their declared
// choices, and the common numeric settings are range-checked however they are given — all before a run exists.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverrides } from '../../src/train/overrides.ts';
import type { TrainOptions } from '../../src/train/recipe.ts';
import { mlpSpec, lenetSpec, resnetSpec } from '../../src/train/recipes/classifiers.ts';
import { classifierSchema } from '../../src/train/classify.ts';
import { gcnRecipeDefaults, gaeRecipeDefaults } from '../../src/train/recipes/graph.ts';
import { dqnRecipeDefaults } from '../../src/train/recipes/dqn.ts';
import { recipes } from '../../src/train/recipes/index.ts';

const cfg = () => ({ epochs: 3, maxSteps: 0, batchSize: 8, lr: 0.1, seed: 1, seeds: 2, dataset: 'mnist', optimizer: 'sgd', mean: [0.5], model: { activation: 'relu', hidden: [4] } });
const choices = { optimizer: ['sgd', 'adam'], dataset: ['mnist', 'cifar10'], 'model.activation': ['relu', 'tanh'] };
const apply = (opts: TrainOptions) => applyOverrides(cfg(), opts, { choices });

describe('applyOverrides', () => {
  test('--set never walks into __proto__, constructor or prototype', () => {
    const attempts = ['__proto__.toString', '__proto__.polluted', 'constructor.prototype.polluted', 'model.__proto__.polluted', 'model.constructor.name', '__proto__', 'prototype'];
    for (const key of attempts) {
      assert.throws(() => apply({ set: { [key]: 'x' } }), /is not a setting/, key);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(typeof ({}).toString, 'function');
    assert.equal(Object.prototype.toString.call([]), '[object Array]');
  });
  test('only own properties are followed: inherited names are no settings', () => {
    assert.throws(() => apply({ set: { toString: 'x' } }), /--set toString=x: no such setting \(known: epochs, maxSteps/);
    assert.throws(() => apply({ set: { 'model.hasOwnProperty': 'x' } }), /no such setting/);
    assert.throws(() => apply({ set: { 'valueOf.x': '1' } }), /--set valueOf.x=1: no setting 'valueOf'/);
    assert.throws(() => apply({ set: { 'model.hidden.0': '3' } }), /no setting 'hidden'/);
    assert.throws(() => apply({ set: { model: 'x' } }), /'model' is a group of settings \(known: activation, hidden\)/);
  });
  test('enum settings take only their choices, and the error lists them', () => {
    assert.throws(() => apply({ set: { optimizer: 'bogus' } }), /^Error: --set optimizer=bogus: optimizer: unknown value 'bogus'; one of sgd, adam$/);
    assert.throws(() => apply({ set: { 'model.activation': 'gelu' } }), /--set model.activation=gelu: model.activation: unknown value 'gelu'; one of relu, tanh/);
    assert.throws(() => apply({ dataset: 'imagenet' }), /--dataset imagenet: dataset: unknown value 'imagenet'; one of mnist, cifar10/);
    assert.throws(() => apply({ set: { dataset: 'imagenet' } }), /dataset: unknown value 'imagenet'/);
    const c = apply({ set: { optimizer: 'adam', 'model.activation': 'tanh' }, dataset: 'cifar10' });
    assert.equal(c.optimizer, 'adam');
    assert.equal(c.model.activation, 'tanh');
    assert.equal(c.dataset, 'cifar10');
  });
  test('values already in the config (a recipe default, a saved config.json) pass the same checks', () => {
    assert.throws(() => applyOverrides(cfg(), {}, { choices: { optimizer: ['adam'] } }), /^Error: optimizer: unknown value 'sgd'; one of adam$/);
    assert.throws(() => applyOverrides({ ...cfg(), epochs: 0 }, {}), /^Error: epochs must be a positive integer, got 0$/);
    assert.throws(() => applyOverrides({ ...cfg(), model: { activation: 'gelu' } }, {}, { choices }), /model.activation: unknown value 'gelu'/);
    // a setting an older config lacks is not checked
    assert.doesNotThrow(() => applyOverrides(cfg(), {}, { choices: { 'model.pool': ['max'] } }));
  });
  test('epochs, max-steps, batch size, lr, seed: ranges checked from flags and from --set alike', () => {
    const bad: [TrainOptions, RegExp][] = [
      [{ epochs: 0 }, /^Error: --epochs 0: epochs must be a positive integer, got 0$/],
      [{ epochs: -2 }, /--epochs -2: epochs must be a positive integer/],
      [{ epochs: 1.5 }, /--epochs 1.5: epochs must be a positive integer, got 1.5/],
      [{ maxSteps: -1 }, /--max-steps -1: maxSteps must be a non-negative integer \(0 = no limit\), got -1/],
      [{ maxSteps: 2.5 }, /--max-steps 2.5: maxSteps must be a non-negative integer/],
      [{ batchSize: 0 }, /--batch-size 0: batchSize must be a positive integer, got 0/],
      [{ lr: 0 }, /--lr 0: lr must be positive and finite, got 0/],
      [{ lr: -0.1 }, /--lr -0.1: lr must be positive and finite/],
      [{ lr: Infinity }, /--lr Infinity: lr must be positive and finite/],
      [{ seed: 1.5 }, /--seed 1.5: seed must be an integer, got 1.5/],
      [{ set: { epochs: '0' } }, /--set epochs=0: epochs must be a positive integer, got 0/],
      [{ set: { epochs: '2.5' } }, /--set epochs=2.5: epochs must be a positive integer/],
      [{ set: { maxSteps: '-3' } }, /--set maxSteps=-3: maxSteps must be a non-negative integer/],
      [{ set: { batchSize: '-8' } }, /--set batchSize=-8: batchSize must be a positive integer/],
      [{ set: { lr: '0' } }, /--set lr=0: lr must be positive and finite/],
      [{ set: { lr: '1e999' } }, /--set lr=1e999: expected a number, got '1e999'/],
      [{ set: { seed: '0.5' } }, /--set seed=0.5: seed must be an integer/],
      [{ set: { seeds: '0' } }, /--set seeds=0: seeds must be a positive integer/],
      [{ set: { epochs: '' } }, /--set epochs=: expected a number, got ''/],
    ];
    for (const [opts, re] of bad) assert.throws(() => apply(opts), re, JSON.stringify(opts));
    const ok = apply({ epochs: 5, maxSteps: 0, batchSize: 1, lr: 1e-4, seed: -3, set: { seeds: '4' } });
    assert.deepEqual([ok.epochs, ok.maxSteps, ok.batchSize, ok.lr, ok.seed, ok.seeds], [5, 0, 1, 1e-4, -3, 4]);
  });
  test("every recipe's defaults are among its declared choices", () => {
    for (const spec of [mlpSpec, lenetSpec, resnetSpec]) {
      const schema = classifierSchema(spec);
      assert.ok(schema.choices?.optimizer && schema.choices.schedule && Object.keys(schema.choices).some((k) => k.startsWith('model.')), spec.name);
      assert.doesNotThrow(() => applyOverrides(structuredClone(spec.defaults), {}, schema), spec.name);
    }
    assert.deepEqual([...mlpSpec.choices!['model.activation']], ['relu', 'sigmoid', 'tanh']);
    for (const d of [gcnRecipeDefaults, gaeRecipeDefaults, ...Object.values(dqnRecipeDefaults)]) assert.doesNotThrow(() => applyOverrides(structuredClone(d), {}));
  });
});

describe('the recipes refuse bad settings before a run directory exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-overrides-'));
  const out = join(dir, 'run');
  test('classifiers: optimizer, schedule, model.activation, dataset, epochs', async () => {
    const cases: [string, TrainOptions, RegExp][] = [
      ['mlp', { set: { optimizer: 'bogus' } }, /optimizer: unknown value 'bogus'; one of sgd, adam, adamw/],
      ['mlp', { set: { schedule: 'bogus' } }, /schedule: unknown value 'bogus'; one of none, cosine, step/],
      ['mlp', { set: { 'model.activation': 'bogus' } }, /model.activation: unknown value 'bogus'; one of relu, sigmoid, tanh/],
      ['lenet', { set: { 'model.activation': 'sigmoid' } }, /model.activation: unknown value 'sigmoid'; one of relu, tanh/],
      ['lenet', { set: { 'model.pool': 'min' } }, /model.pool: unknown value 'min'; one of max, avg/],
      ['resnet', { set: { 'model.shortcut': 'C' } }, /model.shortcut: unknown value 'C'; one of A, B/],
      ['mlp', { dataset: 'cifar10' }, /mlp: unknown dataset 'cifar10' \(this model trains on mnist, fashion-mnist\)/],
      ['mlp', { epochs: 0 }, /--epochs 0: epochs must be a positive integer/],
      ['mlp', { set: { '__proto__.polluted': 'yes' } }, /'__proto__' is not a setting/],
      ['gcn', { dataset: 'bogus' }, /--dataset bogus: dataset: unknown value 'bogus'; one of cora, citeseer, pubmed/],
      ['gae', { epochs: -1 }, /--epochs -1: epochs must be a positive integer/],
      ['gcn', { lr: 0 }, /--lr 0: lr must be positive and finite/],
      ['dqn', { maxSteps: 1.5 }, /--max-steps 1.5: maxSteps must be a non-negative integer/],
      ['dqn', { set: { seeds: '0' } }, /--set seeds=0: seeds must be a positive integer/],
    ];
    for (const [name, opts, re] of cases) {
      await assert.rejects(recipes[name].train({ ...opts, out }), re, `${name} ${JSON.stringify(opts)}`);
      assert.ok(!existsSync(out), `${name} ${JSON.stringify(opts)} left ${out} behind`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});

// The gpt recipe end to end on a tiny model (skipped without Tiny Shakespeare): nanoGPT's learning-rate schedule,
// the run directory and summary, `deepten eval`, the language-model hook `deepten sample` uses, and bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpt, nanoGptLr, gptRecipeDefaults } from '../../src/train/recipes/gpt.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const skip = existsSync(join(dataDir, 'tinyshakespeare', 'input.txt')) ? false : `no Tiny Shakespeare under ${dataDir}`;

test("nanoGPT's learning rate: linear warm-up, cosine decay to minLr, then minLr", () => {
  const c = gptRecipeDefaults;
  assert.equal(nanoGptLr(0, c), 1e-3 / 101);
  assert.equal(nanoGptLr(99, c), 1e-3 * 100 / 101);
  assert.equal(nanoGptLr(100, c), 1e-3);
  assert.ok(Math.abs(nanoGptLr(1050, c) - (1e-4 + 0.5 * 9e-4)) < 1e-12, 'half way: the mean of lr and minLr');
  assert.ok(Math.abs(nanoGptLr(2000, c) - 1e-4) < 1e-15);
  assert.equal(nanoGptLr(2500, c), 1e-4);
});

describe('gpt recipe', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-gpt-'));
  const tiny = { 'model.nLayer': '1', 'model.nHead': '2', 'model.nEmbd': '16', 'model.blockSize': '16', evalInterval: '5', evalIters: '2', warmupIters: '2', lrDecayIters: '10' };

  test('a tiny run: summary, metrics, the vocabulary in config.json', async () => {
    const s = await gpt.train({ out: dir, overwrite: true, maxSteps: 10, batchSize: 4, dataDir, set: tiny });
    assert.equal(s.model, 'gpt');
    assert.equal(s.metric, 'val_loss');
    assert.equal(s.steps, 10);
    for (const k of ['value', 'valLossFull', 'trainLoss', 'msPerIter']) assert.ok(Number.isFinite(s[k] as number), k);
    assert.ok((s.value as number) < Math.log(65), `below a uniform guess: ${s.value}`);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.vocab.length, 65);
    const evals = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.valLoss !== undefined);
    assert.deepEqual(evals.map((e) => e.step), [5, 10]);
  });

  test('deepten eval gpt: the full validation loss of the saved model', async () => {
    const m = await gpt.evaluate({ checkpoint: dir, dataDir });
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.ok(Math.abs(m.val_loss - s.valLossFull) < 1e-6, `${m.val_loss} vs ${s.valLossFull}`);
  });

  test('languageModel: the trained model with its character tokenizer, streaming logits', async () => {
    const lm = await gpt.languageModel!({ checkpoint: dir });
    assert.equal(lm.model.vocabSize, 65);
    assert.equal(lm.model.contextLength, 16);
    const ids = lm.encode('ROMEO:');
    assert.equal(lm.decode(ids), 'ROMEO:');
    const logits = lm.model.stream().feed(ids);
    assert.equal(logits.length, 65);
    assert.throws(() => lm.encode('€'), /CharTokenizer.encode: character "€" is not in the vocabulary/);
  });

  test("another model's run is refused with a clear error", async () => {
    await assert.rejects(gpt.languageModel!({ checkpoint: join(dir, 'missing') }), /no such file or directory/);
    await assert.rejects(gpt.languageModel!({ checkpoint: repoRoot }), /neither model.safetensors nor checkpoint.safetensors/);
    // a translator's settings, then a gpt's settings over a translator's weights
    const other = mkdtempSync(join(tmpdir(), 'deepten-gpt-other-'));
    try {
      writeFileSync(join(other, 'config.json'), JSON.stringify({ model: { dModel: 32 } }));
      writeSafetensors(join(other, 'model.safetensors'), { 'transformer.encoder.layers.0.linear1.weight': { dtype: 'float32', shape: [1], data: new Float32Array(1) } });
      await assert.rejects(gpt.languageModel!({ checkpoint: other }), /config.json: not a gpt run's settings \(no vocab or model.nEmbd\)/);
      writeFileSync(join(other, 'config.json'), readFileSync(join(dir, 'config.json')));
      await assert.rejects(gpt.languageModel!({ checkpoint: other }), /model.safetensors: holds no GPT weights \(its tensors are transformer.encoder.layers.0.linear1.weight, …\)/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});

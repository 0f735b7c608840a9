// The translation recipe end to end on a tiny model and a slice of Multi30k (skipped without the data): the run
// directory, per-epoch validation, test BLEU, `deepten eval`, `deepten translate` (unknown words, the attention
// PNG) and clear errors for bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainTranslation, evaluateTranslation, loadTranslator, translate, tokenizeInput } from '../../src/train/translation.ts';
import { translateCommand } from '../../src/cli/translate.ts';
import { UsageError } from '../../src/util/flags.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const skip = existsSync(join(dataDir, 'multi30k', 'tok', 'train.lc.norm.tok.de')) ? false : `no Multi30k under ${dataDir}`;

const tiny = {
  trainLimit: '300', validLimit: '30', testLimit: '20', beamWidth: '2', decodeMaxLen: '12',
  'model.dModel': '32', 'model.nhead': '2', 'model.dimFeedforward': '32', 'model.numEncoderLayers': '1', 'model.numDecoderLayers': '1',
};

function capture() {
  let text = '';
  return { out: { write: (s: string) => { text += s; return true; } }, text: () => text };
}

describe('transformer recipe', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-transformer-'));
  let summary: Record<string, any>;

  test('a tiny 2-epoch run: run directory, validation each epoch, the best epoch kept, test BLEU', async () => {
    summary = await trainTranslation({ out: dir, overwrite: true, epochs: 2, batchSize: 50, dataDir, set: tiny });
    for (const f of ['config.json', 'vocab.json', 'metrics.jsonl', 'checkpoint.safetensors', 'best.safetensors', 'model.safetensors', 'summary.json', 'test-greedy.txt', 'test-beam.txt']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.equal(summary.model, 'transformer');
    assert.equal(summary.metric, 'test_bleu_greedy');
    assert.equal(summary.steps, 12);
    for (const k of ['value', 'testBleuBeam', 'testLoss', 'testPerplexity', 'bestValidLoss']) assert.ok(Number.isFinite(summary[k]), `${k} = ${summary[k]}`);
    const evals = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.validLoss !== undefined);
    assert.equal(evals.length, 2);
    assert.ok(evals[1].validLoss < evals[0].validLoss, `validation loss fell: ${evals.map((e) => e.validLoss)}`);
    assert.equal(summary.bestEpoch, 2);
    assert.equal(readFileSync(join(dir, 'test-greedy.txt'), 'utf8').trim().split('\n').length, 20);
  });

  test('deepten eval transformer recomputes the test numbers from the saved model', async () => {
    const m = await evaluateTranslation({ checkpoint: dir, dataDir });
    assert.ok(Math.abs(m.test_loss - summary.testLoss) < 1e-5, `eval ${m.test_loss}, training run ${summary.testLoss}`);
    assert.ok(Math.abs(m.test_bleu_greedy - summary.value) < 1e-9, 'the same greedy BLEU');
    for (const k of ['test_loss', 'test_perplexity', 'test_bleu_greedy', 'test_bleu_beam']) assert.ok(Number.isFinite(m[k]), k);
  });

  test('deepten translate: a translation line, unknown words reported, the cross-attention PNG', async () => {
    const c = capture();
    const png = join(dir, 'attention.png');
    await translateCommand(['--checkpoint', dir, 'Ein Mann fährt Xylophonrad.', '--attention', png], c.out);
    const lines = c.text().trim().split('\n');
    assert.match(lines[1], /^\(unknown words, read as <unk>: xylophonrad\)$/);
    assert.equal(lines[2], `wrote ${png}`);
    assert.deepEqual([...readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
    const beam = capture();
    await translateCommand(['--checkpoint', dir, '--beam', '3', 'ein hund .'], beam.out);
    assert.equal(beam.text().trim().split('\n').length, 1);
    assert.deepEqual(tokenizeInput('Ein Mann, der läuft!'), ['ein', 'mann', ',', 'der', 'läuft', '!']);
  });

  test('bad input: an empty sentence, one longer than the position table, another model\'s run, missing flags', async () => {
    const t = loadTranslator(dir);
    assert.throws(() => translate(t, '   '), /translate: the sentence is empty/);
    assert.throws(() => translate(t, 'ein '.repeat(101)), /translate: the sentence has 101 tokens; the model's position table holds 100/);
    await assert.rejects(translateCommand(['--checkpoint', dir], capture().out), UsageError);
    await assert.rejects(translateCommand(['ein hund'], capture().out), /--checkpoint RUN is required/);
    await assert.rejects(translateCommand(['--checkpoint', join(dir, 'nope'), 'x'], capture().out), /no such file or directory/);
    await assert.rejects(translateCommand(['--checkpoint', repoRoot, 'x'], capture().out), /neither model.safetensors nor checkpoint.safetensors/);
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});

// The lstm recipe end to end on tiny corpora: a PTB slice trains and its perplexity falls; the perplexity arithmetic on
// a hand example; windows of the token stream; a stopped run resumes bit-identically (the carried state included);
// eval on the dataset and on any text file (out-of-vocabulary words mapped and counted); `deepten sample` (the same
// seed gives the same text, greedy ignores the seed, an unknown prompt character is named); and bad input — an empty or
// missing corpus file, a word corpus given to the character recipe, a missing --data-dir — gives a one-line error and
// leaves no run directory behind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/index.ts';
import { trainLstm, evaluateLstm, lrFactor, LSTM_PRESETS } from '../../src/train/recipes/lstm.ts';
import { StreamBatches, evaluateStream, perplexity, textCodec, loadVocab } from '../../src/train/lm.ts';
import { LstmLanguageModel } from '../../src/models/lstm.ts';
import { sample } from '../../src/cli/sample.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataRoot = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const ptbDir = join(dataRoot, 'ptb');
const noPtb = existsSync(join(ptbDir, 'ptb.train.txt')) ? false : `PTB not found in ${ptbDir}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-lstm-'));
const tiny = { hiddenSize: '16', embedSize: '16', numLayers: '1', batchSize: '4', numSteps: '5', evalBatchSize: '2', testBatchSize: '1' };

/** A small word corpus in PTB's format: a few sentence patterns, so a tiny model can learn it. */
function wordCorpus(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const subj = ['the cat', 'a dog', 'the bird'], verb = ['sat on', 'ran to', 'looked at'], obj = ['the mat', 'a tree', 'the house'];
  const line = (i: number) => `${subj[i % 3]} ${verb[(i >> 1) % 3]} ${obj[(i >> 2) % 3]}`;
  writeFileSync(join(dir, 'train.txt'), Array.from({ length: 120 }, (_, i) => line(i)).join('\n') + '\n');
  writeFileSync(join(dir, 'valid.txt'), Array.from({ length: 20 }, (_, i) => line(i + 7)).join('\n') + '\n');
  writeFileSync(join(dir, 'test.txt'), Array.from({ length: 20 }, (_, i) => line(i + 3)).join('\n') + '\n');
  return dir;
}

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/deepten.mjs', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function capture() {
  let text = '';
  return { out: { write: (s: string) => { text += s; return true; } }, text: () => text };
}

describe('language-model arithmetic', () => {
  test('perplexity on a hand example: p = ½, ¼, ⅛ for the three predicted tokens gives exp(mean −log p) = 4', () => {
    // constant logits log p over a vocabulary of 4 (decoder weight 0, bias log p): every position predicts p
    const p = [1 / 2, 1 / 4, 1 / 8, 1 / 8];
    const m = new LstmLanguageModel({ vocabSize: 4, embedSize: 2, hiddenSize: 3, numLayers: 1, dropout: 0, tieWeights: false, initRange: 0.1 });
    m.decoder.weight.data.fill(0);
    m.decoder.bias!.data.set(p.map(Math.log));
    const r = evaluateStream(m, Int32Array.of(0, 0, 1, 2), 1, 2);
    assert.equal(r.tokens, 3);
    assert.ok(Math.abs(r.loss - (Math.log(2) + Math.log(4) + Math.log(8)) / 3) < 1e-6, `loss ${r.loss}`);
    assert.ok(Math.abs(perplexity(r.loss) - 4) < 1e-5, `perplexity ${perplexity(r.loss)}`);
  });

  test('StreamBatches: B contiguous streams, windows of T with the next tokens as targets', () => {
    const ids = Int32Array.from({ length: 23 }, (_, i) => i);
    const s = new StreamBatches(ids, 2, 4); // streams 0…10 and 11…21 (22 dropped)
    assert.equal(s.batchLen, 11);
    assert.equal(s.fullWindows, 2);
    assert.equal(s.allWindows, 3);
    const [x, y] = s.window(1);
    assert.deepEqual(x.shape, [4, 2]);
    assert.deepEqual(x.toArray(), [4, 15, 5, 16, 6, 17, 7, 18]);
    assert.deepEqual(y.toArray(), [5, 16, 6, 17, 7, 18, 8, 19]);
    assert.deepEqual(s.window(2)[0].toArray(), [8, 19, 9, 20], 'the last window is shorter');
    assert.throws(() => new StreamBatches(ids, 12, 4), /23 tokens are too few for 12 streams/);
  });

  test('the lr schedules: small halves from epoch 5 on, medium ÷1.2 from epoch 7', () => {
    assert.deepEqual([0, 3, 4, 5, 12].map((e) => lrFactor(LSTM_PRESETS.small, e)), [1, 1, 0.5, 0.25, 1 / 512]);
    assert.ok(Math.abs(lrFactor(LSTM_PRESETS.medium, 6) - 1 / 1.2) < 1e-12);
    assert.equal(lrFactor(LSTM_PRESETS.medium, 5), 1);
  });

  test('text codecs: words map unknowns to <unk> and line breaks to <eos>; characters name an unknown one', () => {
    const w = textCodec({ kind: 'word', tokens: ['<unk>', 'the', 'cat', '<eos>'] });
    assert.deepEqual([...w.encode('the dog\ncat')], [1, 0, 3, 2]);
    assert.equal(w.decode(Int32Array.of(1, 2, 3, 1)), 'the cat\nthe');
    const c = textCodec({ kind: 'char', tokens: ['\n', 'a', 'b'] });
    assert.deepEqual([...c.encode('ab\na')], [1, 2, 0, 1]);
    assert.throws(() => c.encode('abz'), /character "z" \(U\+007A\) is not in the model's vocabulary of 3 characters/);
  });
});

describe('lstm recipe', () => {
  test('a tiny PTB slice trains and its validation perplexity falls', { skip: noPtb }, async () => {
    const dir = tmp();
    try {
      // the first 400 sentences of PTB's training split; 60 of its validation split
      const lines = (f: string, n: number) => readFileSync(join(ptbDir, f), 'utf8').split('\n').slice(0, n).join('\n') + '\n';
      const corpus = join(dir, 'corpus');
      mkdirSync(corpus);
      writeFileSync(join(corpus, 'train.txt'), lines('ptb.train.txt', 400));
      writeFileSync(join(corpus, 'valid.txt'), lines('ptb.valid.txt', 60));
      writeFileSync(join(corpus, 'test.txt'), lines('ptb.test.txt', 60));
      const s = await trainLstm({ out: join(dir, 'run'), dataset: 'text', dataDir: corpus, epochs: 4, set: { ...tiny, hiddenSize: '32', embedSize: '32', batchSize: '8', numSteps: '10', evalBatchSize: '4' } });
      const V = loadVocab(join(dir, 'run', 'vocab.json')).tokens.length;
      const evals = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'validPpl' in l);
      assert.equal(evals.length, 4);
      const ppl = evals.map((e) => e.validPpl);
      // untrained, the model is near uniform (perplexity ≈ V); four epochs take it far below, and each epoch helps
      assert.ok(ppl[3] < V / 4 && ppl[3] < ppl[0], `validation perplexity by epoch ${ppl.map((p: number) => p.toFixed(0))} (V = ${V})`);
      assert.equal(s.metric, 'test_perplexity');
      assert.ok(Number.isFinite(s.value) && s.value < V / 4);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test('a stopped run resumes bit-identically (weights, optimizer, carried state); eval on the data and on any text', async () => {
    const dir = tmp();
    try {
      const corpus = wordCorpus(join(dir, 'corpus'));
      const set = { ...tiny, lr: '0.5' };
      await trainLstm({ out: join(dir, 'a'), dataset: 'text', dataDir: corpus, epochs: 2, set });
      await trainLstm({ out: join(dir, 'b'), dataset: 'text', dataDir: corpus, epochs: 2, maxSteps: 7, set }); // mid-epoch
      await trainLstm({ resume: join(dir, 'b'), dataDir: corpus, maxSteps: 0 });
      assert.ok(readFileSync(join(dir, 'a', 'model.safetensors')).equals(readFileSync(join(dir, 'b', 'model.safetensors'))), 'resumed weights differ');
      const lines = (d: string) => readFileSync(join(dir, d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const key = (l: Record<string, unknown>) => `${l.step} ${Object.keys(l).sort().join(',')}`;
      const b = lines('b').map(key);
      assert.equal(new Set(b).size, b.length, 'metrics lines without duplicates');
      // the same lines as the uninterrupted run, plus the log and evaluation where the first session stopped
      assert.deepEqual(lines('b').filter((l) => l.step !== 7).map(key), lines('a').map(key));

      const m = await evaluateLstm({ checkpoint: join(dir, 'a'), dataDir: corpus });
      assert.ok(m.test_perplexity > 1 && m.test_perplexity < 20, JSON.stringify(m));
      writeFileSync(join(dir, 'other.txt'), 'the cat sat on the zebra\na unicorn ran to the house\n');
      const t = await evaluateLstm({ checkpoint: join(dir, 'a', 'model.safetensors'), text: join(dir, 'other.txt') });
      assert.equal(t.unknownMapped, 2, 'zebra and unicorn');
      assert.equal(t.tokens, 13, '12 words and 2 <eos>, less the first token');
      writeFileSync(join(dir, 'empty.txt'), '\n\n');
      await assert.rejects(evaluateLstm({ checkpoint: join(dir, 'a'), text: join(dir, 'empty.txt') }), /holds no words/);
      const r = cli(['eval', 'lstm', '--checkpoint', join(dir, 'a'), '--text', join(dir, 'other.txt')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /lstm: 2 of 12 words in .*other\.txt are not in the vocabulary and were mapped to <unk>/);
      assert.equal(JSON.parse(r.stdout).unknownMapped, 2);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test('deepten sample: seeded, greedy, top-k; the model found from the run; unknown prompt characters named', async () => {
    const dir = tmp();
    try {
      const chars = join(dir, 'chars');
      mkdirSync(chars);
      writeFileSync(join(chars, 'input.txt'), 'to be or not to be, that is the question.\n'.repeat(40));
      const run = join(dir, 'run');
      await trainLstm({ out: run, dataset: 'tinyshakespeare', dataDir: chars, epochs: 2, set: { ...tiny, numSteps: '20', lr: '0.01' } });
      const text = async (args: string[]) => { const c = capture(); assert.equal(await sample(['--checkpoint', run, ...args], c.out), 0); return c.text(); };
      const a = await text(['--prompt', 'to be', '--length', '60', '--seed', '3']);
      assert.ok(a.startsWith('to be') && a.length === 'to be'.length + 60 + 1, JSON.stringify(a));
      assert.equal(await text(['--prompt', 'to be', '--length', '60', '--seed', '3']), a, 'the same seed, the same text');
      assert.notEqual(await text(['--prompt', 'to be', '--length', '60', '--seed', '4']), a);
      const g1 = await text(['--prompt', 'to', '--length', '30', '--temperature', '0', '--seed', '1']);
      assert.equal(await text(['--prompt', 'to', '--length', '30', '--temperature', '0', '--seed', '2']), g1, 'greedy ignores the seed');
      await text(['--prompt', 'to', '--length', '30', '--top-k', '3', '--top-p', '0.9']);
      const noPrompt = await text(['--length', '10']);
      assert.equal(noPrompt.length, 11, 'no prompt: starts from the model\'s start token');
      await assert.rejects(sample(['--checkpoint', run, '--prompt', 'to bZ'], capture().out), /character "Z" \(U\+005A\) is not in the model's vocabulary of \d+ characters/);
      const r = cli(['sample', '--checkpoint', run, '--prompt', 'xq']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /deepten: sample: --prompt: character "x" \(U\+0078\)/);
      await assert.rejects(sample(['--checkpoint', run, '--top-k', '-1'], capture().out), /topK must be a non-negative integer/);
      await assert.rejects(sample(['mlp', '--checkpoint', run], capture().out), /'mlp' is not a language model; one of lstm/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test('bad input: one-line errors, and no run directory left behind', () => {
    const dir = tmp();
    try {
      const corpus = wordCorpus(join(dir, 'corpus'));
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      for (const f of ['train.txt', 'valid.txt', 'test.txt']) writeFileSync(join(empty, f), f === 'train.txt' ? '' : 'a b\n');
      const missing = join(dir, 'missing');
      mkdirSync(missing);
      writeFileSync(join(missing, 'train.txt'), 'a b\n');
      const cases: [string[], RegExp][] = [
        [['--dataset', 'text', '--data-dir', empty], /text corpus: .*train\.txt holds no words/],
        [['--dataset', 'text', '--data-dir', missing], /text corpus: .*valid\.txt, .*test\.txt not found \(a corpus needs train\.txt, valid\.txt and test\.txt\)/],
        [['--dataset', 'text'], /--dataset text needs --data-dir DIR/],
        [['--dataset', 'tinyshakespeare', '--data-dir', corpus], /tinyshakespeare: .* holds a word corpus \(train\.txt\), not the character corpus input\.txt; train a word model with --dataset text/],
        [['--dataset', 'text', '--data-dir', corpus, '--set', 'size=huge'], /size: unknown value 'huge'; one of small, medium, char/],
        [['--dataset', 'text', '--data-dir', corpus, '--set', 'tieWeights=true,embedSize=100'], /tieWeights needs embedSize = hiddenSize, got 100 and 200/],
        [['--dataset', 'text', '--data-dir', corpus, '--set', 'batchSize=1000'], /makes no window of 20 steps in 1000 streams|too few for 1000 streams/],
      ];
      for (const [args, re] of cases) {
        const out = join(dir, 'run');
        const r = cli(['train', 'lstm', '--out', out, ...args]);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
        assert.ok(!existsSync(out), `${args.join(' ')}: no run directory`);
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

test('a tensor of logits is never needed whole by the stream: only the last position is decoded', () => {
  const m = new LstmLanguageModel({ vocabSize: 5, embedSize: 2, hiddenSize: 3, numLayers: 1, dropout: 0, tieWeights: false, initRange: 0.1 });
  const logits = m.stream().feed(Int32Array.of(1, 2, 3, 4));
  assert.ok(logits instanceof Float32Array && logits.length === 5);
  assert.ok(new Tensor(logits, [5]).toArray().every(Number.isFinite));
});

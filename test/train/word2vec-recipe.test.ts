// The word2vec recipe end to end on a tiny corpus with planted clusters: the run directory (vectors in every format,
// vocab.txt, metrics with words/s and lr), the analogy evaluation, a stopped run resumed to the same vectors as an
// uninterrupted one, `deepten eval`, and clear errors before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { word2vec, chunkSentences, corpusPath, loadWordVectors } from '../../src/train/recipes/word2vec.ts';
import { recipes } from '../../src/train/recipes/index.ts';
import { readVectors } from '../../src/io/word2vec.ts';
import { Generator } from '../../src/random.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'deepten-w2v-recipe-'));

/** A corpus file of 3 clusters × 8 words, and a data folder with an analogy file over its words. */
function fixture(): { dir: string; corpus: string; dataDir: string } {
  const dir = tmp();
  const gen = new Generator(3);
  const lines: string[] = [];
  for (let s = 0; s < 300; s++) {
    const k = gen.randint(0, 3);
    lines.push(Array.from({ length: 20 }, () => `c${k}w${gen.randint(0, 8)}`).join(' '));
  }
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, lines.join('\n') + '\n');
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'word2vec'), { recursive: true });
  // "same-cluster" analogies: a and b share a cluster, as do c and d
  writeFileSync(join(dataDir, 'word2vec', 'questions-words.txt'),
    ': clusters\nc0w0 c0w1 c1w0 c1w1\nc1w2 c1w3 c2w2 c2w3\nc2w4 c2w5 c0w4 c0w5\nc0w6 c0w7 zzz c1w1\n: gram-clusters\nc1w5 c1w6 c2w6 c2w7\n');
  return { dir, corpus, dataDir };
}

const tiny = { dim: '16', minCount: '1', sample: '0', threads: '1', chunkWords: '1000', window: '3', vectorFormats: 'bin/txt/safetensors' };

test('word2vec recipe: a tiny run writes vectors, vocab and metrics, evaluates analogies, and deepten eval agrees', async () => {
  const { dir, corpus, dataDir } = fixture();
  const out = join(dir, 'run');
  const s = await word2vec.train({ out, dataset: corpus, dataDir, epochs: 3, set: tiny });
  assert.equal(s.model, 'word2vec');
  assert.equal(s.metric, 'analogy_accuracy');
  assert.equal(s.steps, 3 * 6, '6000 words in chunks of 1000, 3 epochs');
  assert.equal(s.vocabulary, 24);
  assert.equal(s.corpusWords, 6000);
  assert.equal(s.answerable, 4, 'the question with zzz is not answerable');
  assert.equal(s.questions, 5);
  assert.ok((s.wordsPerSecond as number) > 0 && (s.trainSeconds as number) > 0);
  for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoint.safetensors', 'model.safetensors', 'vocab.txt', 'vectors.bin', 'vectors.txt', 'vectors.safetensors']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const bin = readVectors(join(out, 'vectors.bin')), txt = readVectors(join(out, 'vectors.txt')), st = readVectors(join(out, 'vectors.safetensors'));
  assert.equal(bin.words.length, 24);
  assert.deepEqual(txt.words, bin.words);
  assert.deepEqual(Array.from(txt.vectors), Array.from(bin.vectors));
  assert.deepEqual(Array.from(st.vectors), Array.from(bin.vectors));
  assert.equal(readFileSync(join(out, 'vocab.txt'), 'utf8').split('\n')[0].split(' ').length, 2, 'vocab.txt: word count');
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const train = lines.filter((l) => 'loss' in l);
  assert.ok(train.every((l) => l.lr > 0 && l.examplesPerSec > 0), 'words/s and lr logged');
  assert.ok(train[train.length - 1].lr < train[0].lr, 'the learning rate decays');
  assert.ok(lines.some((l) => 'accuracy' in l && 'semantic' in l && 'syntactic' in l));
  assert.ok(s.value >= 0 && s.value <= 1 && Number.isFinite(s.semantic as number) && Number.isFinite(s.syntactic as number));
  // it learned: every word's 3 nearest neighbours are in its cluster
  const wv = loadWordVectors(out);
  for (const w of wv.words) assert.ok(wv.mostSimilar([w], [], 3).every((n) => n.word.slice(0, 2) === w.slice(0, 2)), w);
  const ev = await recipes.word2vec.evaluate({ checkpoint: out, dataDir });
  assert.equal(ev.accuracy, s.value);
  assert.equal(ev.answerable, 4);
});

test('word2vec recipe: a run stopped after some chunks and resumed ends with the same vectors as one uninterrupted run', async () => {
  const { dir, corpus, dataDir } = fixture();
  const whole = await word2vec.train({ out: join(dir, 'whole'), dataset: corpus, dataDir, epochs: 2, set: tiny });
  const part = join(dir, 'part');
  const first = await word2vec.train({ out: part, dataset: corpus, dataDir, epochs: 2, set: { ...tiny, maxSteps: '5' } });
  assert.equal(first.steps, 5);
  const resumed = await word2vec.train({ resume: part, maxSteps: 0, dataDir });
  assert.equal(resumed.steps, whole.steps);
  const a = readVectors(join(dir, 'whole', 'vectors.bin')), b = readVectors(join(part, 'vectors.bin'));
  assert.deepEqual(Array.from(b.vectors), Array.from(a.vectors));
  assert.equal(resumed.value, whole.value);
  // the metrics have each step once
  const steps = readFileSync(join(part, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'loss' in l).map((l) => l.step);
  assert.equal(new Set(steps).size, steps.length);
});

test('word2vec recipe: bad input fails before a run directory is made', async () => {
  const { dir, dataDir } = fixture();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ dataset: join(dir, 'missing.txt') }, /dataset '.*missing\.txt' is neither english_corpus, text8, nor a text file/],
    [{ dataset: 'cora' }, /'cora' is a dataset, but not a text corpus/],
    [{ dataset: writeTo(dir, 'empty.txt', '\n \n') }, /empty\.txt: the corpus is empty/],
    [{ dataset: writeTo(dir, 'short.txt', 'a b a b a b') }, /short\.txt: the corpus has 6 words in the vocabulary, no more than the window \(8\)/],
    [{ dataset: writeTo(dir, 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])) }, /latin1\.txt: not UTF-8 text/],
  ];
  for (const [opts, re] of cases) {
    const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
    await assert.rejects(word2vec.train({ out, dataDir, set: { config: 'cbow', minCount: '1' }, ...opts }), re);
    assert.equal(existsSync(out), false, `nothing written for ${JSON.stringify(opts)}`);
  }
  const corpus = writeTo(dir, 'ok.txt', 'a b c d e f g h i j k '.repeat(5));
  await assert.rejects(word2vec.train({ out: join(dir, 'x'), dataset: corpus, dataDir, set: { config: 'glove' } }), /config must be skipgram or cbow/);
  await assert.rejects(word2vec.train({ out: join(dir, 'x'), dataset: corpus, dataDir, set: { vectorFormats: 'bin/xml' } }), /unknown format 'xml'/);
  await assert.rejects(word2vec.train({ out: join(dir, 'x'), dataset: corpus, dataDir, set: { negative: '0' } }), /one of negative sampling or hierarchical softmax/);
  await assert.rejects(word2vec.train({ out: join(dir, 'x'), dataset: corpus, dataDir, set: { windw: '3' } }), /--set windw=3: no such setting/);
  assert.throws(() => corpusPath('nope'), /neither english_corpus, text8, nor a text file/);
});

function writeTo(dir: string, name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

test('chunks of sentences: about chunkWords words each, every sentence once', () => {
  const starts = Int32Array.from([0, 400, 900, 1000, 1700, 1800, 2500]);
  assert.deepEqual(Array.from(chunkSentences(starts, 1000)), [0, 3, 6]);
  assert.deepEqual(Array.from(chunkSentences(starts, 1)), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(chunkSentences(starts, 1e9)), [0, 6]);
});

test('--threads reaches the recipe\'s threads setting; recipes without one refuse it', async () => {
  const { dir, corpus, dataDir } = fixture();
  // tiny's own threads setting left out: a --set would override the flag
  const { threads: _, ...tinyNoThreads } = tiny;
  const s = await word2vec.train({ out: join(dir, 't'), dataset: corpus, dataDir, epochs: 1, threads: 2, set: tinyNoThreads });
  assert.equal(s.threads, 2);
  await assert.rejects(word2vec.train({ out: join(dir, 'u'), dataset: corpus, dataDir, threads: 999 }), /threads must be an integer in \[0, 256\]/);
  await assert.rejects(recipes.mlp.train({ out: join(dir, 'v'), threads: 2 }), /--threads: this model's recipe has no 'threads' setting/);
});

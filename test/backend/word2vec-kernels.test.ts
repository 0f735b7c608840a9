// The word2vec training kernel (src/backend/kernels/word2vec.ts): the native kernel against the TypeScript one with
// one thread (the same random draws: identical word counts after subsampling, vectors equal up to float rounding),
// for both objectives and both losses; Hogwild threads still learn; bad arguments throw. Skips without the addon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeBackend } from '../../src/backend/native.ts';
import { jsBackend as js } from '../../src/backend/js/index.ts';
import type { Word2VecParams, Word2VecStats } from '../../src/backend/kernels/word2vec.ts';
import { Word2Vec, type Word2VecConfig, skipgramConfig } from '../../src/models/word2vec.ts';
import { tokenizeText } from '../../src/data/word-corpus.ts';
import { Generator } from '../../src/random.ts';

const loaded = loadNative();
const nat = typeof loaded === 'string' ? null : loaded;
const skip = nat ? false : `native backend unavailable: ${loaded as string}`;
const N = (): NativeBackend => nat as NativeBackend;

function corpusText(seed: number, sentences = 40): string {
  const gen = new Generator(seed);
  const lines: string[] = [];
  // a Zipf-like vocabulary of 60 words, so subsampling and the noise table have work to do
  for (let s = 0; s < sentences; s++) {
    lines.push(Array.from({ length: 5 + gen.randint(0, 30) }, () => `w${Math.floor(60 * gen.random() ** 2.5)}`).join(' '));
  }
  return lines.join('\n');
}

function setup(cfg: Partial<Word2VecConfig>) {
  const corpus = tokenizeText(corpusText(4));
  const m = Word2Vec.fromCorpus(corpus, { ...skipgramConfig, dim: 19, window: 4, minCount: 1, epochs: 2, sample: 0.01, seed: 5, ...cfg });
  // non-zero output vectors, so the first epoch already exercises every term
  const gen = new Generator(9);
  for (const p of [m.outputVectors, m.nodeVectors]) if (p) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.3 * gen.normal();
  return { m, data: m.encode(corpus) };
}

function params(m: Word2Vec, epoch: number, last: number, threads = 1): Word2VecParams {
  const c = m.config;
  return {
    sg: c.arch === 'skipgram', dim: c.dim, window: c.window, negative: c.negative, hs: c.hs, lr: c.lr, minLr: c.lr * 1e-4,
    epochs: c.epochs, epoch, first: 0, last, seed: c.seed, threads,
  };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-3): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Number.isFinite(actual[i]), `${what}: element ${i} is ${actual[i]}`);
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + 0.1));
  }
  assert.ok(worst <= tol, `${what}: largest relative difference ${worst}`);
}

const cases: [string, Partial<Word2VecConfig>][] = [
  ['skip-gram, negative sampling', { arch: 'skipgram', negative: 5, hs: false }],
  ['skip-gram, hierarchical softmax', { arch: 'skipgram', negative: 0, hs: true }],
  ['CBOW, negative sampling', { arch: 'cbow', negative: 7, hs: false, lr: 0.05 }],
  ['CBOW, both losses', { arch: 'cbow', negative: 3, hs: true, lr: 0.05 }],
];

for (const [name, cfg] of cases) {
  test(`native = TypeScript with one thread: ${name}`, { skip }, () => {
    const a = setup(cfg), b = setup(cfg);
    const S = a.data.sentenceStarts.length - 1;
    for (let epoch = 0; epoch < 2; epoch++) {
      const sa: Word2VecStats = { words: 0, kept: 0, loss: 0, terms: 0 }, sb = { ...sa };
      const arr = (m: Word2Vec) => [m.inputVectors.data as Float32Array, (m.outputVectors?.data ?? null) as Float32Array | null, (m.nodeVectors?.data ?? null) as Float32Array | null] as const;
      js.word2vecTrain(...arr(a.m), a.data, a.m.tables, params(a.m, epoch, S), sa);
      N().word2vecTrain(...arr(b.m), b.data, b.m.tables, params(b.m, epoch, S), sb);
      // the same subsampling draws and the same number of terms: the random streams agree
      assert.equal(sb.words, sa.words);
      assert.equal(sb.kept, sa.kept);
      assert.ok(sa.kept < sa.words, 'subsampling dropped some words');
      assert.equal(sb.terms, sa.terms);
      assert.ok(Math.abs(sb.loss - sa.loss) <= 1e-3 * sa.loss, `loss ${sb.loss} vs ${sa.loss}`);
    }
    close(b.m.inputVectors.data, a.m.inputVectors.data, 'input vectors');
    if (cfg.negative) close(b.m.outputVectors!.data, a.m.outputVectors!.data, 'output vectors');
    if (cfg.hs) close(b.m.nodeVectors!.data, a.m.nodeVectors!.data, 'node vectors');
  });
}

test('Hogwild: two and three threads train the same words as one and lower the loss', { skip }, () => {
  const corpus = tokenizeText(corpusText(8, 400));
  const losses: number[] = [];
  for (const threads of [1, 2, 3]) {
    const m = Word2Vec.fromCorpus(corpus, { ...skipgramConfig, dim: 24, window: 4, minCount: 1, epochs: 3, sample: 0.01, seed: 2 });
    const data = m.encode(corpus);
    const S = data.sentenceStarts.length - 1;
    let first = 0, last = 0, kept = 0;
    for (let e = 0; e < 3; e++) {
      const st = m.trainSentences(data, e, 0, S, threads);
      if (e === 0) { first = st.loss / st.terms; kept = st.kept; }
      last = st.loss / st.terms;
    }
    if (threads === 1) losses.push(kept);
    else assert.equal(kept, losses[0], 'subsampling draws do not depend on the thread count');
    assert.ok(last < first, `${threads} threads: loss ${first} → ${last}`);
    assert.ok(Array.from(m.inputVectors.data).every(Number.isFinite));
  }
});

test('native: bad arguments throw instead of crashing', { skip }, () => {
  const { m, data } = setup({});
  const p = params(m, 0, data.sentenceStarts.length - 1);
  const inV = m.inputVectors.data as Float32Array, outV = m.outputVectors!.data as Float32Array;
  const stats: Word2VecStats = { words: 0, kept: 0, loss: 0, terms: 0 };
  const badIds = { ids: data.ids.slice(), sentenceStarts: data.sentenceStarts };
  badIds.ids[3] = 1_000_000;
  assert.throws(() => N().word2vecTrain(inV, outV, null, badIds, m.tables, p, stats), /word index 1000000 at position 3 is outside/);
  const badStarts = { ids: data.ids, sentenceStarts: Int32Array.from([0, 5, 3, data.ids.length]) };
  assert.throws(() => N().word2vecTrain(inV, outV, null, badStarts, m.tables, { ...p, last: 3 }, stats), /sentenceStarts is not increasing/);
  assert.throws(() => N().word2vecTrain(inV, null, null, data, m.tables, p, stats), /must be a typed array/);
  const badAlias = { ...m.tables, noiseAlias: m.tables.noiseAlias.map(() => -1) };
  assert.throws(() => N().word2vecTrain(inV, outV, null, data, badAlias, p, stats), /noiseAlias holds an index outside/);
  assert.throws(() => N().word2vecTrain(inV, outV, null, data, m.tables, { ...p, last: 10_000 }, stats), /outside the corpus's/);
});

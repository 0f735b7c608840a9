// The streaming word tokenizer (src/data/word-corpus.ts): tokens, counts, sentences, chunk boundaries, bad bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWordCorpus, tokenizeText, type WordCorpus } from '../../src/data/word-corpus.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');

/** The corpus as nested arrays of words, sentence by sentence. */
function sentences(c: WordCorpus): string[][] {
  const out: string[][] = [];
  for (let s = 0; s + 1 < c.sentenceStarts.length; s++) {
    out.push(Array.from(c.tokens.subarray(c.sentenceStarts[s], c.sentenceStarts[s + 1]), (i) => c.words[i]));
  }
  return out;
}

test('words split on ASCII whitespace, indexed in order of first appearance, with counts; a line is a sentence', () => {
  const c = tokenizeText('the cat  sat\ton the\r\nmat\n\n  the end \n');
  assert.deepEqual(c.words, ['the', 'cat', 'sat', 'on', 'mat', 'end']);
  assert.deepEqual(Array.from(c.counts), [3, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(c.tokens), [0, 1, 2, 3, 0, 4, 0, 5]);
  assert.deepEqual(sentences(c), [['the', 'cat', 'sat', 'on', 'the'], ['mat'], ['the', 'end']]);
});

test('long lines are cut into sentences of maxSentenceLength words', () => {
  const c = tokenizeText('a b c d e f g\nh i', { maxSentenceLength: 3 });
  assert.deepEqual(sentences(c), [['a', 'b', 'c'], ['d', 'e', 'f'], ['g'], ['h', 'i']]);
});

test('chunk boundaries anywhere (inside words, inside UTF-8 characters) give the same corpus', () => {
  const text = 'zürich café naïve über\nthe  café\tüber zürich über\n日本 語 日本\n'.repeat(5);
  const whole = tokenizeText(text, { maxSentenceLength: 4 });
  const dir = mkdtempSync(join(tmpdir(), 'deepten-w2v-'));
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, text);
  for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
    const c = readWordCorpus(file, { chunkBytes, maxSentenceLength: 4 });
    assert.deepEqual(c.words, whole.words, `chunk ${chunkBytes}`);
    assert.deepEqual(Array.from(c.tokens), Array.from(whole.tokens), `chunk ${chunkBytes}`);
    assert.deepEqual(Array.from(c.sentenceStarts), Array.from(whole.sentenceStarts), `chunk ${chunkBytes}`);
  }
  assert.deepEqual(whole.words, ['zürich', 'café', 'naïve', 'über', 'the', '日本', '語']);
});

test('many distinct words (hash table growth) keep their identities', () => {
  const words = Array.from({ length: 20000 }, (_, i) => `w${i.toString(36)}`);
  const c = tokenizeText(words.join(' ') + ' ' + words.slice().reverse().join(' '));
  assert.deepEqual(c.words, words);
  assert.ok(Array.from(c.counts).every((n) => n === 2));
  assert.equal(c.tokens[20000], 19999);
});

test('bad input: non-UTF-8 bytes name the offset; an empty or missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-w2v-'));
  const bad = join(dir, 'latin1.txt');
  writeFileSync(bad, Buffer.concat([Buffer.from('hello world caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
  assert.throws(() => readWordCorpus(bad), (e: Error) => /latin1\.txt: not UTF-8 text: invalid byte sequence near byte offset 15 \(0xe9\)/.test(e.message));
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, ' \n\n ');
  const c = readWordCorpus(empty);
  assert.equal(c.tokens.length, 0);
  assert.equal(c.sentenceStarts.length, 1);
  assert.throws(() => readWordCorpus(join(dir, 'nope.txt')), /nope\.txt: cannot read the corpus/);
  assert.throws(() => readWordCorpus(dir), /cannot read the corpus: not a regular file/);
});

test('the shipped English corpus: 3,899,722 words, 72,327 distinct, 28,195 seen at least 5 times', { skip: !existsSync(join(dataDir, 'english_corpus')) }, () => {
  const c = readWordCorpus(join(dataDir, 'english_corpus', 'nltk_mix8.txt'));
  assert.equal(c.tokens.length, 3_899_722);
  assert.equal(c.words.length, 72_327);
  assert.equal(Array.from(c.counts).filter((n) => n >= 5).length, 28_195);
  // one line: sentences of 10,000 words
  assert.equal(c.sentenceStarts.length - 1, Math.ceil(3_899_722 / 10_000));
});

// `deepten similar` and `deepten analogy` (src/cli/vectors.ts) on the gensim-written fixture vectors: answers and
// similarities equal gensim's most_similar, -n, --restrict, a run directory, and the out-of-vocabulary message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { similar, analogy } from '../../src/cli/vectors.ts';
import { main } from '../../src/cli/main.ts';
import { UsageError } from '../../src/util/flags.ts';
import { OutOfVocabularyError } from '../../src/models/word-vectors.ts';

const fx = fileURLToPath(new URL('../fixtures/word2vec/', import.meta.url));
const gensim = JSON.parse(readFileSync(join(fx, 'gensim.json'), 'utf8')) as {
  most_similar: Record<string, [string, number][]>; analogy_man_woman_king: [string, number][];
};

function capture() {
  let text = '';
  return { out: { write: (s: string) => { text += s; return true; } }, text: () => text };
}

/** The table rows: [word, similarity]. */
function rows(text: string): [string, number][] {
  return text.trim().split('\n').slice(1).map((l) => { const p = l.trim().split(/\s+/); return [p[1], Number(p[2])]; });
}

test('similar: the nearest words and cosines of gensim\'s most_similar, for text and binary files', () => {
  for (const file of ['gensim.txt', 'gensim.bin']) {
    for (const word of ['king', 'café', 'big']) {
      const c = capture();
      assert.equal(similar([join(fx, file), word, '-n', '5'], c.out), 0);
      assert.match(c.text(), new RegExp(`^nearest to '${word}' in .*${file} \\(31 words, 8 dimensions\\):`));
      const got = rows(c.text()), want = gensim.most_similar[word];
      assert.deepEqual(got.map((r) => r[0]), want.map((r) => r[0]), `${file} ${word}`);
      got.forEach((r, i) => assert.ok(Math.abs(r[1] - want[i][1]) < 1e-4, `${word}: ${r[1]} vs ${want[i][1]}`));
    }
  }
});

test('analogy: man is to woman as king is to queen, as gensim answers; --restrict limits the answers', () => {
  const c = capture();
  assert.equal(analogy([join(fx, 'gensim.bin'), 'man', 'woman', 'king', '-n', '3'], c.out), 0);
  assert.match(c.text(), /^'man' is to 'woman' as 'king' is to \?/);
  const got = rows(c.text());
  assert.deepEqual(got.map((r) => r[0]), gensim.analogy_man_woman_king.map((r) => r[0]));
  got.forEach((r, i) => assert.ok(Math.abs(r[1] - gensim.analogy_man_woman_king[i][1]) < 1e-4));
  // queen is the 3rd word of the file: with the 2 most frequent words only, it cannot be the answer
  const r = capture();
  analogy([join(fx, 'gensim.bin'), 'man', 'woman', 'king', '--restrict', '2'], r.out);
  assert.deepEqual(rows(r.text()).map((x) => x[0]), ['the']);
});

test('a run directory works as VECTORS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepten-cli-vec-'));
  copyFileSync(join(fx, 'gensim.bin'), join(dir, 'vectors.bin'));
  const c = capture();
  similar([dir, 'king', '-n', '1'], c.out);
  assert.equal(rows(c.text())[0][0], gensim.most_similar.king[0][0]);
  assert.throws(() => similar([mkdtempSync(join(tmpdir(), 'deepten-empty-')), 'king']), /holds no vectors\.bin, vectors\.txt or vectors\.safetensors/);
});

test('a word outside the vocabulary: a message that says so (and why), exit code 1 from the CLI', async () => {
  assert.throws(() => similar([join(fx, 'gensim.txt'), 'unicorn'], capture().out), (e: Error) =>
    e instanceof OutOfVocabularyError && /'unicorn' is not in the vocabulary of .*gensim\.txt \(31 words\): word2vec has no vector for a word it never saw/.test(e.message));
  assert.throws(() => analogy([join(fx, 'gensim.txt'), 'man', 'unicorn', 'pegasus'], capture().out), /'unicorn', 'pegasus' are not in the vocabulary/);
  const err: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => { err.push(s); return true; }) as typeof process.stderr.write;
  try {
    assert.equal(await main(['similar', join(fx, 'gensim.txt'), 'unicorn']), 1);
    assert.equal(await main(['analogy', join(fx, 'gensim.txt'), 'man', 'woman']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err[0], /^deepten: 'unicorn' is not in the vocabulary/);
  assert.match(err[1], /analogy: expected VECTORS A B C, got 3 arguments/);
  assert.throws(() => similar([join(fx, 'gensim.txt'), 'king', '-n', '0']), UsageError);
  assert.throws(() => similar([join(fx, 'missing.bin'), 'king']), /missing\.bin: no such file or directory/);
});

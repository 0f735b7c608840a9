// Corpus BLEU against NLTK 3.8's corpus_bleu on stored fixtures (random corpora, several references, and the edge
// cases: empty hypotheses, hypotheses shorter than 4 tokens, the brevity penalty, no matches), and bad input.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corpusBleu } from '../../src/eval/bleu.ts';

interface BleuCase { name: string; references: string[][][]; hypotheses: string[][]; bleu: number; counts: [number, number][] }
const cases: BleuCase[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/bleu.json', import.meta.url)), 'utf8')).cases;

describe('corpusBleu equals NLTK corpus_bleu', () => {
  test('fixtures present', () => assert.equal(cases.length, 14));
  for (const c of cases) {
    test(c.name, () => {
      const r = corpusBleu(c.references, c.hypotheses);
      assert.deepEqual(r.matches.map((m, i) => [m, r.totals[i]]), c.counts, 'clipped matches and n-gram totals per order');
      // NLTK's unsmoothed zero precision gives ~1e-77 instead of 0
      assert.ok(Math.abs(r.bleu - c.bleu) <= 1e-12, `BLEU ${r.bleu}, NLTK ${c.bleu}`);
    });
  }
  test('the brevity penalty and lengths are reported', () => {
    const r = corpusBleu([[['a', 'b', 'c', 'd', 'e', 'f']]], [['a', 'b', 'c', 'd']]);
    assert.equal(r.hypLength, 4);
    assert.equal(r.refLength, 6);
    assert.ok(Math.abs(r.brevityPenalty - Math.exp(1 - 6 / 4)) < 1e-15);
    assert.ok(Math.abs(r.bleu - r.brevityPenalty) < 1e-15, 'all precisions 1');
  });
});

test('corpusBleu: bad input is a clear error', () => {
  assert.throws(() => corpusBleu([[['a']]], [['a'], ['b']]), /corpusBleu: 2 hypotheses but 1 reference lists/);
  assert.throws(() => corpusBleu([[]], [['a']]), /corpusBleu: hypothesis 0 has no reference/);
  assert.throws(() => corpusBleu([[['a']]], [['a']], 0), /corpusBleu: maxOrder must be a positive integer, got 0/);
});

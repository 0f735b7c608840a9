// Analogy accuracy as compute-accuracy computes it (src/train/analogies.ts): a hand-worked example, a direct
// transcription of compute-accuracy's loops on random vectors, and gensim's evaluate_word_analogies on the fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WordVectors } from '../../src/models/word-vectors.ts';
import { evaluateAnalogies, foldCase, formatAnalogyReport } from '../../src/train/analogies.ts';
import { parseAnalogies, type AnalogySection } from '../../src/data/text.ts';
import { readVectors } from '../../src/io/word2vec.ts';
import { Generator } from '../../src/random.ts';

const fx = fileURLToPath(new URL('../fixtures/word2vec/', import.meta.url));

/** Unit vectors at these angles (degrees) in the plane. */
function planar(words: [string, number][]): WordVectors {
  const v = new Float32Array(words.length * 2);
  words.forEach(([, deg], i) => { v[2 * i] = Math.cos((deg * Math.PI) / 180); v[2 * i + 1] = Math.sin((deg * Math.PI) / 180); });
  return new WordVectors(words.map((w) => w[0]), v, 2);
}

test('a hand-worked example: 3CosAdd, question words excluded, case folded, unanswerable questions, the vocabulary cut', () => {
  // most frequent first
  const wv = planar([['man', 0], ['woman', 40], ['king', 90], ['queen', 130], ['apple', 200], ['pear', 210], ['car', 300]]);
  const sections = parseAnalogies(`: family
man woman king queen
king queen man woman
man woman king tokyo
: gram-fruit
apple pear man woman
MAN Woman APPLE Pear
`);
  // b − a + c points at 98° (queen at 130° is nearest: right), 327° (car at 300°: wrong, woman expected),
  // 352° (woman at 40° beats car at 300° by 3°: right) and 166° (queen at 130° beats pear at 210°: wrong)
  const r = evaluateAnalogies(wv, sections);
  assert.deepEqual(r.sections.map((s) => [s.name, s.semantic, s.correct, s.answerable, s.questions]),
    [['family', true, 1, 2, 3], ['gram-fruit', false, 1, 2, 2]]);
  assert.deepEqual([r.total.correct, r.total.answerable, r.total.questions, r.total.accuracy], [2, 4, 5, 0.5]);
  assert.equal(r.semantic.accuracy, 0.5);
  assert.equal(r.syntactic.accuracy, 0.5);
  // keep the 6 most frequent words: car is gone, so question 2's best is now woman (right)
  const cut = evaluateAnalogies(wv, sections, { restrict: 6 });
  assert.deepEqual(cut.sections.map((s) => [s.correct, s.answerable]), [[2, 2], [1, 2]]);
  assert.equal(cut.restrict, 6);
  assert.match(formatAnalogyReport(cut), /total 75\.00% \(3\/4\), semantic 100\.00% \(2\/2\), syntactic 50\.00% \(1\/2\); 4 of 5 questions answerable in the 6 most frequent words/);
  assert.equal(foldCase('Zürich straße'), 'ZüRICH STRAßE', 'ASCII letters only, as C toupper');
});

/** compute-accuracy.c's loops, transcribed: unit rows, vec = b − a + c, best dot > 0 over rows ∉ {a, b, c}. */
function computeAccuracy(wv: WordVectors, sections: AnalogySection[], threshold: number): [number, number][] {
  const W = Math.min(threshold, wv.size), D = wv.dim;
  const vocab = wv.words.slice(0, W).map(foldCase);
  const M = wv.unitVectors();
  return sections.map((sec) => {
    let correct = 0, seen = 0;
    for (const q of sec.questions) {
      const [b1, b2, b3, b4] = q.map((w) => vocab.indexOf(foldCase(w)));
      if (b1 < 0 || b2 < 0 || b3 < 0 || b4 < 0) continue;
      let bestd = 0, bestw = '';
      for (let c = 0; c < W; c++) {
        if (c === b1 || c === b2 || c === b3) continue;
        let dist = 0;
        for (let a = 0; a < D; a++) dist += (M[b2 * D + a] - M[b1 * D + a] + M[b3 * D + a]) * M[c * D + a];
        if (dist > bestd) { bestd = dist; bestw = vocab[c]; }
      }
      if (bestw === foldCase(q[3])) correct++;
      seen++;
    }
    return [correct, seen];
  });
}

test('the batched evaluation equals compute-accuracy\'s loops on random vectors (with a vocabulary cut)', () => {
  const gen = new Generator(12);
  const V = 300, D = 6;
  const words = Array.from({ length: V }, (_, i) => (i % 7 === 0 ? `W${i}` : `w${i}`));
  const vectors = Float32Array.from({ length: V * D }, () => gen.normal());
  const wv = new WordVectors(words, vectors, D);
  const pick = () => `w${gen.randint(0, V + 20)}`;
  const sections: AnalogySection[] = ['capital', 'gram1-x', 'gram2-y'].map((name, k) => ({
    name, semantic: k === 0, questions: Array.from({ length: 150 }, () => [pick(), pick(), pick(), pick()] as [string, string, string, string]),
  }));
  for (const threshold of [250, 30_000]) {
    const ours = evaluateAnalogies(wv, sections, { restrict: threshold });
    const ref = computeAccuracy(wv, sections, threshold);
    assert.deepEqual(ours.sections.map((s) => [s.correct, s.answerable]), ref, `threshold ${threshold}`);
    assert.ok(ref.some(([c]) => c > 0) && ref.every(([c, n]) => c < n), 'some right, some wrong');
  }
});

test('agrees with gensim\'s evaluate_word_analogies on the fixture vectors (30,000 words, case-insensitive)', () => {
  const g = JSON.parse(readFileSync(join(fx, 'gensim.json'), 'utf8')) as { evaluation: { score: number; sections: { section: string; correct: unknown[]; incorrect: unknown[] }[] } };
  const v = readVectors(join(fx, 'gensim.txt'));
  const wv = new WordVectors(v.words, v.vectors, v.dim);
  const r = evaluateAnalogies(wv, parseAnalogies(readFileSync(join(fx, 'analogies.txt'), 'utf8')));
  const gs = g.evaluation.sections.filter((s) => s.section !== 'Total accuracy');
  assert.deepEqual(r.sections.map((s) => [s.name, s.correct, s.answerable]), gs.map((s) => [s.section, s.correct.length, s.correct.length + s.incorrect.length]));
  assert.ok(Math.abs(r.total.accuracy - g.evaluation.score) < 1e-12);
  assert.ok(r.total.correct < r.total.answerable && r.total.answerable < r.total.questions, 'right, wrong and unanswerable questions');
});

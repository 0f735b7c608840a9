// Word-analogy accuracy as the C tool's compute-accuracy measures it (Mikolov et al. 2013, the Google analogy set):
//   - the vocabulary is cut to the `restrict` most frequent words (30,000), which are upper-cased (ASCII letters,
//     C's toupper) like the questions;
//   - a question "a b c d" is answerable when all four words are in that vocabulary;
//   - the answer is the 3CosAdd argmax of cos(x, b − a + c) over unit vectors, x ∉ {a, b, c}; it is correct when it
//     spells d;
//   - accuracy = correct / answerable, per section, over the semantic sections (the first five), the syntactic
//     ones, and in total.
import type { AnalogySection } from '../data/text.ts';
import type { WordVectors } from '../models/word-vectors.ts';

export interface AnalogyScore {
  correct: number;
  answerable: number;
  /** Questions, answerable or not. */
  questions: number;
  /** correct / answerable (NaN when nothing is answerable). */
  accuracy: number;
}

export interface AnalogyReport {
  sections: (AnalogyScore & { name: string; semantic: boolean })[];
  semantic: AnalogyScore;
  syntactic: AnalogyScore;
  total: AnalogyScore;
  /** The vocabulary size the questions were answered over. */
  restrict: number;
}

/** Upper-cases ASCII letters only, as C's toupper in the C locale. */
export const foldCase = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

function score(correct: number, answerable: number, questions: number): AnalogyScore {
  return { correct, answerable, questions, accuracy: answerable ? correct / answerable : NaN };
}

export function evaluateAnalogies(wv: WordVectors, sections: AnalogySection[], opts: { restrict?: number } = {}): AnalogyReport {
  const restrict = Math.min(opts.restrict ?? 30_000, wv.size);
  const rowOf = new Map<string, number>();
  const folded: string[] = [];
  for (let i = 0; i < restrict; i++) {
    const f = foldCase(wv.words[i]);
    folded.push(f);
    if (!rowOf.has(f)) rowOf.set(f, i);
  }
  // every answerable question as (a, b, c) rows, answered in one batch
  const queries: number[] = [];
  const expected: string[] = [];
  const sectionOf: number[] = [];
  const counts = sections.map(() => ({ answerable: 0, questions: 0, correct: 0 }));
  sections.forEach((sec, k) => {
    for (const q of sec.questions) {
      counts[k].questions++;
      const [a, b, c, d] = q.map(foldCase);
      const ra = rowOf.get(a), rb = rowOf.get(b), rc = rowOf.get(c);
      if (ra === undefined || rb === undefined || rc === undefined || !rowOf.has(d)) continue;
      counts[k].answerable++;
      queries.push(ra, rb, rc);
      expected.push(d);
      sectionOf.push(k);
    }
  });
  const answers = wv.answerAnalogies(Int32Array.from(queries), restrict);
  answers.forEach((row, i) => { if (row >= 0 && folded[row] === expected[i]) counts[sectionOf[i]].correct++; });
  const sum = (pick: (k: number) => boolean) => {
    let c = 0, a = 0, q = 0;
    counts.forEach((x, k) => { if (pick(k)) { c += x.correct; a += x.answerable; q += x.questions; } });
    return score(c, a, q);
  };
  return {
    sections: sections.map((s, k) => ({ name: s.name, semantic: s.semantic, ...score(counts[k].correct, counts[k].answerable, counts[k].questions) })),
    semantic: sum((k) => sections[k].semantic),
    syntactic: sum((k) => !sections[k].semantic),
    total: sum(() => true),
    restrict,
  };
}

/** One line: "total 7.80% (1234/15818 answerable of 19544) · semantic … · syntactic …". */
export function formatAnalogyReport(r: AnalogyReport): string {
  const f = (s: AnalogyScore) => `${(100 * s.accuracy).toFixed(2)}% (${s.correct}/${s.answerable})`;
  return `analogies: total ${f(r.total)}, semantic ${f(r.semantic)}, syntactic ${f(r.syntactic)}; ` +
    `${r.total.answerable} of ${r.total.questions} questions answerable in the ${r.restrict} most frequent words`;
}

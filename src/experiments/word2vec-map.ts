// Claim: word vectors place similar words close together, and a relation between words becomes a direction —
// country → capital, man → woman and big → bigger are roughly parallel offsets (Mikolov et al. 2013, figure 2:
// a 2-D PCA projection of countries and their capitals). Here: vectors trained by the word2vec recipe (or given
// with --vectors), pairs taken from the Google analogy set's sections, each panel a PCA of its own words with an
// arrow per pair. The parallelism is also measured in the full space: the mean cosine between the pairs' offset
// vectors b − a, against the same for pairs drawn at random from the panel's words.
import { join } from 'node:path';
import { backendName } from '../backend/index.ts';
import { word2vec, loadWordVectors, corpusPath } from '../train/recipes/word2vec.ts';
import { corpusPrefix } from './word2vec-window.ts';
import { loadAnalogies, type AnalogySection } from '../data/text.ts';
import type { WordVectors } from '../models/word-vectors.ts';
import { foldCase } from '../train/analogies.ts';
import { Canvas, type RGB } from '../viz/canvas.ts';
import { textWidth } from '../viz/font.ts';
import { writePng } from '../viz/png.ts';
import { SERIES_COLORS } from '../viz/plot.ts';
import { Generator } from '../random.ts';
import { UsageError } from '../util/flags.ts';
import type { Experiment } from './index.ts';
import { commonFlags, num, outDir, formatTable, report, requirePositiveInt, type Flags } from './common.ts';

const NAME = 'word2vec-map';

/** The panels: which analogy sections give the pairs, and the pair's direction (a → b). */
const PANELS: { title: string; sections: string[]; swap: boolean }[] = [
  { title: 'country -> capital', sections: ['capital-common-countries', 'capital-world'], swap: true },
  { title: 'male -> female', sections: ['family'], swap: false },
  { title: 'adjective -> comparative', sections: ['gram3-comparative'], swap: false },
];

/** Distinct (a, b) pairs from the sections' questions (each question holds two), as rows of wv; most frequent first. */
export function analogyPairs(wv: WordVectors, sections: AnalogySection[], names: string[], swap: boolean, count: number): [number, number][] {
  const rowOf = new Map<string, number>();
  wv.words.forEach((w, i) => { const f = foldCase(w); if (!rowOf.has(f)) rowOf.set(f, i); });
  const seen = new Set<string>();
  const pairs: [number, number][] = [];
  for (const s of sections.filter((x) => names.includes(x.name))) {
    for (const q of s.questions) {
      for (const [a, b] of [[q[0], q[1]], [q[2], q[3]]]) {
        const ra = rowOf.get(foldCase(swap ? b : a)), rb = rowOf.get(foldCase(swap ? a : b));
        if (ra === undefined || rb === undefined || seen.has(`${ra},${rb}`)) continue;
        seen.add(`${ra},${rb}`);
        pairs.push([ra, rb]);
      }
    }
  }
  // a word in two pairs (two countries sharing a capital's name…) would tangle the picture: keep its first pair
  pairs.sort((p, q) => Math.max(...p) - Math.max(...q));
  const used = new Set<number>();
  return pairs.filter(([a, b]) => (used.has(a) || used.has(b) ? false : (used.add(a), used.add(b), true))).slice(0, count);
}

/** Rows of unit vectors, centred: (n, D). */
function centred(wv: WordVectors, rows: number[]): Float64Array[] {
  const u = wv.unitVectors(), D = wv.dim;
  const x = rows.map((r) => Float64Array.from(u.subarray(r * D, (r + 1) * D)));
  const mean = new Float64Array(D);
  for (const v of x) for (let c = 0; c < D; c++) mean[c] += v[c] / x.length;
  for (const v of x) for (let c = 0; c < D; c++) v[c] -= mean[c];
  return x;
}

/**
 * The first two principal components' coordinates of the rows: eigenvectors of the Gram matrix G = X Xᵀ (n × n) by
 * power iteration with deflation; the coordinates of point i on component k are √λ_k · e_k[i].
 */
export function pca2(x: Float64Array[]): [number, number][] {
  const n = x.length;
  const G = x.map((a) => x.map((b) => a.reduce((s, v, c) => s + v * b[c], 0)));
  const coords: [number, number][] = x.map(() => [0, 0]);
  for (let k = 0; k < 2; k++) {
    let e = Float64Array.from({ length: n }, (_, i) => 1 + i / n);
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) y[i] += G[i][j] * e[j];
      lambda = Math.sqrt(y.reduce((s, v) => s + v * v, 0));
      if (lambda === 0) break;
      e = y.map((v) => v / lambda);
    }
    for (let i = 0; i < n; i++) coords[i][k] = Math.sqrt(lambda) * e[i];
    // deflate: G ← G − λ e eᵀ
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i][j] -= lambda * e[i] * e[j];
  }
  return coords;
}

/** Mean cosine similarity over all pairs of the offsets b − a (unit vectors). */
export function offsetAgreement(wv: WordVectors, pairs: [number, number][]): number {
  const u = wv.unitVectors(), D = wv.dim;
  const off = pairs.map(([a, b]) => {
    const v = Float64Array.from({ length: D }, (_, c) => u[b * D + c] - u[a * D + c]);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    return v.map((x) => x / norm);
  });
  let sum = 0, k = 0;
  for (let i = 0; i < off.length; i++) for (let j = i + 1; j < off.length; j++) { sum += off[i].reduce((s, v, c) => s + v * off[j][c], 0); k++; }
  return k ? sum / k : NaN;
}

function drawPanel(canvas: Canvas, x0: number, w: number, h: number, title: string, wv: WordVectors, pairs: [number, number][]): void {
  const black: RGB = [0, 0, 0], from: RGB = SERIES_COLORS[0], to: RGB = SERIES_COLORS[3], arrow: RGB = [150, 150, 150];
  canvas.text(x0 + Math.round(w / 2 - textWidth(title) / 2), 8, title, black);
  if (pairs.length < 2) { canvas.text(x0 + 10, 40, 'too few pairs in the vocabulary', black); return; }
  const rows = pairs.flat();
  const p = pca2(centred(wv, rows));
  const xs = p.map((q) => q[0]), ys = p.map((q) => q[1]);
  const [xa, xb, ya, yb] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 18, top = 26, labelRoom = 60;
  const px = (v: number) => x0 + pad + ((v - xa) / (xb - xa || 1)) * (w - 2 * pad - labelRoom);
  const py = (v: number) => top + pad + ((yb - v) / (yb - ya || 1)) * (h - top - 2 * pad);
  canvas.line(x0 + w - 1, 0, x0 + w - 1, h - 1, [220, 220, 220]);
  pairs.forEach((_, i) => {
    const [ax, ay] = [px(p[2 * i][0]), py(p[2 * i][1])], [bx, by] = [px(p[2 * i + 1][0]), py(p[2 * i + 1][1])];
    canvas.line(ax, ay, bx, by, arrow);
    // an arrowhead: two short strokes back from b
    const ang = Math.atan2(by - ay, bx - ax);
    for (const d of [-0.45, 0.45]) canvas.line(bx, by, bx - 8 * Math.cos(ang + d), by - 8 * Math.sin(ang + d), arrow);
  });
  rows.forEach((r, i) => {
    const [x, y] = [px(p[i][0]), py(p[i][1])];
    const c = i % 2 === 0 ? from : to;
    canvas.fillCircle(x, y, 3, c);
    canvas.text(Math.round(x + 5), Math.round(y - 3), wv.words[r].slice(0, 12), c);
  });
}

export const word2vecMap: Experiment = {
  summary: 'word2vec: a 2-D PCA map of country→capital, male→female and adjective→comparative pairs (parallel offsets)',
  flags: {
    ...commonFlags,
    vectors: { type: 'string', help: 'word vectors to draw (a vectors file or word2vec run directory); default: train them' },
    config: { type: 'string', help: 'when training: the recipe\'s named config, skipgram or cbow (default cbow, the better one here)' },
    pairs: { type: 'number', help: 'pairs per panel, the most frequent (default 10)' },
  },
  async run(flags: Flags) {
    const quick = Boolean(flags.quick);
    const dir = outDir(flags, NAME);
    const dataDir = flags['data-dir'] as string | undefined;
    const count = requirePositiveInt('pairs', num(flags, 'pairs', 10, 6));
    let wv: WordVectors;
    let source: string;
    if (typeof flags.vectors === 'string') {
      wv = loadWordVectors(flags.vectors);
      source = flags.vectors;
    } else {
      const config = String(flags.config ?? 'cbow');
      if (config !== 'skipgram' && config !== 'cbow') throw new UsageError(`--config must be skipgram or cbow, got '${config}'`);
      const set: Record<string, string> = { config, vectorFormats: 'bin' };
      let dataset: string | undefined;
      if (quick) {
        // 500 kB of the corpus, small vectors
        dataset = join(dir, 'quick-corpus.txt');
        corpusPrefix(corpusPath('english_corpus', dataDir), dataset, 500_000);
        Object.assign(set, { dim: '24', negative: '3', minCount: '3' });
      }
      const s = await word2vec.train({ out: join(dir, 'model'), overwrite: true, dataDir, seed: Number(flags.seed ?? 1), set, dataset, epochs: quick ? 1 : undefined });
      if (s.interrupted) throw new UsageError(`${NAME}: interrupted while training`);
      wv = loadWordVectors(join(dir, 'model'));
      source = `word2vec ${config} (${join(dir, 'model')})`;
    }
    const sections = loadAnalogies({ dataDir });
    const gen = new Generator(Number(flags.seed ?? 1));
    const width = 420, height = 400;
    const canvas = new Canvas(width * PANELS.length, height);
    const rows: (string | number)[][] = [];
    const results = PANELS.map((panel, k) => {
      const pairs = analogyPairs(wv, sections, panel.sections, panel.swap, count);
      drawPanel(canvas, k * width, width, height, panel.title, wv, pairs);
      // baseline: the same words, re-paired at random
      const words = pairs.flat();
      const shuffled = gen.permutation(words.length);
      const random: [number, number][] = pairs.map((_, i) => [words[shuffled[2 * i]], words[shuffled[2 * i + 1]]]);
      const agreement = offsetAgreement(wv, pairs), baseline = offsetAgreement(wv, random);
      rows.push([panel.title, pairs.length, agreement.toFixed(3), baseline.toFixed(3)]);
      return { panel: panel.title, pairs: pairs.map(([a, b]) => [wv.words[a], wv.words[b]]), offsetCosine: agreement, randomPairsCosine: baseline };
    });
    const plot = join(dir, `${NAME}.png`);
    writePng(plot, canvas.width, canvas.height, canvas.toRgb(), 3);
    const table = formatTable(['panel', 'pairs', 'mean cos(offsets)', 'random pairs'], rows);
    report(dir, table, { experiment: NAME, backend: backendName(), seed: Number(flags.seed ?? 1), quick, vectors: source, plot, results });
  },
};

import type { Word2VecKernels } from '../kernels/word2vec.ts';

// The TypeScript twin of native/word2vec.cc (equations in kernels/word2vec.ts): the same random stream, drawn in the
// same order, and the same σ table, so with one thread both train the same vectors up to float rounding (JS numbers
// are float64; each stored vector element is rounded to float32). Always one thread: `threads` is ignored.

const TABLE = 1024;
const MAX_EXP = 6;
const SCALE = TABLE / (2 * MAX_EXP);
const SIGMOID = new Float32Array(TABLE);
const LOGSIG = new Float32Array(TABLE);
for (let i = 0; i < TABLE; i++) {
  const x = (i + 0.5) / SCALE - MAX_EXP;
  SIGMOID[i] = 1 / (1 + Math.exp(-x));
  LOGSIG[i] = Math.log1p(Math.exp(-x));
}

/** −log σ(z): the table inside (−6, 6), the asymptotes outside. */
function logLoss(z: number): number {
  if (z >= MAX_EXP) return 0;
  if (z <= -MAX_EXP) return -z;
  return LOGSIG[Math.floor((z + MAX_EXP) * SCALE)];
}

function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** splitmix32 stream of sentence s of epoch e (native/word2vec.cc's Rng). */
class Rng {
  private s: number;
  constructor(seed: number, epoch: number, sentence: number) {
    let h = mix32((seed ^ 0x5bd1e995) >>> 0);
    h = mix32((h + epoch) >>> 0);
    this.s = mix32((h + sentence) >>> 0);
  }
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    return mix32(this.s);
  }
  /** Uniform in [0, n): the high word of r·n (exact in float64 for n < 2^21). */
  below(n: number): number {
    return Math.floor((this.next() * n) / 4294967296);
  }
}

export const word2vec: Word2VecKernels = {
  word2vecTrain(inV, outV, nodeV, corpus, tables, p, stats) {
    const { ids, sentenceStarts: starts } = corpus;
    const { keep, noiseProb, noiseAlias, codeStart, codes, points } = tables;
    const D = p.dim, window = p.window, negative = p.negative, hs = p.hs;
    const V = inV.length / D;
    if (!Number.isInteger(V) || V < 1) throw new Error(`word2vecTrain: inputVectors' length ${inV.length} is not a positive multiple of dim ${D}`);
    if (negative > 0 && (!outV || outV.length < V * D)) throw new Error(`word2vecTrain: negative sampling needs outputVectors of ${V}×${D}`);
    if (hs && (!nodeV || nodeV.length < Math.max(V - 1, 1) * D)) throw new Error(`word2vecTrain: hierarchical softmax needs nodeVectors of ${V - 1}×${D}`);
    const N = ids.length;
    const total = Math.max(1, p.epochs * N), base = p.epoch * N;
    const seed = p.seed >>> 0;
    let senBuf = new Int32Array(64), alphaBuf = new Float64Array(64);
    const neu1 = new Float64Array(D), neu1e = new Float64Array(D);
    const targets = new Int32Array(negative + 1);
    let words = 0, kept = 0, loss = 0, terms = 0;

    /** Trains input h (rows hOff.. of hArr) towards word w; accumulates the input's change in neu1e. */
    const trainPair = (hArr: ArrayLike<number>, hOff: number, w: number, a: number, rng: Rng) => {
      if (hs) {
        const node = nodeV!;
        for (let k = codeStart[w]; k < codeStart[w + 1]; k++) {
          const u = points[k] * D;
          let f = 0;
          for (let c = 0; c < D; c++) f += hArr[hOff + c] * node[u + c];
          loss += logLoss(codes[k] ? -f : f);
          terms++;
          if (f <= -MAX_EXP || f >= MAX_EXP) continue;
          const g = (1 - codes[k] - SIGMOID[Math.floor((f + MAX_EXP) * SCALE)]) * a;
          for (let c = 0; c < D; c++) {
            const uc = node[u + c];
            neu1e[c] += g * uc;
            node[u + c] = uc + g * hArr[hOff + c];
          }
        }
      }
      if (negative > 0) {
        const out = outV!;
        let nt = 0;
        targets[nt++] = w;
        for (let d = 0; d < negative; d++) {
          const x = rng.next() * V;
          const i = Math.floor(x / 4294967296), u = x - i * 4294967296;
          const t = u < noiseProb[i] ? i : noiseAlias[i];
          if (t !== w) targets[nt++] = t;
        }
        for (let k = 0; k < nt; k++) {
          const u = targets[k] * D;
          let f = 0;
          for (let c = 0; c < D; c++) f += hArr[hOff + c] * out[u + c];
          loss += logLoss(k === 0 ? f : -f);
          terms++;
          const sig = f >= MAX_EXP ? 1 : f <= -MAX_EXP ? 0 : SIGMOID[Math.floor((f + MAX_EXP) * SCALE)];
          const g = ((k === 0 ? 1 : 0) - sig) * a;
          for (let c = 0; c < D; c++) {
            const uc = out[u + c];
            neu1e[c] += g * uc;
            out[u + c] = uc + g * hArr[hOff + c];
          }
        }
      }
    };

    for (let s = p.first; s < p.last; s++) {
      const rng = new Rng(seed, p.epoch, s);
      const b0 = starts[s], b1 = starts[s + 1];
      if (!(b0 >= 0 && b1 >= b0 && b1 <= N)) throw new Error(`word2vecTrain: sentenceStarts is not increasing within [0, ${N}] at sentence ${s}`);
      if (b1 - b0 > senBuf.length) { senBuf = new Int32Array(b1 - b0); alphaBuf = new Float64Array(b1 - b0); }
      // subsample
      let n = 0;
      for (let q = b0; q < b1; q++) {
        const w = ids[q];
        if (!(w >= 0 && w < V)) throw new Error(`word2vecTrain: word index ${w} at position ${q} is outside the ${V}-word vocabulary`);
        const k = keep[w];
        if (k !== 0xffffffff && rng.next() > k) continue;
        senBuf[n] = w;
        alphaBuf[n] = Math.fround(Math.max(p.minLr, p.lr * (1 - (base + q) / total)));
        n++;
      }
      words += b1 - b0;
      kept += n;
      for (let i = 0; i < n; i++) {
        const w = senBuf[i], a = alphaBuf[i];
        const b = rng.below(window);
        const lo = Math.max(0, i - window + b), hi = Math.min(n, i + window + 1 - b);
        if (p.sg) {
          for (let j = lo; j < hi; j++) {
            if (j === i) continue;
            const h = senBuf[j] * D;
            neu1e.fill(0);
            trainPair(inV, h, w, a, rng);
            for (let c = 0; c < D; c++) inV[h + c] += neu1e[c];
          }
        } else {
          const cw = hi - lo - 1;
          if (cw <= 0) continue;
          neu1.fill(0);
          for (let j = lo; j < hi; j++) {
            if (j === i) continue;
            const v = senBuf[j] * D;
            for (let c = 0; c < D; c++) neu1[c] += inV[v + c];
          }
          for (let c = 0; c < D; c++) neu1[c] /= cw;
          neu1e.fill(0);
          trainPair(neu1, 0, w, a, rng);
          for (let j = lo; j < hi; j++) {
            if (j === i) continue;
            const v = senBuf[j] * D;
            for (let c = 0; c < D; c++) inV[v + c] += neu1e[c];
          }
        }
      }
    }
    stats.words = words; stats.kept = kept; stats.loss = loss; stats.terms = terms;
  },
};

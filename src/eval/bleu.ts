// Corpus BLEU (Papineni et al. 2002), computed as NLTK's corpus_bleu (nltk.translate.bleu_score, 3.8) does, so
// that the two agree on the same tokens:
//   p_n = Σ_sentences clipped n-gram matches / Σ_sentences max(1, hypothesis n-grams)      (n = 1 … N)
//   clipped count of an n-gram = min(its count in the hypothesis, its largest count in any one reference)
//   BP  = 1 if c > r,  0 if c = 0,  else exp(1 − r/c)    c = Σ hypothesis lengths, r = Σ closest reference lengths
//   BLEU = BP · exp(Σ_n w_n · log p_n),  w_n = 1/N
// The closest reference length is the one nearest the hypothesis length, the shorter one on a tie. NLTK's
// max(1, ·) denominator counts a hypothesis shorter than n tokens as one n-gram that did not match. Without
// smoothing, a zero p_n makes BLEU 0 (NLTK returns 0 when there is no unigram match, and about 1e-77 otherwise).

export interface BleuResult {
  /** In [0, 1] (multiply by 100 for the usual scale). */
  bleu: number;
  /** p_1 … p_N. */
  precisions: number[];
  brevityPenalty: number;
  /** c: total hypothesis length. */
  hypLength: number;
  /** r: total closest-reference length. */
  refLength: number;
  /** Per order: clipped matches and (max(1, ·)) n-gram totals. */
  matches: number[];
  totals: number[];
}

/** The n-grams of tokens with their counts, keyed by the tokens joined with a separator no token holds. */
function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * BLEU-N over a corpus. references[i] holds one or more references for hypotheses[i]; every sentence is a list of
 * tokens (tokenise hypotheses and references the same way).
 */
export function corpusBleu(references: readonly (readonly (readonly string[])[])[], hypotheses: readonly (readonly string[])[], maxOrder = 4): BleuResult {
  if (references.length !== hypotheses.length) {
    throw new Error(`corpusBleu: ${hypotheses.length} hypotheses but ${references.length} reference lists; give each hypothesis its references`);
  }
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new Error(`corpusBleu: maxOrder must be a positive integer, got ${maxOrder}`);
  const matches = new Array<number>(maxOrder).fill(0), totals = new Array<number>(maxOrder).fill(0);
  let c = 0, r = 0;
  hypotheses.forEach((hyp, s) => {
    const refs = references[s];
    if (!refs.length) throw new Error(`corpusBleu: hypothesis ${s} has no reference`);
    for (let n = 1; n <= maxOrder; n++) {
      const counts = ngramCounts(hyp, n);
      // the most times each hypothesis n-gram occurs in any one reference
      const maxRef = new Map<string, number>();
      for (const ref of refs) {
        const rc = ngramCounts(ref, n);
        for (const g of counts.keys()) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, rc.get(g) ?? 0));
      }
      let clipped = 0, total = 0;
      for (const [g, k] of counts) { clipped += Math.min(k, maxRef.get(g)!); total += k; }
      matches[n - 1] += clipped;
      totals[n - 1] += Math.max(1, total);
    }
    c += hyp.length;
    // the reference length closest to the hypothesis's, the shorter on a tie
    let best = refs[0].length;
    for (const ref of refs) {
      const d = Math.abs(ref.length - hyp.length), bd = Math.abs(best - hyp.length);
      if (d < bd || (d === bd && ref.length < best)) best = ref.length;
    }
    r += best;
  });
  const brevityPenalty = c > r ? 1 : c === 0 ? 0 : Math.exp(1 - r / c);
  const precisions = matches.map((m, i) => m / totals[i]);
  const bleu = precisions.some((p) => p === 0) ? 0 : brevityPenalty * Math.exp(precisions.reduce((s, p) => s + Math.log(p), 0) / maxOrder);
  return { bleu, precisions, brevityPenalty, hypLength: c, refLength: r, matches, totals };
}

// Class coverage, the mode-collapse detector: the histogram of a classifier's predicted classes over N generated
// images, p = hist / N, its entropy H = −Σ_{p_k>0} p_k ln p_k (at most ln K, all classes equally often) and the
// smallest share min_k p_k (0 when some class never appears).

export interface Coverage {
  hist: number[];
  entropy: number;
  /** ln K, the entropy of a uniform histogram. */
  entropyMax: number;
  minShare: number;
}

/** Coverage of the argmax classes of n rows of `classes` logits (row-major). */
export function classCoverage(logits: ArrayLike<number>, n: number, classes: number): Coverage {
  if (!Number.isInteger(n) || n < 1) throw new Error(`classCoverage: need at least one row of logits, got n = ${n}`);
  if (logits.length !== n * classes) throw new Error(`classCoverage: expected ${n}×${classes} = ${n * classes} logits, got ${logits.length}`);
  const hist = new Array<number>(classes).fill(0);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[r * classes + k] > logits[r * classes + best]) best = k;
    hist[best]++;
  }
  return coverageOf(hist);
}

/** Entropy and smallest share of a class histogram. */
export function coverageOf(hist: number[]): Coverage {
  const n = hist.reduce((s, h) => s + h, 0);
  if (!(n > 0)) throw new Error('coverageOf: the histogram is empty');
  let entropy = 0, minShare = Infinity;
  for (const h of hist) {
    const p = h / n;
    if (p > 0) entropy -= p * Math.log(p);
    minShare = Math.min(minShare, p);
  }
  return { hist: [...hist], entropy, entropyMax: Math.log(hist.length), minShare };
}

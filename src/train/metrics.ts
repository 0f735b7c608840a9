// Ranking metrics for binary scores.

/** Indices that sort scores descending. */
function order(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/**
 * ROC-AUC = P(score of a random positive > score of a random negative), ties counting ½ — the Mann–Whitney U
 * statistic computed from average ranks.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = order(scores).reverse(); // ascending
  let nPos = 0, rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[idx[k]] > 0) { nPos++; rankSum += avgRank; }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) throw new Error(`rocAuc: need both classes, got ${nPos} positives and ${nNeg} negatives`);
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Average precision = Σ_k (R_k − R_{k−1}) P_k over score thresholds, as scikit-learn defines it. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = order(scores);
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0) nPos++;
  if (nPos === 0) throw new Error('averagePrecision: no positive labels');
  let tp = 0, ap = 0, prevRecall = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) if (labels[idx[k]] > 0) tp++;
    const recall = tp / nPos, precision = tp / (j + 1);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

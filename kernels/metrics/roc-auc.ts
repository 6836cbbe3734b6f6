// Exact ROC-AUC in O(n log n): the Mann–Whitney statistic with average ranks, so tied scores count
// one half, equal to the probability that a random positive outscores a random negative.

/** AUC of scores against binary labels (non-zero = positive); NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${n} scores for ${labels.length} labels`);
  for (let i = 0; i < n; i++)
    if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  // Walk groups of equal scores; each member gets the group's average rank (1-based).
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[order[k]] !== 0) {
        nPos++;
        rankSumPos += avgRank;
      }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * AUC of positives against negatives, every negative of every positive pooled, leaving out the
 * negatives flagged in `skip` (known positives, as in filtered ranking).
 */
export function pairAuc(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  skip?: ArrayLike<number>,
): number {
  const scores: number[] = Array.from(pos);
  const labels: number[] = scores.map(() => 1);
  for (let j = 0; j < neg.length; j++) {
    if (skip && skip[j] !== 0) continue;
    scores.push(neg[j]);
    labels.push(0);
  }
  return rocAuc(scores, labels);
}

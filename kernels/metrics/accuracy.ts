// Classification accuracy over labelled rows (label -1 = unlabelled, skipped), and the argmax
// that turns row-major logits into predicted classes.

/** Index of the largest value in each row of logits [n × c] (first one on ties). */
export function argmaxRows(logits: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(logits.length / numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = logits[i * numClasses];
    for (let j = 1; j < numClasses; j++) {
      const v = logits[i * numClasses + j];
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of labelled rows (labels >= 0) whose prediction equals the label; NaN if none labelled. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length)
    throw new RangeError(`${pred.length} predictions for ${labels.length} labels`);
  let n = 0;
  let hit = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    n++;
    if (pred[i] === labels[i]) hit++;
  }
  return n > 0 ? hit / n : NaN;
}

// Macro-averaged F1: per-class F1 = 2·TP / (2·TP + FP + FN), averaged over the classes that occur
// among the labels or the predictions (scikit-learn's default); unlabelled rows (-1) are skipped.

export function macroF1(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number {
  if (pred.length !== labels.length)
    throw new RangeError(`${pred.length} predictions for ${labels.length} labels`);
  const tp = new Float64Array(numClasses);
  const fp = new Float64Array(numClasses);
  const fn = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0) continue;
    const p = pred[i];
    if (y >= numClasses || p < 0 || p >= numClasses)
      throw new RangeError(`class out of range at row ${i}`);
    if (p === y) tp[y]++;
    else {
      fp[p]++;
      fn[y]++;
    }
  }
  let sum = 0;
  let k = 0;
  for (let c = 0; c < numClasses; c++) {
    const denom = 2 * tp[c] + fp[c] + fn[c];
    if (denom === 0) continue; // class absent from both labels and predictions
    sum += (2 * tp[c]) / denom;
    k++;
  }
  return k > 0 ? sum / k : NaN;
}

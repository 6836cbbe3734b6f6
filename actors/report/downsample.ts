// Thins long series for the report's charts: a line keeps its shape with largest-triangle-three-
// buckets, a stacked breakdown keeps its level with bucket means, so a run of any length draws fast.

/**
 * Indices of the finite points of (xs, ys) to draw, as runs between gaps (non-finite values
 * break the line). At most `maxPoints` indices overall; all of them when the series is short.
 */
export function downsampleLine(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  maxPoints: number,
): number[][] {
  let runs: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) current.push(i);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  const total = runs.reduce((n, r) => n + r.length, 0);
  if (total <= maxPoints) return runs;
  // Many short runs cannot each keep two points under the budget: draw through the gaps.
  if (runs.length > maxPoints / 4) runs = [runs.flat()];
  const out: number[][] = [];
  for (const run of runs) {
    const budget = Math.max(2, Math.floor((maxPoints * run.length) / total));
    out.push(lttb(run, xs, ys, budget));
  }
  return out;
}

/** Largest-triangle-three-buckets over the points `run` indexes; keeps first and last. */
export function lttb(
  run: readonly number[],
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  budget: number,
): number[] {
  const n = run.length;
  if (budget >= n) return run.slice();
  if (budget < 3) return n === 1 ? [run[0]] : [run[0], run[n - 1]];
  const out: number[] = [run[0]];
  const bucketSize = (n - 2) / (budget - 2);
  let a = 0;
  for (let b = 0; b < budget - 2; b++) {
    // The next bucket's mean is the third corner of the triangle.
    const nextStart = Math.floor((b + 1) * bucketSize) + 1;
    const nextEnd = Math.min(Math.floor((b + 2) * bucketSize) + 1, n);
    let meanX = 0;
    let meanY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      meanX += xs[run[j]];
      meanY += ys[run[j]];
    }
    const count = Math.max(1, nextEnd - nextStart);
    meanX /= count;
    meanY /= count;
    const start = Math.floor(b * bucketSize) + 1;
    const end = Math.floor((b + 1) * bucketSize) + 1;
    const ax = xs[run[a]];
    const ay = ys[run[a]];
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - meanX) * (ys[run[j]] - ay) - (ax - xs[run[j]]) * (meanY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(run[best]);
    a = best;
  }
  out.push(run[n - 1]);
  return out;
}

/**
 * Averages consecutive points into at most `maxPoints` buckets: x and every layer by the mean of
 * their finite values (0 where a bucket has none), so stacked layers keep their totals' level.
 */
export function bucketMeans(
  xs: ArrayLike<number>,
  layers: readonly ArrayLike<number>[],
  maxPoints: number,
): { xs: number[]; layers: number[][] } {
  const n = xs.length;
  const buckets = Math.min(n, Math.max(1, maxPoints));
  const outX: number[] = new Array(buckets);
  const outLayers = layers.map(() => new Array<number>(buckets));
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let sumX = 0;
    for (let i = start; i < end; i++) sumX += xs[i];
    outX[b] = sumX / (end - start);
    for (let l = 0; l < layers.length; l++) {
      const ys = layers[l];
      let sum = 0;
      let count = 0;
      for (let i = start; i < end; i++) {
        if (Number.isFinite(ys[i])) {
          sum += ys[i];
          count++;
        }
      }
      outLayers[l][b] = count > 0 ? sum / count : 0;
    }
  }
  return { xs: outX, layers: outLayers };
}

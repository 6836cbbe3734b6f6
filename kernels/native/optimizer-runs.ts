// The runs an optimizer step updates (a dense parameter, or an embedding table's rows) as the
// native kernels and the JavaScript loops both take them, and which of the two takes a step.
import { NATIVE_MIN_RUN, nativeKernels, type NativeAddon } from './addon.js';

/**
 * What an optimizer step updates: with rows, run k is p[rows[k]·width ..] (and the same place of
 * each state slot) with gradient g[k·width ..], in the order of rows (an embedding table's rows);
 * with rows null, the one dense run p[0, width) with g[0, width).
 */
export type OptimizerRuns = [rows: Int32Array | null, width: number];

/** adam's arguments; stepSize = lr/(1-β1^t), sqrtC2 = sqrt(1-β2^t), decay = 1-lr·wd (AdamW) or 1. */
export type AdamRuns = [
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  ...runs: OptimizerRuns,
  beta1: number,
  beta2: number,
  eps: number,
  wd: number,
  decoupled: boolean,
  stepSize: number,
  sqrtC2: number,
  decay: number,
];

/** adagrad's arguments; clr is the step's (decayed) learning rate. */
export type AdagradRuns = [
  p: Float32Array,
  g: Float32Array,
  sum: Float32Array,
  ...runs: OptimizerRuns,
  clr: number,
  eps: number,
  wd: number,
];

/**
 * The addon when it should take a step over these runs: loaded, enough elements to pay for the
 * call, and every scalar finite (it refuses the others); else null, and the caller's loop runs.
 */
export function nativeForRuns(
  rows: Int32Array | null,
  width: number,
  scalars: readonly number[],
): NativeAddon | null {
  const addon = nativeKernels();
  const elements = (rows === null ? 1 : rows.length) * width;
  return addon !== null && elements >= NATIVE_MIN_RUN && scalars.every(Number.isFinite)
    ? addon
    : null;
}

/** Calls update(pOff, gOff) for each run, in order: the JavaScript side of every optimizer step. */
export function eachRun(
  rows: Int32Array | null,
  width: number,
  update: (pOff: number, gOff: number) => void,
): void {
  if (rows === null) {
    update(0, 0);
    return;
  }
  for (let r = 0; r < rows.length; r++) update(rows[r] * width, r * width);
}

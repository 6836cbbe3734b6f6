// Adam and AdamW (decoupled weight decay) with bias-corrected moments, as in PyTorch's torch.optim.Adam
// and AdamW; plus the lazy sparse variant that touches only the rows present in a gradient.

import { eachRun, nativeForRuns, type AdamRuns } from '../native/optimizer-runs.js';
import {
  checkSameLength,
  coalesceTableRows,
  type DenseOptimizer,
  type OptimizerState,
  type SparseOptimizer,
} from './optimizer.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay p -= lr·wd·p. */
  weightDecay?: number;
  /** AdamW when true. */
  decoupled?: boolean;
}

/** The per-step scalars of the update: step size, sqrt of the second bias correction, decay. */
function adamScalars(
  lr: number,
  b1: number,
  b2: number,
  wd: number,
  decoupled: boolean,
  t: number,
): [stepSize: number, sqrtC2: number, decay: number] {
  return [lr / (1 - Math.pow(b1, t)), Math.sqrt(1 - Math.pow(b2, t)), decoupled ? 1 - lr * wd : 1];
}

/** One Adam step over the runs (see AdamRuns): the addon's, or the same arithmetic here. */
function adamUpdate(...a: AdamRuns): void {
  const [p, g, m, v, rows, width, b1, b2, eps, wd, decoupled, stepSize, sqrtC2, decay] = a;
  const addon = nativeForRuns(rows, width, [b1, b2, eps, wd, stepSize, sqrtC2, decay]);
  // Same float64 arithmetic in the same order: the same bits (native/optim.cc).
  if (addon !== null) return addon.adam(...a);
  eachRun(rows, width, (pOff, gOff) => {
    for (let k = 0; k < width; k++) {
      const i = pOff + k;
      let gi = g[gOff + k];
      if (!decoupled && wd !== 0) gi += wd * p[i];
      const mi = b1 * m[i] + (1 - b1) * gi;
      const vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      // p -= lr · m̂ / (sqrt(v̂) + eps), with m̂ = m/c1 and v̂ = v/c2.
      p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
    }
  });
}

export class Adam implements DenseOptimizer {
  readonly kind: string;
  readonly slotNames = ['m', 'v'] as const;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;

  constructor(o: AdamOptions) {
    this.lr = o.lr;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.decoupled = o.decoupled ?? false;
    this.weightDecay = o.weightDecay ?? (this.decoupled ? 0.01 : 0);
    this.kind = this.decoupled ? 'adamw' : 'adam';
  }

  createState(size: number): OptimizerState {
    return { step: 0, slots: { m: new Float32Array(size), v: new Float32Array(size) } };
  }

  step(params: Float32Array, grad: Float32Array, state: OptimizerState, lr = this.lr): void {
    checkSameLength(this.kind, params, grad);
    state.step += 1;
    const { m, v } = state.slots;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    adamUpdate(
      ...[params, grad, m, v, null, params.length],
      ...[b1, b2, eps, wd, decoupled],
      ...adamScalars(lr, b1, b2, wd, decoupled, state.step),
    );
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  constructor(o: Omit<AdamOptions, 'decoupled'>) {
    super({ ...o, decoupled: true });
  }
}

/**
 * Lazy Adam for embedding tables: moments and values of a row change only when the row has a
 * gradient; bias correction uses the table's global step (incremented once per stepRows call).
 */
export class LazyAdam implements SparseOptimizer {
  readonly kind = 'lazy-adam';
  readonly slotNames = ['m', 'v'] as const;
  constructor(readonly opts: AdamOptions) {}

  createState(numRows: number, rowWidth: number): OptimizerState {
    const n = numRows * rowWidth;
    return { step: 0, slots: { m: new Float32Array(n), v: new Float32Array(n) } };
  }

  stepRows(
    table: Float32Array,
    rowWidth: number,
    rows: Int32Array,
    rowGrads: Float32Array,
    state: OptimizerState,
    lr = this.opts.lr,
  ): void {
    const c = coalesceTableRows(table, rowWidth, rows, rowGrads);
    state.step += 1;
    const { m, v } = state.slots;
    const b1 = this.opts.beta1 ?? 0.9;
    const b2 = this.opts.beta2 ?? 0.999;
    const eps = this.opts.eps ?? 1e-8;
    const decoupled = this.opts.decoupled ?? false;
    const wd = this.opts.weightDecay ?? 0;
    adamUpdate(
      ...[table, c.grads, m, v, c.rows, rowWidth],
      ...[b1, b2, eps, wd, decoupled],
      ...adamScalars(lr, b1, b2, wd, decoupled, state.step),
    );
  }
}

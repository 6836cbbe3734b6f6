// Adagrad (accumulated squared gradients scale each coordinate's step), as in PyTorch's
// torch.optim.Adagrad, and its sparse row variant for embedding tables.

import { eachRun, nativeForRuns, type AdagradRuns } from '../native/optimizer-runs.js';
import {
  checkSameLength,
  coalesceTableRows,
  type DenseOptimizer,
  type OptimizerState,
  type SparseOptimizer,
} from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  eps?: number;
  initialAccumulator?: number;
  weightDecay?: number;
  /** lr / (1 + (step − 1) · lrDecay). */
  lrDecay?: number;
}

/** One Adagrad step over the runs (see AdagradRuns): the addon's, or the same arithmetic here. */
function adagradUpdate(...a: AdagradRuns): void {
  const [p, g, sum, rows, width, clr, eps, wd] = a;
  const addon = nativeForRuns(rows, width, [clr, eps, wd]);
  // Same float64 arithmetic in the same order: the same bits (native/optim.cc).
  if (addon !== null) return addon.adagrad(...a);
  eachRun(rows, width, (pOff, gOff) => {
    for (let k = 0; k < width; k++) {
      const i = pOff + k;
      const gi = g[gOff + k] + wd * p[i];
      const s = sum[i] + gi * gi;
      sum[i] = s;
      p[i] -= (clr * gi) / (Math.sqrt(s) + eps);
    }
  });
}

export class Adagrad implements DenseOptimizer, SparseOptimizer {
  readonly kind = 'adagrad';
  readonly slotNames = ['sum'] as const;
  readonly lr: number;
  readonly eps: number;
  readonly initialAccumulator: number;
  readonly weightDecay: number;
  readonly lrDecay: number;

  constructor(o: AdagradOptions) {
    this.lr = o.lr;
    this.eps = o.eps ?? 1e-10;
    this.initialAccumulator = o.initialAccumulator ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.lrDecay = o.lrDecay ?? 0;
  }

  createState(size: number, rowWidth = 1): OptimizerState {
    return {
      step: 0,
      slots: { sum: new Float32Array(size * rowWidth).fill(this.initialAccumulator) },
    };
  }

  private clr(lr: number, step: number): number {
    return lr / (1 + (step - 1) * this.lrDecay);
  }

  step(params: Float32Array, grad: Float32Array, state: OptimizerState, lr = this.lr): void {
    checkSameLength('adagrad', params, grad);
    state.step += 1;
    const clr = this.clr(lr, state.step);
    adagradUpdate(
      params,
      grad,
      state.slots.sum,
      null,
      params.length,
      clr,
      this.eps,
      this.weightDecay,
    );
  }

  /** Sparse Adagrad: only the listed rows' accumulators and values change. */
  stepRows(
    table: Float32Array,
    rowWidth: number,
    rows: Int32Array,
    rowGrads: Float32Array,
    state: OptimizerState,
    lr = this.lr,
  ): void {
    const c = coalesceTableRows(table, rowWidth, rows, rowGrads);
    state.step += 1;
    const clr = this.clr(lr, state.step);
    adagradUpdate(
      table,
      c.grads,
      state.slots.sum,
      c.rows,
      rowWidth,
      clr,
      this.eps,
      this.weightDecay,
    );
  }
}

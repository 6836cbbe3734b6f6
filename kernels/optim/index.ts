// Optimizers for the parameter server: dense (SGD, Adam, AdamW, Adagrad) and sparse-row (lazy
// Adam, Adagrad) updates on Float32Arrays, and a factory from a job spec's optimizer section.

import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { DenseOptimizer } from './optimizer.js';
import { Sgd } from './sgd.js';

export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './adagrad.js';

export type OptimizerConfig =
  | {
      kind: 'sgd';
      lr: number;
      momentum?: number;
      nesterov?: boolean;
      dampening?: number;
      weightDecay?: number;
    }
  | { kind: 'adam'; lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | {
      kind: 'adamw';
      lr: number;
      beta1?: number;
      beta2?: number;
      eps?: number;
      weightDecay?: number;
    }
  | {
      kind: 'adagrad';
      lr: number;
      eps?: number;
      initialAccumulator?: number;
      weightDecay?: number;
      lrDecay?: number;
    };

export function createOptimizer(c: OptimizerConfig): DenseOptimizer {
  if (!(c.lr > 0)) throw new RangeError(`optimizer lr must be > 0, got ${c.lr}`);
  switch (c.kind) {
    case 'sgd':
      return new Sgd(c);
    case 'adam':
      return new Adam(c);
    case 'adamw':
      return new AdamW(c);
    case 'adagrad':
      return new Adagrad(c);
  }
}

// The optimizer a parameter server runs, from the job's optimizer spec (only the fields each kind
// uses), and the step size of an update that averages N local batches.
import type { JobSpec } from '../job-spec.js';
import type { OptimizerSpec } from '../protocols.js';

export function optimizerConfig(o: OptimizerSpec) {
  switch (o.kind) {
    case 'sgd':
      return { kind: 'sgd' as const, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay };
    case 'adagrad':
      return { kind: 'adagrad' as const, lr: o.lr, weightDecay: o.weightDecay };
    case 'adamw':
      return { kind: 'adamw' as const, lr: o.lr, weightDecay: o.weightDecay };
    default:
      return { kind: 'adam' as const, lr: o.lr, weightDecay: o.weightDecay };
  }
}

/** Scale of the learning rate when N batches' gradients are averaged into one update. */
export function scaledLr(spec: JobSpec): number {
  const n = spec.train.localSteps;
  if (spec.train.lrScaling === 'linear') return spec.train.lr * n;
  if (spec.train.lrScaling === 'sqrt') return spec.train.lr * Math.sqrt(n);
  return spec.train.lr;
}

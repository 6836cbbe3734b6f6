// Per-node fanout budgets of a job (sampling.budget): the sampler options they become, and the largest
// per-hop draw they allow, which sizes the shared-memory ring of an embedded job.
import { maxBudget, type FanoutBudgetOptions } from '../../kernels/sampling/fanout-budget.js';
import type { JobSpec } from '../job-spec.js';

/** The sampler's budget options of a job; undefined with mode 'fixed' (the plain sampler). */
export function budgetOf(spec: JobSpec): FanoutBudgetOptions | undefined {
  const b = spec.sampling.budget;
  if (b.mode === 'fixed') return undefined;
  return { mode: b.mode, alpha: b.alpha, min: b.min, maxScale: b.maxScale };
}

/**
 * The most any node may draw at each hop when the hops' fanouts are `fanouts`: the fanouts themselves
 * without budgets, max(f, ceil(maxScale·f)) with them.
 */
export function budgetBounds(spec: JobSpec, fanouts: readonly number[]): number[] {
  const b = budgetOf(spec);
  return fanouts.map((f) => maxBudget(f, b));
}

// The job's task as the sampler sees it: where the seeds come from (nodes, or time-split edges),
// the evaluation sets, and the sampler settings of training and of evaluation.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { ConfigError } from '../../runtime/errors.js';
import type { ProducerConfig } from '../batch/batch-producer.js';
import type { ActivityConfig } from '../batch/activity-sequences.js';
import { featurelessReadsIds, firstLayerFused, pprRelationOf, type JobSpec } from '../job-spec.js';
import { budgetOf } from './fanout-budgets.js';
import { linkSplit, nodeSplit } from './link-split.js';
import type { SeedSource } from './seed-source.js';

/** Where the job's seeds come from, and its evaluation sets. */
export function seedsOf(spec: JobSpec, g: SharedGraph) {
  if (spec.task === 'node') {
    const s = nodeSplit(g);
    return {
      source: { kind: 'node' } as SeedSource,
      train: s.train,
      val: s.val,
      test: s.test,
      negativeRange: undefined,
    };
  }
  return linkSeedsOf(spec, g, spec.link.edgeType);
}

/** The seeds of relation `edgeType` split by time (link.valFraction, link.testFraction). */
export function linkSeedsOf(spec: JobSpec, g: SharedGraph, edgeType: string) {
  const l = linkSplit(g, edgeType, spec.link.valFraction, spec.link.testFraction);
  return {
    source: {
      kind: 'link',
      src: l.src,
      dst: l.dst,
      times: l.times,
      heldOutFrom: firstTime(l.times, [l.val, l.test]),
    } as SeedSource,
    train: l.train,
    val: l.val,
    test: l.test,
    negativeRange: l.negativeRange,
  };
}

/** The earliest time of the edges `parts` name (Infinity for none). */
function firstTime(times: Float64Array, parts: Int32Array[]): number {
  let t = Infinity;
  for (const ids of parts) for (const e of ids) t = Math.min(t, times[e]);
  return t;
}

/** What samplers ship for the temporal model: sequences always, long-term targets for training. */
export function activityConfigs(spec: JobSpec): { train?: ActivityConfig; eval?: ActivityConfig } {
  const t = spec.model.temporal;
  if (!t.enabled || spec.task !== 'link') return {};
  const base = {
    sequenceLength: t.sequenceLength,
    ...(t.pairRecency && t.pairWindow > 0 ? { pairWindow: t.pairWindow } : {}),
  };
  const lt = t.longTerm;
  return {
    train: lt.enabled ? { ...base, future: { windows: lt.windows, cap: lt.targets } } : base,
    eval: base,
  };
}

/** Sampler settings of a job: link prediction always samples in time, so no held-out edge leaks. */
export function producerConfigs(
  spec: JobSpec,
  negativeRange?: [number, number],
): { train: ProducerConfig; eval: ProducerConfig } {
  if (spec.task === 'node' && spec.sampling.strategy === 'temporal') {
    throw new ConfigError(
      'temporal sampling needs a query time per seed, which node seeds do not have; use it with task: link',
      {
        field: 'sampling.strategy',
      },
    );
  }
  const temporal = spec.task === 'link';
  const relational = spec.model.encoder === 'rgcn';
  const sampler = {
    strategy: temporal ? ('temporal' as const) : spec.sampling.strategy,
    temporalPick: spec.sampling.strategy === 'temporal' ? ('last' as const) : ('uniform' as const),
    fanouts: spec.sampling.fanouts,
    seed: spec.train.seed,
    ...(budgetOf(spec) ? { budget: budgetOf(spec) } : {}),
    ...(spec.sampling.strategy === 'ppr' ? { ppr: spec.sampling.ppr } : {}),
    ...(pprRelationOf(spec) ? { pprRelation: pprRelationOf(spec) } : {}),
    // The relation-aware encoder reads each sampled edge's type at its CSR position.
    ...(relational ? { returnEdgeIds: true } : {}),
  };
  const relationFanouts = spec.sampling.relationFanouts;
  const byRelation = Object.keys(relationFanouts).length > 0;
  const base = {
    sampler,
    fuseFirstLayer: firstLayerFused(spec),
    negativeRange,
    ...(relational ? { edgeTypes: true } : {}),
    ...(spec.model.inputProjection === 'per-type' ? { nodeTypes: true } : {}),
    ...(featurelessReadsIds(spec) ? { nodeIds: true } : {}),
    ...(byRelation ? { relationFanouts } : {}),
    // The targets' gaps, for the target-recency term of the temporal or the static model.
    ...(spec.task === 'link' && spec.model.temporal.targetRecency ? { targetRecency: true } : {}),
  };
  const { negatives, numNegatives, hard } = spec.link;
  const link = spec.task === 'link';
  // Hard negatives are picked by the trainer from a pool the sampler draws and samples.
  const trainNeg =
    !link || negatives === 'in-batch' ? 0 : numNegatives * (negatives === 'hard' ? hard.pool : 1);
  const drawn = !link
    ? {}
    : negatives === 'degree'
      ? { negativeKind: 'degree' as const }
      : negatives === 'hard'
        ? { negativeKind: 'filtered' as const }
        : {};
  const activities = activityConfigs(spec);
  return {
    train: {
      ...base,
      numNegatives: trainNeg,
      ...drawn,
      ...(link && spec.link.historyNegatives > 0
        ? { historyNegatives: spec.link.historyNegatives }
        : {}),
      ...(activities.train ? { activities: activities.train } : {}),
    },
    eval: {
      ...base,
      ...(activities.eval ? { activities: activities.eval } : {}),
      sampler: spec.eval.fullNeighbors
        ? { ...sampler, fanouts: sampler.fanouts.map(() => -1) }
        : sampler,
      ...(byRelation && spec.eval.fullNeighbors
        ? { relationFanouts: mapValues(relationFanouts, (f) => f.map(() => -1)) }
        : {}),
      numNegatives: spec.task === 'link' ? 20 : 0,
    },
  };
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

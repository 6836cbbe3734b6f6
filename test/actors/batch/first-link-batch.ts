// Test helper: the first training batch of a link job, sampled by the job's own producer config and
// read as the trainer reads it; with the configs, so a test can check what they ask for.
import type { JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { viewBatch, type BatchView } from '../../../actors/batch/batch-view.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';

export function firstLinkBatch(
  spec: JobSpec,
  graph: SharedGraph,
): { view: BatchView; configs: ReturnType<typeof producerConfigs> } {
  const seeds = seedsOf(spec, graph);
  const configs = producerConfigs(spec, seeds.negativeRange);
  const producer = new BatchProducer(graph, configs.train);
  const bs = spec.sampling.batchSize;
  const plan = makeEpochPlan(seeds.train, bs, 0, 0);
  if (seeds.source.kind !== 'link') throw new Error('firstLinkBatch needs a link job');
  const f = producer.produce(requestFor(seeds.source, plan.order, 0, 0, bs, 1), (s) =>
    allocateArrays<BatchFields>(s),
  );
  return { view: viewBatch(f), configs };
}

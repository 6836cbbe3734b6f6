// Node and link batches of a partition-owning sampler: the one NeighborSampler over the partitioned
// stores (own rows read in place, the rest asked of their owners), written as BatchProducer writes
// them, so a batch is byte-identical to the whole graph's.
import { firstLayerInputFromRows } from '../../kernels/gather/first-layer-input.js';
import type { RowSources } from '../../kernels/sampling/neighbor-store.js';
import { NeighborSampler } from '../../kernels/sampling/neighbor-sampler.js';
import type { SamplerOptions } from '../../kernels/sampling/types.js';
import { ConfigError } from '../../runtime/errors.js';
import { allocateArrays, type BatchFields } from '../batch/batch-record.js';
import {
  linkOptions,
  nodeOptions,
  writeSampledFields,
  writeSampledHeader,
  type BatchRequest,
  type ProducerConfig,
} from '../batch/batch-producer.js';
import {
  emptyTraffic,
  PartitionFeatureSource,
  PartitionNeighborStore,
  type PartitionPeers,
  type PartitionTraffic,
} from './partition-stores.js';
import { relationFanoutsByType } from '../plan/relation-fanouts.js';
import type { PartitionOwner } from './partition-sampler-owner.js';

export { emptyTraffic, type PartitionPeers, type PartitionTraffic };

/**
 * Check a producer config can be served from partitions; errors name the job-spec field. PPR pushes
 * residuals over the graph until they fall under epsilon: across owners that is one round trip per
 * push wave and node, so it stays with whole-graph samplers.
 */
export function checkPartitionedConfig(config: ProducerConfig): void {
  const s = config.sampler.strategy;
  if (s !== 'uniform' && s !== 'weighted' && s !== 'temporal')
    throw new ConfigError(
      `partition-owning samplers sample 'uniform', 'weighted' and 'temporal' (link tasks), not '${s}'`,
      { field: 'sampling.strategy' },
    );
  if (config.edgeTypes)
    throw new ConfigError('partition-owning samplers do not ship edge types (model.encoder rgcn)', {
      field: 'cluster.partitions',
    });
}

/** One builder per partition-owning sampler: the sampler, its two stores and the record. */
export class PartitionBatchBuilder {
  readonly traffic: PartitionTraffic = emptyTraffic();
  private sampler: NeighborSampler;
  private readonly store: PartitionNeighborStore;
  private readonly features: PartitionFeatureSource;
  private labels = new Int32Array(0);
  /** The batch being built, if any: the next one starts when it settles. */
  private tail: Promise<unknown> = Promise.resolve();

  /** A global id's node type: the whole graph's types are id ranges every part's manifest lists. */
  private readonly nodeTypeOf: (globalId: number) => number;

  constructor(
    readonly owner: PartitionOwner,
    peers: PartitionPeers,
    readonly config: ProducerConfig,
  ) {
    checkPartitionedConfig(config);
    const p = owner.part.partition!;
    this.nodeTypeOf = (g) => p.nodeTypeOf(g);
    this.store = new PartitionNeighborStore(owner, peers, this.traffic);
    this.features = new PartitionFeatureSource(owner, peers, this.traffic);
    this.sampler = new NeighborSampler(this.store, this.samplerOptions());
  }

  /** The sampler's options: sampling.relationFanouts by this graph's edge type ids, as BatchProducer. */
  private samplerOptions(fanouts = this.config.sampler.fanouts): SamplerOptions {
    const byType = relationFanoutsByType(this.config.relationFanouts, this.owner.part.edgeTypes);
    return { ...this.config.sampler, fanouts, ...(byType ? { relationFanouts: byType } : {}) };
  }

  /** Adaptive sampling: the fanouts of the batches built from now on. */
  setFanouts(fanouts: readonly number[]): void {
    this.sampler = new NeighborSampler(this.store, this.samplerOptions(fanouts));
  }

  /**
   * Builds one node or link batch into fresh arrays laid out as BatchProducer lays them out. Calls
   * run one after another: the sampler's scratch holds one batch while its stores' answers arrive.
   */
  produce(req: BatchRequest): Promise<BatchFields> {
    const next = this.tail.then(() => this.build(req));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async build(req: BatchRequest): Promise<BatchFields> {
    const t0 = performance.now();
    const sub =
      req.kind === 'link'
        ? await this.sampler.sampleEdgesAsync(
            req.src!,
            req.dst!,
            req.src!.length,
            linkOptions(req, this.config, this.sampler.numNodes),
          )
        : await this.sampler.sampleAsync(req.seeds!, req.seeds!.length, nodeOptions(req));
    const t1 = performance.now();
    const d = this.features.dim;
    const out = writeSampledFields(sub, req, this.config, d, allocateArrays<BatchFields>, {
      nodeTypeOf: this.nodeTypeOf,
    });
    const n = sub.nodes.length;
    if (this.labels.length < n) this.labels = new Int32Array(Math.max(n, 2 * this.labels.length));
    const labels = req.kind === 'node' ? this.labels : undefined;
    const rows = await this.features.locate(sub.nodes, n, labels);
    if (labels) (out.y as Int32Array).set(labels.subarray(0, sub.numSeeds));
    if (this.config.fuseFirstLayer) firstLayerInputFromRows(rows, d, sub.blocks[0], out.x);
    else copyRows(rows, d, n, out.x);
    writeSampledHeader(out, sub, req, this.config, t1 - t0, performance.now() - t1);
    return out;
  }
}

/** Rows 0..n of their locations into out, row l at l·d (the unfused record's input rows). */
function copyRows(rows: RowSources, d: number, n: number, out: Float32Array): void {
  for (let l = 0; l < n; l++) {
    const x = rows.rows[rows.src[l]];
    const o = rows.off[l];
    out.set(x.subarray(o, o + d), l * d);
  }
}

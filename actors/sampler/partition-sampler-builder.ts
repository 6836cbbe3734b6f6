// Node and link batches of a partition-owning sampler: the one NeighborSampler over the partitioned
// stores (own rows read in place, the rest asked of their owners), written as BatchProducer writes
// them, so a batch is byte-identical to the whole graph's.
import { firstLayerInput } from '../../kernels/gather/first-layer-input.js';
import { NeighborSampler } from '../../kernels/sampling/neighbor-sampler.js';
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
  copyRow,
  emptyTraffic,
  PartitionFeatureSource,
  PartitionNeighborStore,
  type PartitionPeers,
  type PartitionTraffic,
} from './partition-stores.js';
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
  private readonly scratch = { buf: new Float32Array(0) };
  private x = new Float32Array(0);
  private labels = new Int32Array(0);
  private iota = new Int32Array(0);

  constructor(
    readonly owner: PartitionOwner,
    peers: PartitionPeers,
    readonly config: ProducerConfig,
  ) {
    checkPartitionedConfig(config);
    this.store = new PartitionNeighborStore(owner, peers, this.traffic);
    this.features = new PartitionFeatureSource(owner, peers, this.traffic);
    this.sampler = new NeighborSampler(this.store, config.sampler);
  }

  /** Adaptive sampling: the fanouts of the batches built from now on. */
  setFanouts(fanouts: readonly number[]): void {
    this.sampler = new NeighborSampler(this.store, { ...this.config.sampler, fanouts });
  }

  /** Builds one node or link batch into fresh arrays laid out as BatchProducer lays them out. */
  async produce(req: BatchRequest): Promise<BatchFields> {
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
    const out = writeSampledFields(sub, req, this.config, d, allocateArrays<BatchFields>);
    const n = sub.nodes.length;
    const fused = this.config.fuseFirstLayer;
    if (fused && this.x.length < n * d)
      this.x = new Float32Array(Math.max(n * d, 2 * this.x.length));
    if (this.labels.length < n) this.labels = new Int32Array(Math.max(n, 2 * this.labels.length));
    const labels = req.kind === 'node' ? this.labels : undefined;
    await this.features.fetch(sub.nodes, n, fused ? this.x : out.x, labels);
    if (labels) (out.y as Int32Array).set(labels.subarray(0, sub.numSeeds));
    if (fused) this.firstLayer(n, sub.blocks[0], out.x);
    writeSampledHeader(out, sub, req, this.config, t1 - t0, performance.now() - t1);
    return out;
  }

  /**
   * The fused first layer over rows already gathered in local order: a store over them reads row l for
   * node l and keeps the part's dtype, so the same arithmetic path runs as over the whole graph.
   */
  private firstLayer(
    n: number,
    block: Parameters<typeof firstLayerInput>[2],
    out: Float32Array,
  ): void {
    if (this.iota.length < n) this.iota = Int32Array.from({ length: n * 2 }, (_v, i) => i);
    const x = this.x;
    const d = this.features.dim;
    const dtype = this.owner.part.dtype;
    const store = {
      dim: d,
      dtype,
      numNodes: n,
      features: dtype === 'float32' ? x : undefined,
      gather(ids: ArrayLike<number>, count: number, o: Float32Array, at = 0): void {
        for (let i = 0; i < count; i++) copyRow(x, ids[i] * d, o, at + i * d, d);
      },
    };
    firstLayerInput(store, this.iota, block, out, true, this.scratch);
  }
}

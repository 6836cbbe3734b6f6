// A sampler process that owns one hash partition (`cluster.partitions`): where the parts are, opening
// only its own, serving its rows to the other samplers over NATS, and building its batches from all.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, PARTITIONS_FILE, type PartitionsIndex } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { partDirName } from '../../graph-store/partition-rule.js';
import { edgeTypeKey } from '../../graph-store/types.js';
import type { ActorClient, Implementation } from '../../runtime/actor.js';
import { ConfigError } from '../../runtime/errors.js';
import { producerConfigs } from '../plan/task-seeds.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import type { BatchFields } from '../batch/batch-record.js';
import type { BatchRequest } from '../batch/batch-producer.js';
import { sameFanouts, withFanouts } from '../plan/adaptive-fanouts.js';
import type { SeedSource } from '../plan/seed-source.js';
import {
  chooseLinkRelation,
  linkNegativeRange,
  splitPartitionedLinks,
  type PartitionedLinkSeeds,
} from './partition-link-seeds.js';
import { PartitionPeerProtocol } from './partition-protocol.js';
import {
  checkPartitionedConfig,
  emptyTraffic,
  PartitionBatchBuilder,
  type PartitionPeers,
  type PartitionTraffic,
} from './partition-sampler-builder.js';
import { PartitionOwner, type SplitName } from './partition-sampler-owner.js';
import { inDegreeCounts, PartitionStructural, type MaxDegrees } from './partition-structural.js';
import { cutoffOfSplit } from '../plan/structural-features.js';
import { retrying } from '../../runtime/retry.js';
import { NO_FEATURES_HINT } from '../../graph-store/errors.js';

const FIELD = 'cluster.partitions';

/** Where a job's partitions are: `dir/part-NNNN` for each of `count` samplers. */
export interface PartitionLayout {
  dir: string;
  count: number;
}

/** The part directory sampler `index` opens. */
export function partDirOf(layout: PartitionLayout, index: number): string {
  return join(layout.dir, partDirName(index));
}

/**
 * The partitions a job's samplers own, or undefined when `cluster.partitions` is off. Checks that the
 * folder exists and holds one part per sampler; errors name the field and the folder.
 */
export function partitionLayoutOf(spec: JobSpec): PartitionLayout | undefined {
  const setting = spec.cluster.partitions;
  if (!setting) return undefined;
  checkPartitionedConfig(producerConfigs(spec).train);
  let dir = setting;
  if (setting === 'auto') {
    const m = readManifest(spec.graph);
    if (!m.partitions)
      throw new ConfigError(
        `graph ${spec.graph} holds no partitions: build it with --partitions ${spec.cluster.samplers}, or name a folder written by \`weft graph partition\``,
        { file: spec.graph, field: FIELD },
      );
    dir = join(spec.graph, m.partitions.dir);
  }
  const file = join(dir, PARTITIONS_FILE);
  if (!existsSync(file))
    throw new ConfigError(
      `${dir} holds no ${PARTITIONS_FILE}; write it with \`weft graph partition\``,
      {
        file: dir,
        field: FIELD,
      },
    );
  let index: PartitionsIndex;
  try {
    index = JSON.parse(readFileSync(file, 'utf8')) as PartitionsIndex;
  } catch (error) {
    throw new ConfigError(
      `cannot read ${file}: ${(error as Error).message}`,
      { file, field: FIELD },
      {
        cause: error,
      },
    );
  }
  if (!Number.isInteger(index.count) || index.count < 1)
    throw new ConfigError(`${file} gives no partition count`, { file, field: FIELD });
  if (index.count !== spec.cluster.samplers)
    throw new ConfigError(
      `${dir} holds ${index.count} partitions but cluster.samplers is ${spec.cluster.samplers}: run one sampler per partition`,
      { file: dir, field: FIELD },
    );
  return { dir, count: index.count };
}

/** The other samplers as peers of a builder, over NATS (each ask retried while a peer restarts). */
export function natsPeers(
  clientOf: (part: number) => ActorClient<typeof PartitionPeerProtocol>,
): PartitionPeers {
  return {
    rows: (p, req) => retrying(`rows from sampler ${p}`, () => clientOf(p).ask('rows', req)),
    expand: (p, req) => retrying(`expand at sampler ${p}`, () => clientOf(p).ask('expand', req)),
  };
}

/** A job's seed source and its splits' seeds, as seedsOf would give them from the whole graph. */
export interface PartitionedSeeds {
  source: SeedSource;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** One partition-owning sampler: its part, its builder, and the peer verbs it answers. */
export class PartitionSampling {
  private readonly seeds = new Map<SplitName, Promise<Int32Array>>();
  /** model.structuralFeatures: this part's side of the degree exchange, made on first use. */
  private structural?: Promise<PartitionStructural>;
  /** Settled once the part serves the job's feature rows (with structural columns when asked). */
  private featuresReady?: Promise<void>;
  private evalBuilder?: PartitionBatchBuilder;
  private evalFanouts?: readonly number[];
  private links?: Promise<PartitionedLinkSeeds>;
  private counted: PartitionTraffic = emptyTraffic();
  private fanouts: readonly number[];

  private constructor(
    public owner: PartitionOwner,
    public builder: PartitionBatchBuilder,
    private readonly clientOf: (part: number) => ActorClient<typeof PartitionPeerProtocol>,
    private readonly spec: JobSpec,
    private readonly negativeRange: [number, number] | undefined,
    private readonly metrics?: RoleMetrics<'sampler'>,
  ) {
    this.fanouts = builder.config.sampler.fanouts;
  }

  /** Opens part `index` of the layout (only that part is loaded) and a builder over all parts. */
  static async open(
    spec: JobSpec,
    layout: PartitionLayout,
    index: number,
    clientOf: (part: number) => ActorClient<typeof PartitionPeerProtocol>,
    metrics?: RoleMetrics<'sampler'>,
  ): Promise<PartitionSampling> {
    // Partition samplers read float32 rows in place and serve them to their peers unscaled.
    if (spec.model.featureNorm === 'row')
      throw new ConfigError(
        "model.featureNorm 'row' needs whole-graph samplers; with cluster.partitions use none (or normalise the features before weft graph build)",
        { field: 'model.featureNorm' },
      );
    const part = await openGraph(partDirOf(layout, index));
    const owner = new PartitionOwner(part);
    if (owner.index !== index || owner.count !== layout.count)
      throw new ConfigError(
        `${partDirOf(layout, index)} is part ${owner.index} of ${owner.count}, expected ${index} of ${layout.count}`,
        { file: partDirOf(layout, index), field: FIELD },
      );
    if (owner.dim === 0)
      throw new ConfigError(
        `partition ${partDirOf(layout, index)} has no node features: ${NO_FEATURES_HINT}`,
        {
          file: partDirOf(layout, index),
          field: FIELD,
        },
      );
    // Link task: negatives come from the predicted relation's destination type, known from any part.
    const negativeRange =
      spec.task === 'link'
        ? linkNegativeRange(part, chooseLinkRelation(part.edgeTypes, spec.link.edgeType))
        : undefined;
    const builder = new PartitionBatchBuilder(
      owner,
      natsPeers(clientOf),
      producerConfigs(spec, negativeRange).train,
    );
    return new PartitionSampling(owner, builder, clientOf, spec, negativeRange, metrics);
  }

  /**
   * The job's seeds of a split, ascending, as seedsOf would read them from the whole graph: this
   * part's own and every other sampler's (asked once, retried while they start).
   */
  splitSeeds(split: SplitName): Promise<Int32Array> {
    let seeds = this.seeds.get(split);
    if (seeds) return seeds;
    seeds = (async () => {
      const lists = await Promise.all(
        Array.from({ length: this.owner.count }, (_v, p) =>
          p === this.owner.index
            ? this.owner.splitSeeds(split)
            : retrying(
                `${split} seeds of sampler ${p}`,
                async () => (await this.clientOf(p).ask('splitSeeds', { split })).ids,
                { quiet: true },
              ),
        ),
      );
      let n = 0;
      for (const l of lists) n += l.length;
      const all = new Int32Array(new SharedArrayBuffer(Math.max(8, 4 * n))).subarray(0, n);
      let at = 0;
      for (const l of lists) {
        all.set(l, at);
        at += l.length;
      }
      all.sort();
      if (n === 0 && split === 'train')
        throw new ConfigError('the partitions hold no training nodes in their split', {
          field: FIELD,
        });
      return all;
    })();
    this.seeds.set(split, seeds);
    return seeds;
  }

  /**
   * The job's seed source and training seeds: node ids (see trainSeeds), or for a link task the
   * predicted relation's edges of every part, split by time as linkSplit splits the whole graph's.
   */
  async jobSeeds(): Promise<PartitionedSeeds> {
    if (this.spec.task !== 'link') {
      const [train, val, test] = await Promise.all(
        (['train', 'val', 'test'] as const).map((split) => this.splitSeeds(split)),
      );
      return { source: { kind: 'node' }, train, val, test };
    }
    const l = await this.linkSeeds();
    return { source: l.source, train: l.train, val: l.val, test: l.test };
  }

  /** The link split from all parts' edges of the predicted relation (asked once, retried while peers start). */
  linkSeeds(): Promise<PartitionedLinkSeeds> {
    this.links ??= (async () => {
      const link = this.spec.link;
      const part = this.owner.part;
      const chosen = chooseLinkRelation(part.edgeTypes, link.edgeType);
      const key = edgeTypeKey(chosen);
      const lists = await Promise.all(
        Array.from({ length: this.owner.count }, (_v, p) =>
          p === this.owner.index
            ? this.owner.linkEdges(key)
            : retrying(
                `link edges of sampler ${p}`,
                () => this.clientOf(p).ask('linkEdges', { edgeType: key }),
                { quiet: true },
              ),
        ),
      );
      return splitPartitionedLinks(
        lists,
        key,
        link.valFraction,
        link.testFraction,
        linkNegativeRange(part, chosen),
        chosen.linkSplit,
      );
    })();
    return this.links;
  }

  /** The degree exchange of model.structuralFeatures, started once (by this sampler or a peer). */
  private structuralSide(): Promise<PartitionStructural> {
    this.structural ??= (async () => {
      const cutoff =
        this.spec.task === 'link'
          ? await this.linkSeeds().then((l) => cutoffOfSplit(l.train.length, l.source.times!))
          : Infinity;
      return new PartitionStructural(this.owner.part, cutoff, {
        inDegrees: (p, t) =>
          retrying(`in-degrees from sampler ${p}`, () =>
            this.clientOf(p).ask('inDegrees', { part: this.owner.index, cutoff: t }),
          ),
        maxDegrees: (p) =>
          retrying(`largest degrees of sampler ${p}`, () => this.clientOf(p).ask('maxDegrees', {})),
      });
    })();
    return this.structural;
  }

  /** The largest degrees among this part's nodes (a peer's maxDegrees; the exchange starts here). */
  async maxDegrees(): Promise<MaxDegrees> {
    return (await this.structuralSide()).maxDegrees();
  }

  /**
   * Settles once this part serves the job's feature rows: with model.structuralFeatures, after the
   * degree exchange, with the columns appended (owner and builder replaced by ones over them).
   */
  ready(): Promise<void> {
    this.featuresReady ??= (async () => {
      if (!this.spec.model.structuralFeatures) return;
      const part = await (await this.structuralSide()).withColumns();
      this.owner = new PartitionOwner(part);
      this.builder = new PartitionBatchBuilder(
        this.owner,
        natsPeers(this.clientOf),
        this.builder.config,
      );
    })();
    return this.featuresReady;
  }

  /** Builds one batch with `fanouts` (adaptive sampling) or the job's; counts what crossed. */
  async produce(req: BatchRequest, fanouts?: readonly number[]): Promise<BatchFields> {
    await this.ready();
    if (fanouts && !sameFanouts(fanouts, this.fanouts)) {
      this.builder.setFanouts(withFanouts(this.builder.config, [...fanouts]).sampler.fanouts);
      this.fanouts = fanouts;
    }
    const fields = await this.builder.produce(req);
    this.count();
    return fields;
  }

  /** Builds one evaluation batch (the job's evaluation sampler settings, `fanouts` when adaptive). */
  async produceEval(req: BatchRequest, fanouts?: readonly number[]): Promise<BatchFields> {
    await this.ready();
    this.evalBuilder ??= new PartitionBatchBuilder(
      this.owner,
      natsPeers(this.clientOf),
      producerConfigs(this.spec, this.negativeRange).eval,
    );
    if (fanouts && !sameFanouts(fanouts, this.evalFanouts ?? [])) {
      const config = withFanouts(this.evalBuilder.config, [...fanouts]);
      this.evalBuilder.setFanouts(config.sampler.fanouts);
      this.evalFanouts = fanouts;
    }
    return this.evalBuilder.produce(req);
  }

  /** Adds the traffic since the last call to the sampler's counters. */
  private count(): void {
    const m = this.metrics;
    const t = this.builder.traffic;
    const c = this.counted;
    if (m) {
      m.weft_sampler_remote_requests_total.inc(t.expandRequests - c.expandRequests);
      m.weft_sampler_remote_nodes_expanded_total.inc(t.remoteNodesExpanded - c.remoteNodesExpanded);
      m.weft_sampler_remote_feature_rows_total.inc(t.remoteFeatureRows - c.remoteFeatureRows);
      m.weft_sampler_remote_feature_bytes_total.inc(t.remoteFeatureBytes - c.remoteFeatureBytes);
      m.weft_sampler_remote_bytes_total.inc(t.wireBytes - c.wireBytes);
    }
    this.counted = { ...t };
  }
}

/**
 * The peer verbs of a sampler process (part of SamplerProtocol). `get` yields its partition
 * sampling; a sampler without one (cluster.partitions off) answers with a ConfigError naming the field.
 */
export function partitionPeerImplementation(
  get: () => PartitionSampling | undefined,
): Implementation<typeof PartitionPeerProtocol> {
  const sampling = (): PartitionSampling => {
    const p = get();
    if (!p)
      throw new ConfigError('this sampler owns no partition (cluster.partitions is off)', {
        field: FIELD,
      });
    return p;
  };
  const part = (): PartitionOwner => sampling().owner;
  return {
    // Feature rows wait for the part's structural columns (model.structuralFeatures).
    rows: async (req) => {
      if (req.features) await sampling().ready();
      return part().rows(req);
    },
    expand: (req) => part().expand(req),
    splitSeeds: ({ split }) => ({ ids: part().splitSeeds(split) }),
    linkEdges: ({ edgeType }) => part().linkEdges(edgeType),
    inDegrees: ({ part: to, cutoff }) => inDegreeCounts(part().part, cutoff, to),
    maxDegrees: () => sampling().maxDegrees(),
  };
}

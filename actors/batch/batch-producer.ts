// One stage line of the data pipeline, run wherever the sampler lives (a pool worker, or inline in
// the trainer): seeds → sample → gather (fused with the first aggregation) → batch arrays.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { firstLayerInput } from '../../kernels/gather/first-layer-input.js';
import { adviseHugePages } from '../../kernels/native/huge-pages.js';
import { createSampler, type NeighborSampler } from '../../kernels/sampling/neighbor-sampler.js';
import type {
  SampleCallOptions,
  SampledBlock,
  SampledEdgeSubgraph,
  SampledSubgraph,
  SampleEdgesOptions,
  SamplerOptions,
} from '../../kernels/sampling/types.js';
import { PPR_EDGE_ID } from '../../kernels/sampling/ppr-relation.js';
import { featurelessReadsIds, firstLayerFused } from '../job-spec.js';
import { relationFanoutsByType } from '../plan/relation-fanouts.js';
import { DEGREE_POWER, DrawnNegatives } from './drawn-negatives.js';
import { mixHistoryNegatives } from './history-negatives.js';
import {
  activityBytesPerPair,
  activityShape,
  writeActivities,
  type ActivityArrays,
  type ActivityConfig,
} from './activity-sequences.js';
import {
  targetRecencyBytesPerPair,
  targetRecencyShape,
  writeTargetRecency,
} from './target-recency.js';
import type { BatchShape } from '../../runtime/shm-queue-batch.js';
import {
  HEADER_LENGTH,
  writeBatchHeader,
  type BatchFields,
  type BatchKind,
} from './batch-record.js';

export interface ProducerConfig {
  sampler: SamplerOptions;
  /** Compute [x_v | mean x_u] for block 0 here instead of shipping every input row. */
  fuseFirstLayer: boolean;
  /** Link task: negatives per positive pair, drawn uniformly from `negativeRange`. */
  numNegatives: number;
  /** Ship each sampled edge's relation (`t<l>`); the sampler must return edge ids. Default false. */
  edgeTypes?: boolean;
  /** Ship each input row's node type (`nt`, one byte a row) for per-type input projections. */
  nodeTypes?: boolean;
  /** Ship each input row's global id (`nid`, int32) for featureless types that read ID rows. */
  nodeIds?: boolean;
  /** Global id range [lo, hi) of negative candidates (the destination node type). */
  negativeRange?: [number, number];
  /** sampling.relationFanouts: relation name to its per-hop fanouts; absent or empty: none. */
  relationFanouts?: Record<string, number[]>;
  /**
   * Link training, negatives drawn here and filtered against true destinations: 'degree' ∝
   * degree^0.75, 'filtered' uniform (the pool of hard negatives). Absent: the sampler's uniform draw.
   */
  negativeKind?: 'degree' | 'filtered';
  /**
   * Link training: the share of each pair's negatives drawn from its source's earlier partners
   * (link.historyNegatives, history-negatives.ts); the rest as negativeKind says, or uniform
   * filtered against true destinations when it is absent.
   */
  historyNegatives?: number;
  /** Link batches: each pair's source's activities for the temporal model (model.temporal). */
  activities?: ActivityConfig;
  /**
   * Link batches: each target's log gap since its newest edge before its pair's time (`tgtGap`,
   * target-recency.ts), for the target-recency term of the temporal or the static model.
   */
  targetRecency?: boolean;
}

/** A request to sample one batch. */
export interface BatchRequest {
  kind: BatchKind;
  epoch: number;
  batch: number;
  batchSeed: number;
  /** Node / encode batches: the seed node ids. */
  seeds?: Int32Array;
  /** Link batches: the positive pairs and their times (for temporal sampling). */
  src?: Int32Array;
  dst?: Int32Array;
  times?: Float64Array;
  /** Link batches: the first time of the held-out period (long-term targets stay before it). */
  heldOutFrom?: number;
}

/**
 * Builds batches for one graph. Holds one sampler (scratch sized to the graph) and reuses it; the
 * returned record views are filled straight into caller memory (a queue reservation) or fresh arrays.
 */
export class BatchProducer {
  readonly sampler: NeighborSampler;
  private readonly scratch = { buf: new Float32Array(0) };
  /** Bytes of the graph's randomly read arrays now on 2 MiB pages (0 on the wasm kernels). */
  readonly hugePageBytes: number;
  private drawn: DrawnNegatives | undefined;

  constructor(
    readonly graph: SharedGraph,
    readonly config: ProducerConfig,
  ) {
    const relationFanouts = relationFanoutsByType(config.relationFanouts, graph.edgeTypes);
    this.sampler = createSampler(
      graph.csr,
      relationFanouts ? { ...config.sampler, relationFanouts } : config.sampler,
    );
    // Every sampled edge and gathered row is a random read into these; 15-25 % of the producer's
    // time was page walks (bench/NOTES.md, "The producer at native speed").
    this.hugePageBytes = adviseHugePages([graph.csr.indptr, graph.csr.indices, graph.features]);
  }

  /**
   * Samples one batch and writes it through `allocate` (which returns views for a shape: a queue
   * reservation, or plain arrays). Returns the filled arrays.
   */
  produce<T extends BatchFields>(req: BatchRequest, allocate: (shape: BatchShape) => T): T {
    const t0 = performance.now();
    const sub =
      req.kind === 'link'
        ? this.sampler.sampleEdges(req.src!, req.dst!, req.src!.length, this.linkOptions(req))
        : this.sampler.sample(req.seeds!, req.seeds!.length, nodeOptions(req));
    const t1 = performance.now();
    const g = this.graph;
    const edgeTypes = this.config.edgeTypes ? this.writeEdgeTypes.bind(this) : undefined;
    // The temporal model's activity sequences and the targets' gaps ride in the same record.
    const link = req.kind === 'link';
    const activities = link ? this.config.activities : undefined;
    const recency = link && this.config.targetRecency === true;
    const pairs = link ? (sub as SampledEdgeSubgraph).srcLocal.length : 0;
    const sized =
      activities || recency
        ? (shape: BatchShape) =>
            allocate({
              ...shape,
              ...(activities ? activityShape(activities, pairs, g.dim) : {}),
              ...(recency ? targetRecencyShape(pairs, shape.neg?.length ?? 0) : {}),
            })
        : allocate;
    const out = writeSampledFields(sub, req, this.config, g.dim, sized, {
      edgeTypes,
      nodeTypeOf: (v) => g.nodeTypeOf(v),
    });
    if (req.kind === 'node') {
      const y = out.y as Int32Array;
      const labels = g.labels;
      for (let i = 0; i < sub.numSeeds; i++) y[i] = labels ? labels[sub.nodes[i]] : -1;
    }
    if (activities) this.writeActivities(req, out as unknown as ActivityArrays);
    if (recency) this.writeTargetGaps(req, out);
    if (this.config.fuseFirstLayer)
      firstLayerInput(g, sub.nodes, sub.blocks[0], out.x, true, this.scratch);
    else g.gather(sub.nodes, sub.nodes.length, out.x, 0);
    writeSampledHeader(out, sub, req, this.config, t1 - t0, performance.now() - t1);
    return out;
  }

  /** linkOptions, with the negatives drawn here when link.negatives is degree or hard. */
  private linkOptions(req: BatchRequest): SampleEdgesOptions {
    const options = linkOptions(req, this.config, this.sampler.numNodes);
    const k = this.config.numNegatives;
    const history = this.config.historyNegatives ?? 0;
    const kind = this.config.negativeKind ?? (history > 0 ? 'filtered' : undefined);
    if (kind === undefined || k === 0) return options;
    const [lo, hi] = options.negativeRange!;
    const seed = this.config.sampler.seed ?? 0;
    this.drawn ??= new DrawnNegatives(
      this.graph.csr,
      lo,
      hi,
      seed,
      kind === 'degree' ? DEGREE_POWER : 0,
    );
    const negativeIds = this.drawn.draw(req.src!, req.dst!, k, req.batchSeed);
    if (history > 0) {
      if (!req.times)
        throw new Error("link.historyNegatives needs each pair's time (edge timestamps)");
      const [src, dst] = [req.src!, req.dst!];
      mixHistoryNegatives(
        this.graph,
        src,
        dst,
        req.times,
        negativeIds,
        history,
        [lo, hi],
        seed,
        req.batchSeed,
      );
    }
    return { ...options, negativeIds };
  }

  /** The pairs' sources' activities before (and, for long-term targets, after) each pair's time. */
  private writeActivities(req: BatchRequest, out: ActivityArrays): void {
    if (!req.times) throw new Error('the temporal model needs a time per link pair');
    writeActivities(this.graph, this.config.activities!, req.src!, req.times, out, req.heldOutFrom);
  }

  /** Each target's (destination's, negatives') log gap at its pair's time, into `tgtGap`. */
  private writeTargetGaps(req: BatchRequest, f: BatchFields): void {
    if (!req.times) throw new Error('the target-recency term needs a time per link pair');
    const [dst, neg] = [f.dst as Int32Array, f.neg as Int32Array];
    writeTargetRecency(this.graph, req.times, f.seeds, dst, neg, f.tgtGap as Float32Array);
  }

  /**
   * The relation of each sampled edge, read at its CSR position (0 in a single-relation graph); a PPR
   * neighbour (edge id PPR_EDGE_ID) is the relation after the graph's own.
   */
  private writeEdgeTypes(b: SampledBlock, out: Int32Array): void {
    const ids = b.edgeIds;
    if (ids === undefined) throw new Error('edge types need a sampler built with returnEdgeIds');
    const types = this.graph.csr.edgeType;
    const ppr = Math.max(1, this.graph.edgeTypes.length);
    for (let k = 0; k < out.length; k++) {
      const id = ids[k];
      out[k] = id === PPR_EDGE_ID ? ppr : types === undefined ? 0 : types[id];
    }
  }
}

/** A node (or encode) request's sampling options; the sample is copied into the record right away. */
export function nodeOptions(req: BatchRequest): SampleCallOptions {
  return { batchSeed: req.batchSeed, times: req.times, copy: false };
}

/** A link request's sampling options: negatives from the destination type's id range. */
export function linkOptions(
  req: BatchRequest,
  config: ProducerConfig,
  numNodes: number,
): SampleEdgesOptions {
  return {
    negatives: config.numNegatives > 0 ? 'uniform' : 'none',
    numNegatives: config.numNegatives,
    negativeRange: config.negativeRange ?? [0, numNodes],
    times: req.times,
    batchSeed: req.batchSeed,
    copy: false,
  };
}

/** What a record needs read from the graph beside the sample: edge and node types. */
export interface SampledFieldWriters {
  /** Each sampled edge's relation (config.edgeTypes). */
  edgeTypes?: (b: SampledBlock, out: Int32Array) => void;
  /** A global id's node type index (config.nodeTypes). */
  nodeTypeOf?: (globalId: number) => number;
}

/**
 * The record of a sample through `allocate`: its shape (x sized for the fused first layer or every
 * input row), then dims, seeds, the blocks past the fused one, a link batch's pair positions and,
 * with config.nodeTypes and config.nodeIds, each input row's node type `nt` and global id `nid`. The caller writes x, a node batch's
 * labels y, and the header.
 */
export function writeSampledFields<T extends BatchFields>(
  sub: SampledSubgraph,
  req: BatchRequest,
  config: ProducerConfig,
  dim: number,
  allocate: (shape: BatchShape) => T,
  writers: SampledFieldWriters = {},
): T {
  const { edgeTypes, nodeTypeOf } = writers;
  if (config.nodeTypes && !nodeTypeOf) throw new Error('node types need a nodeTypeOf');
  const L = sub.blocks.length;
  const fused = config.fuseFirstLayer;
  const shape: BatchShape = {
    meta: { dtype: 'float64', length: HEADER_LENGTH },
    dims: { dtype: 'int32', length: 2 * L },
    seeds: { dtype: 'int32', length: sub.numSeeds },
    x: { dtype: 'float32', length: (fused ? sub.blocks[0].numDst * 2 : sub.nodes.length) * dim },
  };
  for (let l = fused ? 1 : 0; l < L; l++) {
    const b = sub.blocks[l];
    shape[`ptr${l}`] = { dtype: 'int32', length: b.numDst + 1 };
    shape[`idx${l}`] = { dtype: 'int32', length: b.indices.length };
    if (b.edgeWeight) shape[`w${l}`] = { dtype: 'float32', length: b.edgeWeight.length };
    if (edgeTypes) shape[`t${l}`] = { dtype: 'int32', length: b.indices.length };
  }
  if (req.kind === 'node') shape.y = { dtype: 'int32', length: sub.numSeeds };
  const pairs = req.kind === 'link' ? (sub as SampledEdgeSubgraph) : undefined;
  if (pairs) {
    shape.src = { dtype: 'int32', length: pairs.srcLocal.length };
    shape.dst = { dtype: 'int32', length: pairs.dstLocal.length };
    shape.neg = { dtype: 'int32', length: pairs.negLocal.length };
  }
  if (config.nodeTypes) shape.nt = { dtype: 'uint8', length: sub.nodes.length };
  if (config.nodeIds) shape.nid = { dtype: 'int32', length: sub.nodes.length };
  const out = allocate(shape);
  for (let l = 0; l < L; l++) {
    out.dims[2 * l] = sub.blocks[l].numDst;
    out.dims[2 * l + 1] = sub.blocks[l].numSrc;
  }
  out.seeds.set(sub.nodes.subarray(0, sub.numSeeds));
  for (let l = fused ? 1 : 0; l < L; l++) {
    const b = sub.blocks[l];
    (out[`ptr${l}`] as Int32Array).set(b.indptr);
    (out[`idx${l}`] as Int32Array).set(b.indices);
    if (b.edgeWeight) (out[`w${l}`] as Float32Array).set(b.edgeWeight);
    if (edgeTypes) edgeTypes(b, out[`t${l}`] as Int32Array);
  }
  if (pairs) {
    (out.src as Int32Array).set(pairs.srcLocal);
    (out.dst as Int32Array).set(pairs.dstLocal);
    (out.neg as Int32Array).set(pairs.negLocal);
  }
  if (config.nodeTypes) {
    const nt = out.nt as Uint8Array;
    for (let i = 0; i < nt.length; i++) nt[i] = nodeTypeOf!(sub.nodes[i]);
  }
  if (config.nodeIds) (out.nid as Int32Array).set(sub.nodes.subarray(0, sub.nodes.length));
  return out;
}

/** The header of a sampled record, with the time spent sampling and gathering. */
export function writeSampledHeader(
  out: BatchFields,
  sub: SampledSubgraph,
  req: BatchRequest,
  config: ProducerConfig,
  sampleMs: number,
  gatherMs: number,
): void {
  let edges = 0;
  for (const b of sub.blocks) edges += b.indptr[b.numDst];
  writeBatchHeader(out.meta, {
    epoch: req.epoch,
    batch: req.batch,
    numSeeds: sub.numSeeds,
    edges,
    sampleMs,
    gatherMs,
    numLayers: sub.blocks.length,
    fused: config.fuseFirstLayer,
  });
}

/**
 * An upper bound of one batch record's bytes for a job (sizes the shared-memory ring): every hop
 * at full fanout, nodes never deduplicated.
 */
export function maxBatchBytes(
  spec: {
    task: string;
    sampling: {
      batchSize: number;
      fanouts: number[];
      fuseFirstLayer: boolean;
      relationFanouts?: Record<string, number[]>;
      ppr?: { topK: number; hops: number };
    };
    model: {
      encoder: string;
      temporal?: { enabled: boolean };
      inputProjection?: string;
      featurelessInput?: string;
    };
  },
  graph: { dim: number; numNodes: number },
  numNegatives: number,
  extras: Pick<ProducerConfig, 'activities' | 'targetRecency'> = {},
): number {
  const seeds = spec.sampling.batchSize * (spec.task === 'link' ? 2 + numNegatives : 1);
  const cap = spec.task === 'link' ? Infinity : graph.numNodes;
  let frontier = seeds;
  let nodes = Math.min(seeds, cap);
  let edges = 0;
  let dst0 = nodes;
  // A row draws each listed relation's fanout, and the hop's fanout from the relations not listed.
  const listed = Object.values(spec.sampling.relationFanouts ?? {});
  // And the PPR relation its topK at its hops.
  const ppr = spec.sampling.ppr;
  const f = spec.sampling.fanouts.map(
    (k, h) => listed.reduce((sum, r) => sum + r[h], k) + (ppr && h < ppr.hops ? ppr.topK : 0),
  );
  for (let h = 0; h < f.length; h++) {
    if (h === f.length - 1) dst0 = nodes;
    edges += frontier * f[h];
    frontier *= f[h];
    nodes = Math.min(nodes + frontier, cap);
  }
  const x = firstLayerFused(spec) ? dst0 * 2 * graph.dim : nodes * graph.dim;
  const perEdge = spec.model.encoder === 'rgcn' ? 16 : 12;
  const { activities, targetRecency } = extras;
  const perPair =
    (activities ? activityBytesPerPair(activities, graph.dim) : 0) +
    (targetRecency ? targetRecencyBytesPerPair(numNegatives) : 0);
  const sequences = perPair > 0 ? spec.sampling.batchSize * perPair + 64 * 8 : 0;
  const types =
    (spec.model.inputProjection === 'per-type' ? nodes + 64 : 0) +
    (featurelessReadsIds(spec) ? 4 * nodes + 64 : 0);
  return Math.ceil(4 * x + perEdge * edges + 16 * nodes + 8 * seeds + 4096 + sequences + types);
}

// One stage line of the data pipeline, run wherever the sampler lives (a pool worker, or inline in
// the trainer): seeds → sample → gather (fused with the first aggregation) → batch arrays.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { firstLayerInput } from '../../kernels/gather/first-layer-input.js';
import { createSampler, type NeighborSampler } from '../../kernels/sampling/neighbor-sampler.js';
import type { SampledSubgraph, SamplerOptions } from '../../kernels/sampling/types.js';
import { firstLayerFused } from '../job-spec.js';
import {
  activityBytesPerPair,
  activityShape,
  writeActivities,
  type ActivityArrays,
  type ActivityConfig,
} from './activity-sequences.js';
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
  /** Global id range [lo, hi) of negative candidates (the destination node type). */
  negativeRange?: [number, number];
  /** Link batches: each pair's source's activities for the temporal model (model.temporal). */
  activities?: ActivityConfig;
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
  private readonly sampler: NeighborSampler;
  private readonly scratch = { buf: new Float32Array(0) };

  constructor(
    readonly graph: SharedGraph,
    readonly config: ProducerConfig,
  ) {
    this.sampler = createSampler(graph.csr, config.sampler);
  }

  /**
   * Samples one batch and writes it through `allocate` (which returns views for a shape: a queue
   * reservation, or plain arrays). Returns the filled arrays.
   */
  produce<T extends BatchFields>(req: BatchRequest, allocate: (shape: BatchShape) => T): T {
    const t0 = performance.now();
    const sub = this.sample(req);
    const t1 = performance.now();
    const g = this.graph;
    const d = g.dim;
    const L = sub.blocks.length;
    const fused = this.config.fuseFirstLayer;
    const shape: BatchShape = {
      meta: { dtype: 'float64', length: HEADER_LENGTH },
      dims: { dtype: 'int32', length: 2 * L },
      seeds: { dtype: 'int32', length: sub.numSeeds },
      x: { dtype: 'float32', length: fused ? sub.blocks[0].numDst * 2 * d : sub.nodes.length * d },
    };
    let edges = 0;
    for (let l = fused ? 1 : 0; l < L; l++) {
      const b = sub.blocks[l];
      shape[`ptr${l}`] = { dtype: 'int32', length: b.numDst + 1 };
      shape[`idx${l}`] = { dtype: 'int32', length: b.indices.length };
      if (b.edgeWeight) shape[`w${l}`] = { dtype: 'float32', length: b.edgeWeight.length };
      if (this.config.edgeTypes) shape[`t${l}`] = { dtype: 'int32', length: b.indices.length };
    }
    for (const b of sub.blocks) edges += b.indptr[b.numDst];
    if (req.kind === 'node') shape.y = { dtype: 'int32', length: sub.numSeeds };
    if (req.kind === 'link') {
      const e = sub as SampledSubgraph & {
        srcLocal: Int32Array;
        dstLocal: Int32Array;
        negLocal: Int32Array;
      };
      shape.src = { dtype: 'int32', length: e.srcLocal.length };
      shape.dst = { dtype: 'int32', length: e.dstLocal.length };
      shape.neg = { dtype: 'int32', length: e.negLocal.length };
      if (this.config.activities)
        Object.assign(shape, activityShape(this.config.activities, e.srcLocal.length, d));
    }
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
      if (this.config.edgeTypes) this.writeEdgeTypes(b, out[`t${l}`] as Int32Array);
    }
    if (req.kind === 'node') {
      const y = out.y as Int32Array;
      const labels = g.labels;
      for (let i = 0; i < sub.numSeeds; i++) y[i] = labels ? labels[sub.nodes[i]] : -1;
    }
    if (req.kind === 'link') {
      const e = sub as SampledSubgraph & {
        srcLocal: Int32Array;
        dstLocal: Int32Array;
        negLocal: Int32Array;
      };
      (out.src as Int32Array).set(e.srcLocal);
      (out.dst as Int32Array).set(e.dstLocal);
      (out.neg as Int32Array).set(e.negLocal);
      if (this.config.activities) this.writeActivities(req, out as unknown as ActivityArrays);
    }
    if (fused) firstLayerInput(g, sub.nodes, sub.blocks[0], out.x, true, this.scratch);
    else g.gather(sub.nodes, sub.nodes.length, out.x, 0);
    const t2 = performance.now();
    writeBatchHeader(out.meta, {
      epoch: req.epoch,
      batch: req.batch,
      numSeeds: sub.numSeeds,
      edges,
      sampleMs: t1 - t0,
      gatherMs: t2 - t1,
      numLayers: L,
      fused,
    });
    return out;
  }

  /** The pairs' sources' activities before (and, for long-term targets, after) each pair's time. */
  private writeActivities(req: BatchRequest, out: ActivityArrays): void {
    if (!req.times) throw new Error('the temporal model needs a time per link pair');
    writeActivities(this.graph, this.config.activities!, req.src!, req.times, out, req.heldOutFrom);
  }

  /** The relation of each sampled edge, read at its CSR position (0 in a single-relation graph). */
  private writeEdgeTypes(b: SampledSubgraph['blocks'][number], out: Int32Array): void {
    const ids = b.edgeIds;
    if (ids === undefined) throw new Error('edge types need a sampler built with returnEdgeIds');
    const types = this.graph.csr.edgeType;
    if (types === undefined) out.fill(0);
    else for (let k = 0; k < out.length; k++) out[k] = types[ids[k]];
  }

  private sample(req: BatchRequest): SampledSubgraph {
    if (req.kind === 'link') {
      const [lo, hi] = this.config.negativeRange ?? [0, this.graph.numNodes];
      const count = req.src!.length;
      return this.sampler.sampleEdges(req.src!, req.dst!, count, {
        negatives: this.config.numNegatives > 0 ? 'uniform' : 'none',
        numNegatives: this.config.numNegatives,
        negativeRange: [lo, hi],
        times: req.times,
        batchSeed: req.batchSeed,
        copy: false,
      });
    }
    const seeds = req.seeds!;
    // The sample is copied into the batch record right away: views of the sampler's scratch do.
    return this.sampler.sample(seeds, seeds.length, {
      batchSeed: req.batchSeed,
      times: req.times,
      copy: false,
    });
  }
}

/**
 * An upper bound of one batch record's bytes for a job (sizes the shared-memory ring): every hop
 * at full fanout, nodes never deduplicated.
 */
export function maxBatchBytes(
  spec: {
    task: string;
    sampling: { batchSize: number; fanouts: number[]; fuseFirstLayer: boolean };
    model: { encoder: string; temporal?: { enabled: boolean } };
  },
  graph: { dim: number; numNodes: number },
  numNegatives: number,
  activities?: ActivityConfig,
): number {
  const seeds = spec.sampling.batchSize * (spec.task === 'link' ? 2 + numNegatives : 1);
  const cap = spec.task === 'link' ? Infinity : graph.numNodes;
  let frontier = seeds;
  let nodes = Math.min(seeds, cap);
  let edges = 0;
  let dst0 = nodes;
  const f = spec.sampling.fanouts;
  for (let h = 0; h < f.length; h++) {
    if (h === f.length - 1) dst0 = nodes;
    edges += frontier * f[h];
    frontier *= f[h];
    nodes = Math.min(nodes + frontier, cap);
  }
  const x = firstLayerFused(spec) ? dst0 * 2 * graph.dim : nodes * graph.dim;
  const perEdge = spec.model.encoder === 'rgcn' ? 16 : 12;
  const sequences = activities
    ? spec.sampling.batchSize * activityBytesPerPair(activities, graph.dim) + 64 * 7
    : 0;
  return Math.ceil(4 * x + perEdge * edges + 16 * nodes + 8 * seeds + 4096 + sequences);
}

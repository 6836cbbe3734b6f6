// Reads a batch record (in place, from a queue record or plain arrays) as what the model consumes:
// blocks, first-layer input, and the task's target — no copies.
import type { BlockLike, SubgraphBatch } from '../../kernels/nn/block.js';
import type { LinkTarget } from '../../kernels/nn/link-head.js';
import type { NodeTarget } from '../../kernels/nn/node-head.js';
import type { TemporalInputs } from '../../kernels/nn/temporal-model.js';
import { readBatchHeader, type BatchFields, type BatchHeader } from './batch-record.js';

/** A batch as the model reads it: the header's place and costs, blocks and input, and its target. */
export interface BatchView extends Pick<
  BatchHeader,
  'epoch' | 'batch' | 'numSeeds' | 'edges' | 'sampleMs' | 'gatherMs'
> {
  model: SubgraphBatch;
  /** Global ids of the seeds. */
  seeds: Int32Array;
  node?: NodeTarget;
  link?: LinkTarget & { numNegatives: number };
}

export function viewBatch(f: BatchFields): BatchView {
  const h = readBatchHeader(f.meta);
  const L = h.numLayers;
  const fused = h.fused;
  const blocks: BlockLike[] = [];
  for (let l = 0; l < L; l++) {
    const numDst = f.dims[2 * l];
    const numSrc = f.dims[2 * l + 1];
    if (l === 0 && fused) {
      // Block 0 was aggregated by the sampler; only its shape travels.
      blocks.push({ numDst, numSrc, indptr: new Int32Array(1), indices: new Int32Array(0) });
      continue;
    }
    const w = f[`w${l}`] as Float32Array | undefined;
    const t = f[`t${l}`] as Int32Array | undefined;
    blocks.push({
      numDst,
      numSrc,
      indptr: f[`ptr${l}`] as Int32Array,
      indices: f[`idx${l}`] as Int32Array,
      ...(w ? { edgeWeight: w } : {}),
      ...(t ? { edgeType: t } : {}),
    });
  }
  const model: SubgraphBatch = fused
    ? { blocks, features: new Float32Array(0), layer0: f.x, numSeeds: f.seeds.length }
    : { blocks, features: f.x, numSeeds: f.seeds.length };
  if (f.nt) model.nodeType = f.nt as Uint8Array;
  if (f.nid) model.inputIds = f.nid as Int32Array;
  const view: BatchView = {
    epoch: h.epoch,
    batch: h.batch,
    numSeeds: f.seeds.length,
    edges: h.edges,
    sampleMs: h.sampleMs,
    gatherMs: h.gatherMs,
    model,
    seeds: f.seeds,
  };
  if (f.y) view.node = { labels: f.y as Int32Array };
  if (f.src) {
    const src = f.src as Int32Array;
    const neg = f.neg as Int32Array;
    view.link = {
      src,
      dst: f.dst as Int32Array,
      negDst: neg.length > 0 ? neg : undefined,
      numNegatives: src.length > 0 ? neg.length / src.length : 0,
    };
    const temporal = temporalOf(f);
    if (temporal) view.link.temporal = temporal;
    if (f.tgtGap) view.link.targetGap = f.tgtGap as Float32Array;
  }
  return view;
}

/** The temporal model's inputs of a link batch that carries them. */
function temporalOf(f: BatchFields): TemporalInputs | undefined {
  if (!f.actCount) return undefined;
  const inputs: TemporalInputs = {
    x: f.actX as Float32Array,
    logGap: f.actGap as Float32Array,
    rel: f.actRel as Int32Array,
    count: f.actCount as Int32Array,
  };
  if (f.actIds) inputs.pointer = { ids: f.actIds as Int32Array, seedIds: f.seeds };
  if (f.pairIds)
    inputs.partners = {
      ids: f.pairIds as Int32Array,
      logGap: f.pairGap as Float32Array,
      count: f.pairCount as Int32Array,
    };
  const count = f.futCount as Int32Array | undefined;
  if (count && count.length > 0) {
    const pairs = inputs.count.length;
    const ids = f.futIds as Int32Array;
    inputs.future = {
      windows: count.length / pairs,
      cap: ids.length / count.length,
      x: f.futX as Float32Array,
      count,
      ids,
    };
  }
  return inputs;
}

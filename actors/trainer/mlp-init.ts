// MLPinit: trains the GNN's own weight matrices as a plain MLP on node features (every node's only
// "neighbour" is itself, so no graph is read), then the GNN starts from those weights.
//
// GraphSAGE's layer is [h_v | mean h_u] · [W_self; W_neigh]; with N(v) = {v} it is an MLP on
// [h_v | h_v], so both halves of every W learn from features alone (MLPinit, Han et al., ICLR 2023).
// GAT's layer with N(v) = {v} attends to v alone (α = 1), R-GCN's has no relation neighbours:
// both are MLPs on h_v through their own weights.
import { Xoshiro128Float } from '../../runtime/prng.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { BlockLike, SubgraphBatch } from '../../kernels/nn/block.js';
import type { ParamMap } from '../../kernels/nn/params.js';
import { initBackend } from '../../kernels/tf/backend.js';
import { batchSeed, makeEpochPlan } from '../plan/epoch-plan.js';
import type { JobSpec } from '../job-spec.js';
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import { ParameterStore } from '../parameter-server/parameter-store.js';
import type { SeedSource } from '../plan/seed-source.js';
import type { LinkTarget } from '../../kernels/nn/link-head.js';
import { writeTargetRecency } from '../batch/target-recency.js';
import { buildModel } from './trainer-core.js';

export interface MlpInitResult {
  params: ParamMap;
  /** Wall seconds of the MLP phase (part of the job's time to any quality). */
  seconds: number;
  steps: number;
  /** Mean loss of the last MLP epoch. */
  lastLoss: number;
}

/** Stream of the MLP phase's negatives, apart from the job's other random streams. */
const STREAM_MLP = 11;

/**
 * A batch whose every layer maps n nodes to the same n nodes through self loops: layer 0's input is
 * [x_v | x_v] when `fused` (the feature gather is the only read), deeper layers average a node with
 * itself. Unfused (attention encoders), layer 0 reads the features x_v and has no edges: the
 * encoder's own self loop is v's only neighbour. `typed` (per-type input projections): the raw rows
 * travel with their node types, and a GraphSAGE batch (`fused`) gets self-loop edges in every block.
 */
export function selfLoopBatch(
  graph: SharedGraph,
  nodes: Int32Array,
  layers: number,
  fused = true,
  typed = false,
): SubgraphBatch {
  const n = nodes.length;
  const d = graph.dim;
  const x = new Float32Array(n * d);
  graph.gather(nodes, n, x, 0);
  const ptr = new Int32Array(n + 1);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ptr[i + 1] = i + 1;
    idx[i] = i;
  }
  const loops: BlockLike = { numDst: n, numSrc: n, indptr: ptr, indices: idx };
  const bare: BlockLike = {
    numDst: n,
    numSrc: n,
    indptr: new Int32Array(n + 1),
    indices: new Int32Array(0),
    edgeType: new Int32Array(0),
  };
  if (typed) {
    const nodeType = Uint8Array.from(nodes, (v) => graph.nodeTypeOf(v));
    const blocks = Array.from({ length: layers }, () => (fused ? loops : bare));
    return { blocks, features: x, numSeeds: n, nodeType };
  }
  if (!fused)
    return { blocks: Array.from({ length: layers }, () => bare), features: x, numSeeds: n };
  const layer0 = new Float32Array(n * 2 * d);
  for (let i = 0; i < n; i++) {
    layer0.set(x.subarray(i * d, (i + 1) * d), i * 2 * d);
    layer0.set(x.subarray(i * d, (i + 1) * d), i * 2 * d + d);
  }
  const shape0 = { numDst: n, numSrc: n, indptr: new Int32Array(1), indices: new Int32Array(0) };
  const blocks = Array.from({ length: layers }, (_, l) => (l === 0 ? shape0 : loops));
  return { blocks, features: new Float32Array(0), layer0, numSeeds: n };
}

/**
 * The MLP batch of link pairs `ids`: its nodes (sources, destinations, then k negatives per pair
 * drawn from [lo, hi)) and its target, with every target's gap at its pair's time when the static
 * model scores the target-recency term (the temporal model's terms sit the MLP phase out).
 */
function linkPairs(
  spec: JobSpec,
  graph: SharedGraph,
  source: Extract<SeedSource, { kind: 'link' }>,
  ids: Int32Array,
  k: number,
  [lo, hi]: [number, number],
  rng: Xoshiro128Float,
): { nodes: Int32Array; target: LinkTarget } {
  const m = ids.length;
  const nodes = new Int32Array(m * (2 + k));
  const src = new Int32Array(m);
  const dst = new Int32Array(m);
  const neg = new Int32Array(m * k);
  for (let i = 0; i < m; i++) {
    nodes[i] = source.src[ids[i]];
    nodes[m + i] = source.dst[ids[i]];
    src[i] = i;
    dst[i] = m + i;
  }
  for (let q = 0; q < m * k; q++) {
    nodes[2 * m + q] = lo + Math.floor(rng.next() * (hi - lo));
    neg[q] = 2 * m + q;
  }
  const target: LinkTarget = { src, dst, ...(k > 0 ? { negDst: neg } : {}) };
  const t = spec.model.temporal;
  if (t.targetRecency && !t.enabled) {
    if (!source.times) throw new Error('the target-recency term needs a time per link pair');
    const times = Float64Array.from(ids, (e) => source.times![e]);
    target.targetGap = new Float32Array(m * (1 + k));
    writeTargetRecency(graph, times, nodes, dst, neg, target.targetGap);
  }
  return { nodes, target };
}

/**
 * Runs `spec.train.mlpInit.epochs` passes of the MLP over the training seeds (same batch size,
 * optimizer, learning rate and negatives as the job) from `initial`; returns the trained weights.
 * Runs on the calling thread (it loads the job's TensorFlow.js backend there).
 */
export async function mlpInitParams(
  spec: JobSpec,
  graph: SharedGraph,
  source: SeedSource,
  train: Int32Array,
  initial: ParamMap,
  negativeRange?: [number, number],
): Promise<MlpInitResult> {
  const t0 = performance.now();
  await initBackend(spec.runtime.backend);
  const model = buildModel(
    spec,
    graph.dim,
    Math.max(1, graph.numClasses),
    Math.max(1, graph.edgeTypes.length),
    typeColumnsOf(graph.manifest),
  );
  const store = new ParameterStore(
    {
      kind: spec.train.optimizer,
      lr: spec.train.lr,
      momentum: spec.train.momentum,
      weightDecay: spec.train.weightDecay,
    } as ConstructorParameters<typeof ParameterStore>[0],
    initial,
  );
  const L = spec.model.layers;
  const fused = spec.model.encoder === 'sage';
  const typed = spec.model.inputProjection === 'per-type';
  const bs = spec.sampling.batchSize;
  const k = spec.task === 'link' && spec.link.negatives !== 'in-batch' ? spec.link.numNegatives : 0;
  const [lo, hi] = negativeRange ?? [0, graph.numNodes];
  let steps = 0;
  let lastLoss = NaN;
  try {
    for (let epoch = 0; epoch < spec.train.mlpInit.epochs; epoch++) {
      const plan = makeEpochPlan(
        train,
        bs,
        spec.train.seed ^ 0x3a1f,
        epoch,
        spec.train.maxStepsPerEpoch,
      );
      let lossSum = 0;
      for (let b = 0; b < plan.numBatches; b++) {
        const ids = plan.order.subarray(b * bs, Math.min((b + 1) * bs, plan.order.length));
        const m = ids.length;
        model.setParams(store.params);
        let r;
        if (source.kind === 'node') {
          const labels = new Int32Array(m);
          for (let i = 0; i < m; i++) labels[i] = graph.labels ? graph.labels[ids[i]] : -1;
          r = model.forwardBackward(selfLoopBatch(graph, Int32Array.from(ids), L, fused, typed), {
            labels,
          });
        } else {
          const rng = new Xoshiro128Float(batchSeed(spec.train.seed, epoch, b), STREAM_MLP);
          const { nodes, target } = linkPairs(spec, graph, source, ids, k, [lo, hi], rng);
          r = model.forwardBackward(selfLoopBatch(graph, nodes, L, fused, typed), target);
        }
        store.push(r.grads, 1, spec.train.lr);
        lossSum += r.loss;
        steps++;
      }
      lastLoss = plan.numBatches > 0 ? lossSum / plan.numBatches : NaN;
    }
  } finally {
    model.dispose();
  }
  const params: ParamMap = new Map();
  for (const [name, v] of store.params) params.set(name, Float32Array.from(v));
  return { params, seconds: (performance.now() - t0) / 1000, steps, lastLoss };
}

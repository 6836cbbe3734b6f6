// GraphSAGE (mean aggregator) over sampled blocks with a node-classification or link-prediction head;
// parameters are named Float32Arrays owned elsewhere, and a step returns the loss and named gradients.

import * as tf from '@tensorflow/tfjs-core';
import { csrMean } from '../ops/csr-mean.js';
import { csrMeanFromData } from '../ops/csr-mean-data.js';
import { ShapeError } from '../tf/errors.js';
import { recordTime } from '../tf/op-timer.js';
import { validateBatch, type SubgraphBatch } from './block.js';
import { dense } from './dense.js';
import { gatherRows } from '../ops/gather-rows.js';
import { dropout, dropoutFromData } from './dropout.js';
import { gatEncode, gatParamSpecs, type GatConfig } from './gat.js';
import { rgcnEncode, rgcnParamSpecs, type RgcnConfig } from './rgcn.js';
import { gcnEncode, gcnParamSpecs, type GcnConfig } from './gcn.js';
import {
  addIdEmbedding,
  idEmbeddingParamSpecs,
  ID_PROJECTION,
  type IdEmbeddingConfig,
} from './id-embedding.js';
import {
  idInputRows,
  inputProjectionParamSpecs,
  projectInputs,
  readsIdRows,
  type InputProjectionConfig,
} from './input-projection.js';
import { l2Normalize } from './l2-normalize.js';
import { layerNorm } from './layer-norm.js';
import { LinkPredictionHead, type LinkTarget, type LinkTaskConfig } from './link-head.js';
import { NodeClassificationHead, type NodeTarget, type NodeTaskConfig } from './node-head.js';
import { checkParams, initParams, sizeOfShape, type ParamMap, type ParamSpec } from './params.js';
import { relu } from './relu.js';
import { mixSeed } from '../../runtime/prng.js';
import type { LogitsCapture } from './softmax-cross-entropy.js';
import {
  TemporalActivityModel,
  type TemporalConfig,
  type TemporalInputs,
} from './temporal-model.js';

export interface GraphSageConfig {
  /** Input feature width (features are [numSrc0 × inDim]). */
  inDim: number;
  /** Width of every hidden layer. */
  hiddenDim: number;
  /** Output width: number of classes (node task) or embedding size (link task). */
  outDim: number;
  /** Number of SAGE layers = number of blocks per batch. Default 2. */
  numLayers?: number;
  /** Dropout on hidden activations (between layers). Default 0.5. */
  dropout?: number;
  /** Dropout on the first layer's input [h_dst | mean(h_src)]. Default 0. */
  inputDropout?: number;
  /** Normalisation of hidden layers: 'l2' rows after ReLU, 'layer' LayerNorm before ReLU. Default 'none'. */
  norm?: 'none' | 'l2' | 'layer';
  /** L2-normalise the final outputs (embeddings for dot decoders). Default 'none'. */
  outputNorm?: 'none' | 'l2';
  /** Weighted mean when blocks carry edgeWeight. Default true. */
  useEdgeWeights?: boolean;
  /** Check every batch's shapes and indices (O(edges)). Default true. */
  validate?: boolean;
  /** Seed of the dropout stream when forwardBackward gets no dropoutSeed. Default 0. */
  seed?: number;
  /** Per-node ID embeddings added to the output (rows passed in per batch); absent: none. */
  idEmbedding?: IdEmbeddingConfig;
  /**
   * Per node type input projections to hiddenDim before the first layer (the batch then carries
   * `nodeType`); absent: the first layer reads the features as they are.
   */
  inputProjection?: InputProjectionConfig;
  /** The message-passing layers: GraphSAGE mean (default), GAT attention or R-GCN relations. */
  encoder?: { kind: 'sage' } | GatConfig | RgcnConfig | GcnConfig;
  /** Link task: the temporal activity model scores pairs whose batches carry sequences. */
  temporal?: TemporalConfig;
  task: NodeTaskConfig | LinkTaskConfig;
}

/** Where evaluation reads a pair's sequence: the batch's sequences and each scored entry's pair. */
export interface TemporalScoring {
  inputs: TemporalInputs;
  /** The pairs' source rows among the seeds (their graph embeddings join the sequence summary). */
  pairSrc: Int32Array;
  /** For each scored entry, the pair whose sequence scores it. */
  seq: Int32Array;
}

/** What scoring link entries reads beyond the embeddings (each part only where the model uses it). */
export interface LinkScoring {
  /** The temporal model's sequences (model.temporal). */
  temporal?: TemporalScoring;
  /** For each scored entry, its target's log gap at its pair's time (the target-recency term). */
  targetGap?: Float32Array;
}

/**
 * What exact ranking needs of the temporal model for each pair (kernels/metrics/candidate-ranking.ts):
 * its H member embeddings [P × H·d] and, with the pointer term, its attention over its N activities
 * [P × N] (padding 0).
 */
export interface MemberRows {
  embeddings: Float32Array;
  pointer?: Float32Array;
}

export interface StepOptions {
  /** Seed of this step's dropout masks; default: derived from config.seed and stepsTaken. */
  dropoutSeed?: number;
  /**
   * The batch's ID-embedding rows, in the order of {@link GraphSage.idRowIds}: the seeds' rows
   * [numSeeds × idEmbedding.dim] (with idEmbedding), then the featureless input rows' [k × hiddenDim]
   * (with inputProjection featureless 'id'); absent: no seed rows (the GNN output alone) and the
   * unseen row (zeros) for every featureless input row.
   */
  idRows?: Float32Array;
}

export interface StepResult {
  loss: number;
  /** One gradient per parameter name, same layout as the parameter. */
  grads: ParamMap;
  /** Gradient of the loss with respect to StepOptions.idRows, same layout (when given). */
  idRowGrads?: Float32Array;
  /** Node task: the seeds' logits [numSeeds × outDim] (computed anyway for the loss). */
  logits?: Float32Array;
  timingsMs: { forward: number; backward: number; copyOut: number };
}

type Target = NodeTarget | LinkTarget;

/** A batch's ID rows as the model reads them: the seeds' (output add-on), the featureless inputs'. */
interface IdRowTensors {
  seeds: tf.Tensor2D | null;
  inputs: tf.Tensor2D | null;
}

/** Typed arrays end to end in one new array. */
function concatData(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of parts) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * The model: an encoder stack (GraphSAGE below, GAT in gat.ts, R-GCN in rgcn.ts) and a task head.
 * GraphSAGE layer l maps [n_src × d_l] to [n_dst × d_{l+1}] by
 *   z = [h_dst | mean_{u ∈ N(v)} h_u] · W_l + b_l      (W_l = [W_self; W_neigh], one matmul)
 * then, for hidden layers, LayerNorm?, ReLU, L2?, dropout. Layer 0 reads the features directly.
 */
export class GraphSage {
  readonly config: Readonly<
    Required<Omit<GraphSageConfig, 'task' | 'idEmbedding' | 'temporal' | 'inputProjection'>>
  > & {
    task: GraphSageConfig['task'];
    idEmbedding?: IdEmbeddingConfig;
    inputProjection?: InputProjectionConfig;
  };
  /** Width of the first layer's input rows: hiddenDim after per-type projections, else inDim. */
  private readonly layerInDim: number;
  private readonly specs: ParamSpec[];
  /** The temporal activity model (model.temporal), scoring link pairs that carry sequences. */
  readonly temporal: TemporalActivityModel | undefined;
  private readonly head: NodeClassificationHead | LinkPredictionHead;
  private params = new Map<string, tf.Tensor>();
  /** Steps run without an explicit dropout seed; part of the state to restore on resume. */
  stepsTaken = 0;

  constructor(config: GraphSageConfig) {
    const c = {
      numLayers: 2,
      dropout: 0.5,
      inputDropout: 0,
      norm: 'none' as const,
      outputNorm: 'none' as const,
      useEdgeWeights: true,
      validate: true,
      seed: 0,
      encoder: { kind: 'sage' } as const,
      ...config,
    };
    for (const [k, v] of [
      ['inDim', c.inDim],
      ['hiddenDim', c.hiddenDim],
      ['outDim', c.outDim],
      ['numLayers', c.numLayers],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ShapeError(`model.${k}`, `must be a positive integer, got ${v}`);
    for (const [k, v] of [
      ['dropout', c.dropout],
      ['inputDropout', c.inputDropout],
    ] as const)
      if (!(v >= 0 && v < 1)) throw new ShapeError(`model.${k}`, `must be in [0, 1), got ${v}`);
    this.config = c;
    this.layerInDim = c.inputProjection ? c.hiddenDim : c.inDim;
    const shape = { ...c, inDim: this.layerInDim };
    this.head =
      c.task.kind === 'node'
        ? new NodeClassificationHead()
        : new LinkPredictionHead(c.task, c.outDim);
    this.specs = c.inputProjection
      ? inputProjectionParamSpecs(c.inputProjection, c.inDim, c.hiddenDim)
      : [];
    this.specs.push(
      ...(c.encoder.kind === 'gat'
        ? gatParamSpecs(shape, c.encoder)
        : c.encoder.kind === 'rgcn'
          ? rgcnParamSpecs(shape, c.encoder)
          : c.encoder.kind === 'gcn'
            ? gcnParamSpecs(shape)
            : []),
    );
    for (let l = 0; l < c.numLayers && c.encoder.kind === 'sage'; l++) {
      const din = l === 0 ? this.layerInDim : c.hiddenDim;
      const dout = l === c.numLayers - 1 ? c.outDim : c.hiddenDim;
      this.specs.push({
        name: `sage${l}.weight`,
        shape: [2 * din, dout],
        // Glorot of each half ([W_self; W_neigh]) as if they were two layers.
        init: { kind: 'glorot', fanIn: din, fanOut: dout },
      });
      this.specs.push({ name: `sage${l}.bias`, shape: [dout], init: { kind: 'zeros' } });
      if (c.norm === 'layer' && l < c.numLayers - 1) {
        this.specs.push({ name: `sage${l}.norm.gamma`, shape: [dout], init: { kind: 'ones' } });
        this.specs.push({ name: `sage${l}.norm.beta`, shape: [dout], init: { kind: 'zeros' } });
      }
    }
    if (this.head instanceof LinkPredictionHead) this.specs.push(...this.head.paramSpecs());
    if (c.idEmbedding) this.specs.push(...idEmbeddingParamSpecs(c.idEmbedding, c.outDim));
    this.temporal = c.temporal ? new TemporalActivityModel(c.temporal) : undefined;
    if (this.temporal) this.specs.push(...this.temporal.paramSpecs());
  }

  /**
   * Parameters a step leaves off the loss's path (they get zero gradients): the ID projection
   * without ID rows; the temporal model's without sequences, the decoder's with them.
   */
  private unusedParams(withRows: boolean, temporalPath: boolean): Set<string> {
    const out = new Set<string>();
    if (!withRows) out.add(ID_PROJECTION);
    if (this.temporal) {
      const off = temporalPath
        ? this.head instanceof LinkPredictionHead
          ? this.head.paramSpecs()
          : []
        : this.temporal.paramSpecs();
      for (const s of off) out.add(s.name);
    }
    return out;
  }

  /** The link loss: the temporal model's when the batch carries sequences, else the head's. */
  private linkLoss(
    out: tf.Tensor2D,
    target: LinkTarget,
    p: ReadonlyMap<string, tf.Tensor>,
  ): tf.Scalar {
    const head = this.head as LinkPredictionHead;
    if (!this.temporal || !target.temporal) return head.loss(out, target, p);
    const { src, dst } = target;
    let negDst = target.negDst;
    if (negDst === undefined) {
      // In-batch negatives: the next K pairs' destinations, cyclically.
      const k = Math.min(head.numNegatives, src.length - 1);
      negDst = Int32Array.from(
        { length: src.length * k },
        (_, j) => dst[(Math.floor(j / k) + 1 + (j % k)) % src.length],
      );
    }
    const { temporal, targetGap } = target;
    return this.temporal.loss(out, { src, dst, negDst, temporal, targetGap }, p);
  }

  /** Names, shapes and initialisers of all parameters, in a fixed order. */
  paramSpecs(): ParamSpec[] {
    return this.specs.map((s) => ({ ...s, shape: s.shape.slice() }));
  }

  numParams(): number {
    return this.specs.reduce((n, s) => n + sizeOfShape(s.shape), 0);
  }

  /** Fresh parameters (Glorot uniform weights, zero biases, unit norm gains) for `seed`. */
  init(seed: number): ParamMap {
    return initParams(this.specs, seed);
  }

  /** Uploads parameter values for the following steps (copied; the caller keeps ownership). */
  setParams(values: ParamMap): void {
    checkParams(this.specs, values);
    const next = new Map<string, tf.Tensor>();
    for (const s of this.specs)
      next.set(s.name, tf.tensor(values.get(s.name)!, s.shape, 'float32'));
    this.disposeParams();
    this.params = next;
  }

  private requireParams(): void {
    if (this.params.size === 0) throw new ShapeError('params', 'setParams() has not been called');
  }

  /** The input rows that read an ID row (featureless types with featureless 'id'), in row order. */
  private idInputRowsOf(batch: SubgraphBatch): Int32Array {
    const c = this.config.inputProjection;
    if (!c || !readsIdRows(c)) return new Int32Array(0);
    if (batch.nodeType === undefined)
      throw new ShapeError('nodeType', "per-type input projections need each input row's type");
    return idInputRows(c, batch.nodeType);
  }

  /**
   * The node ids whose ID-embedding rows a batch reads, in the order `idRows` lists them: the seeds
   * (`seeds`, with idEmbedding), then the featureless input rows' nodes (`batch.inputIds`).
   */
  idRowIds(batch: SubgraphBatch, seeds: Int32Array): Int32Array {
    const rows = this.idInputRowsOf(batch);
    const own = this.config.idEmbedding ? seeds : new Int32Array(0);
    if (rows.length === 0) return own;
    const ids = batch.inputIds;
    if (ids === undefined)
      throw new ShapeError('inputIds', 'featureless types read ID rows: the batch needs node ids');
    const out = new Int32Array(own.length + rows.length);
    out.set(own);
    for (let j = 0; j < rows.length; j++) out[own.length + j] = ids[rows[j]];
    return out;
  }

  /** The rows as tensors, checked against the batch: the seeds' and the featureless inputs'. */
  private idRowsTensors(batch: SubgraphBatch, idRows: Float32Array | undefined): IdRowTensors {
    const c = this.config;
    // The seeds are the last block's destinations.
    const numSeeds = batch.blocks[batch.blocks.length - 1].numDst;
    const seedDim = c.idEmbedding?.dim;
    const k = this.idInputRowsOf(batch).length;
    const reads = c.inputProjection !== undefined && readsIdRows(c.inputProjection);
    // No rows: the seeds add none, and featureless inputs read the unseen row (zeros) (MLPinit).
    if (idRows === undefined)
      return { seeds: null, inputs: reads ? tf.zeros([k, c.hiddenDim]) : null };
    if (seedDim === undefined && !reads)
      throw new ShapeError('idRows', 'the model has no idEmbedding config');
    const seedLen = seedDim === undefined ? 0 : numSeeds * seedDim;
    if (idRows.length !== seedLen + k * c.hiddenDim)
      throw new ShapeError(
        'idRows',
        `${idRows.length} values for ${numSeeds} seeds × ${seedDim ?? 0} and ${k} featureless input rows × ${c.hiddenDim}`,
      );
    return {
      seeds:
        seedDim === undefined
          ? null
          : tf.tensor2d(idRows.subarray(0, seedLen), [numSeeds, seedDim]),
      inputs: reads ? tf.tensor2d(idRows.subarray(seedLen), [k, c.hiddenDim]) : null,
    };
  }

  /** encode(), plus the seeds' ID rows when given. */
  private encodeWithIds(
    batch: SubgraphBatch,
    p: ReadonlyMap<string, tf.Tensor>,
    dropoutSeed: number | null,
    rows: IdRowTensors,
  ): tf.Tensor2D {
    const h = this.encode(batch, p, dropoutSeed, rows.inputs);
    return rows.seeds === null
      ? h
      : addIdEmbedding(h, rows.seeds, p.get(ID_PROJECTION) as tf.Tensor2D | undefined);
  }

  private encode(
    batch: SubgraphBatch,
    p: ReadonlyMap<string, tf.Tensor>,
    dropoutSeed: number | null,
    inputIdRows: tf.Tensor2D | null,
  ): tf.Tensor2D {
    const c = this.config;
    const input = this.projectedInput(batch, p, inputIdRows);
    const shape = { ...c, inDim: this.layerInDim };
    if (c.encoder.kind === 'gat') {
      const drop = { seed: dropoutSeed, rate: c.dropout };
      const h = gatEncode(batch, p, shape, c.encoder, drop, input);
      return c.outputNorm === 'l2' ? l2Normalize(h) : h;
    }
    if (c.encoder.kind === 'rgcn' || c.encoder.kind === 'gcn') {
      const drop = { seed: dropoutSeed, rate: c.dropout };
      const h =
        c.encoder.kind === 'rgcn'
          ? rgcnEncode(batch, p, shape, c.encoder, drop, input)
          : gcnEncode(batch, p, shape, drop, input);
      return c.outputNorm === 'l2' ? l2Normalize(h) : h;
    }
    const opts = { selfConcat: true, weighted: c.useEdgeWeights };
    let h: tf.Tensor2D | null = input;
    for (let l = 0; l < c.numLayers; l++) {
      const block = batch.blocks[l];
      const last = l === c.numLayers - 1;
      const inputDrop = l === 0 && dropoutSeed !== null && c.inputDropout > 0;
      const inputSeed = inputDrop ? mixSeed(dropoutSeed, 0x1000) : 0;
      // The first layer reads the producer's data, unless per-type projections made its input.
      const fromData = l === 0 && input === null;
      const fused = fromData && batch.layer0 !== undefined;
      let x: tf.Tensor2D;
      if (!fromData) x = csrMean(h!, block, opts);
      else if (!fused) x = csrMeanFromData(batch.features, c.inDim, block, opts);
      else {
        // The producer's rows go to the backend once, dropped out on the way when training.
        const shape = [block.numDst, 2 * c.inDim];
        const rate = inputDrop ? c.inputDropout : 0;
        x = dropoutFromData(batch.layer0!, shape, rate, inputSeed) as tf.Tensor2D;
      }
      if (inputDrop && !fused) x = dropout(x, c.inputDropout, inputSeed);
      const fuseRelu = !last && c.norm !== 'layer';
      const drop =
        !last && dropoutSeed !== null && c.dropout > 0
          ? { rate: c.dropout, seed: mixSeed(dropoutSeed, l) }
          : null;
      // Without normalisation, ReLU and dropout fuse into the dense op (its backward needs no mask).
      const fuseDropout = drop !== null && c.norm === 'none';
      let z = dense(
        x,
        p.get(`sage${l}.weight`) as tf.Tensor2D,
        p.get(`sage${l}.bias`) as tf.Tensor1D,
        fuseDropout
          ? { relu: fuseRelu, xIsData: l === 0 && input === null, dropout: drop }
          : { relu: fuseRelu, xIsData: l === 0 && input === null },
      );
      if (!last) {
        if (c.norm === 'layer') {
          const g = p.get(`sage${l}.norm.gamma`) as tf.Tensor1D;
          const b = p.get(`sage${l}.norm.beta`) as tf.Tensor1D;
          z = relu(layerNorm(z, g, b));
        }
        if (c.norm === 'l2') z = l2Normalize(z);
        if (drop !== null && !fuseDropout) z = dropout(z, drop.rate, drop.seed);
      } else if (c.outputNorm === 'l2') {
        z = l2Normalize(z);
      }
      h = z;
    }
    return h!;
  }

  /** The input rows projected type by type ([numSrc_0 × hiddenDim]); null without projections. */
  private projectedInput(
    batch: SubgraphBatch,
    p: ReadonlyMap<string, tf.Tensor>,
    idRows: tf.Tensor2D | null,
  ): tf.Tensor2D | null {
    const c = this.config;
    if (!c.inputProjection) return null;
    if (batch.layer0 !== undefined)
      throw new ShapeError('layer0', 'per-type input projections need the raw features of block 0');
    if (batch.nodeType === undefined)
      throw new ShapeError('nodeType', "per-type input projections need each input row's type");
    const { inDim, hiddenDim } = c;
    const ids = idRows ?? undefined;
    return projectInputs(
      batch.features,
      batch.nodeType,
      inDim,
      hiddenDim,
      c.inputProjection,
      p,
      ids,
    );
  }

  private checkBatch(batch: SubgraphBatch): void {
    if (this.config.validate) validateBatch(batch, this.config.numLayers, this.config.inDim);
    else if (batch.blocks.length !== this.config.numLayers)
      throw new ShapeError(
        'blocks',
        `${batch.blocks.length} blocks, model has ${this.config.numLayers} layers`,
      );
  }

  /**
   * One training step's compute: forward with dropout, loss, gradients of every parameter copied
   * out as Float32Arrays. Leaves no tensors behind.
   */
  forwardBackward(batch: SubgraphBatch, target: Target, opts: StepOptions = {}): StepResult {
    this.requireParams();
    this.checkBatch(batch);
    const seed = opts.dropoutSeed ?? mixSeed(this.config.seed, this.stepsTaken++);
    const rows = this.idRowsTensors(batch, opts.idRows);
    const rowInputs = [rows.seeds, rows.inputs].filter((t): t is tf.Tensor2D => t !== null);
    const unused = this.unusedParams(
      rows.seeds !== null,
      this.temporal !== undefined && (target as LinkTarget).temporal !== undefined,
    );
    const names = this.specs.map((s) => s.name).filter((n) => !unused.has(n));
    const capture: LogitsCapture = {};
    const cpuNow = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const t0 = performance.now();
    const c0 = cpuNow();
    let tForward = t0;
    let cForward = c0;
    const lossFn = (...ps: tf.Tensor[]): tf.Scalar => {
      const p = new Map(names.map((n, i) => [n, ps[i]] as const));
      // The rows follow the parameters: the seeds' (when given), then the featureless inputs'.
      const at = names.length;
      const inputsAt = rows.seeds === null ? at : at + 1;
      const given = {
        seeds: rows.seeds === null ? null : (ps[at] as tf.Tensor2D),
        inputs: rows.inputs === null ? null : (ps[inputsAt] as tf.Tensor2D),
      };
      const out = this.encodeWithIds(batch, p, seed, given);
      const loss =
        this.head instanceof NodeClassificationHead
          ? this.head.loss(out, target as NodeTarget, capture)
          : this.linkLoss(out, target as LinkTarget, p);
      tForward = performance.now();
      cForward = cpuNow();
      return loss;
    };
    const inputs = names.map((n) => this.params.get(n)!);
    inputs.push(...rowInputs);
    let value: tf.Scalar;
    let grads: tf.Tensor[];
    try {
      ({ value, grads } = tf.valueAndGrads(lossFn)(inputs));
    } finally {
      for (const t of rowInputs) t.dispose();
    }
    const tBackward = performance.now();
    const cBackward = cpuNow();
    const out = new Map<string, Float32Array>();
    let loss: number;
    let idRowGrads: Float32Array | undefined;
    try {
      loss = value.dataSync()[0];
      for (let i = 0; i < names.length; i++)
        out.set(names[i], Float32Array.from(grads[i].dataSync() as Float32Array));
      if (opts.idRows !== undefined)
        idRowGrads = concatData(grads.slice(names.length).map((g) => g.dataSync() as Float32Array));
      for (const s of this.specs)
        if (unused.has(s.name)) out.set(s.name, new Float32Array(sizeOfShape(s.shape)));
    } finally {
      value.dispose();
      for (const g of grads) g.dispose();
    }
    const tEnd = performance.now();
    const cEnd = cpuNow();
    const timingsMs = {
      forward: tForward - t0,
      backward: tBackward - tForward,
      copyOut: tEnd - tBackward,
    };
    recordTime('step.forward', timingsMs.forward, cForward - c0);
    recordTime('step.backward', timingsMs.backward, cBackward - cForward);
    recordTime('step.copyOut', timingsMs.copyOut, cEnd - cBackward);
    const result: StepResult = { loss, grads: out, timingsMs };
    if (capture.logits !== undefined) result.logits = capture.logits;
    if (idRowGrads !== undefined) result.idRowGrads = idRowGrads;
    return result;
  }

  /** Evaluation forward (no dropout): the seeds' outputs [numSeeds × outDim], row-major. */
  forward(batch: SubgraphBatch, idRows?: Float32Array): Float32Array {
    this.requireParams();
    this.checkBatch(batch);
    const out = tf.tidy(() =>
      this.encodeWithIds(batch, this.params, null, this.idRowsTensors(batch, idRows)),
    );
    try {
      return Float32Array.from(out.dataSync() as Float32Array);
    } finally {
      out.dispose();
    }
  }

  /** Node embeddings for `weft embed`: the final layer's outputs for the seeds (same as forward). */
  embed(batch: SubgraphBatch, idRows?: Float32Array): Float32Array {
    return this.forward(batch, idRows);
  }

  /**
   * Link task: scores (logits) of seed-row pairs (src[p], dst[p]), without dropout: the decoder's,
   * or with `scoring.temporal` the temporal model's (entry p scored by the sequence of pair
   * temporal.seq[p]); with the target-recency term, plus entry p's term of `scoring.targetGap[p]`.
   */
  scoreLinks(
    batch: SubgraphBatch,
    src: Int32Array,
    dst: Int32Array,
    idRows?: Float32Array,
    scoring: LinkScoring = {},
  ): Float32Array {
    if (!(this.head instanceof LinkPredictionHead))
      throw new ShapeError('task', 'scoreLinks needs a link task');
    const head = this.head;
    this.requireParams();
    this.checkBatch(batch);
    const s = tf.tidy(() => {
      const emb = this.encodeWithIds(batch, this.params, null, this.idRowsTensors(batch, idRows));
      const { temporal, targetGap } = scoring;
      if (!this.temporal || !temporal) return head.score(emb, src, dst, this.params, targetGap);
      // Sequences in chunks sized to the heap (sequence-memory.ts), whatever eval.batchSize is.
      const members = this.temporal.memberEmbeddings(
        emb,
        temporal.pairSrc,
        temporal.inputs,
        this.params,
        this.temporal.evalChunk(),
      );
      const targets = gatherRows(emb, dst) as tf.Tensor2D;
      return this.temporal.score(members, temporal.seq, targets, dst, targetGap);
    });
    try {
      return Float32Array.from(s.dataSync() as Float32Array);
    } finally {
      s.dispose();
    }
  }

  /**
   * The temporal model's side of pairs (src[p] their source rows among the seeds, one sequence per
   * pair), without dropout, as scoreLinks scores them: member embeddings and pointer attention.
   */
  memberRows(
    batch: SubgraphBatch,
    src: Int32Array,
    inputs: TemporalInputs,
    idRows?: Float32Array,
  ): MemberRows {
    const temporal = this.temporal;
    if (!temporal) throw new ShapeError('model.temporal', 'memberRows needs the temporal model');
    this.requireParams();
    this.checkBatch(batch);
    const out = tf.tidy(() => {
      const emb = this.encodeWithIds(batch, this.params, null, this.idRowsTensors(batch, idRows));
      const m = temporal.memberEmbeddings(emb, src, inputs, this.params, temporal.evalChunk());
      // Column 0 of the pointer's weights is the start token's (always 0): activities from 1.
      const ptr = m.pointer && tf.slice(m.pointer.weights, [0, 1], [-1, -1]);
      return ptr ? [m.embeddings, ptr] : [m.embeddings];
    });
    try {
      const [e, ptr] = out.map((t) => Float32Array.from(t.dataSync() as Float32Array));
      return ptr ? { embeddings: e, pointer: ptr } : { embeddings: e };
    } finally {
      for (const t of out) t.dispose();
    }
  }

  private disposeParams(): void {
    for (const t of this.params.values()) t.dispose();
    this.params = new Map();
  }

  /** Frees the uploaded parameters. */
  dispose(): void {
    this.disposeParams();
  }
}

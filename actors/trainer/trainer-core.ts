// The trainer's work without the actor around it: one model, local gradient aggregation over N
// batches, evaluation by inline sampling. The actor feeds it batches and carries its syncs.
import { dropIdGradients, dropIdRows, type DroppedRows } from './id-row-dropout.js';
import { ConfigError, WeftError } from '../../runtime/errors.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import type { InputProjectionConfig, TypeColumns } from '../../kernels/nn/input-projection.js';
import { GraphSage } from '../../kernels/nn/graphsage.js';
import type { GatConfig } from '../../kernels/nn/gat.js';
import type { RgcnConfig } from '../../kernels/nn/rgcn.js';
import type { GcnConfig } from '../../kernels/nn/gcn.js';
import type { TemporalConfig } from '../../kernels/nn/temporal-model.js';
import type { ParamMap } from '../../kernels/nn/params.js';
import { accuracy, argmaxRows, macroF1 } from '../../kernels/metrics/index.js';
import { encoderRelations, featurelessReadsIds, type JobSpec } from '../job-spec.js';
import { scaledLr } from '../parameter-server/optimizer-config.js';

export { scaledLr };
import { batchSeed } from '../plan/epoch-plan.js';
import { evalBatches, evalEpoch, evalSubset, type EvalSplit } from '../plan/eval-plan.js';
import {
  linkEvalExtras,
  linkHistory,
  type LinkEvalExtras,
  type LinkHistory,
} from '../plan/link-history.js';
import { LinkEvaluation } from './link-evaluation.js';
import { sampledLinkScores } from './link-scores.js';
import { cutoffsOf, EvaluatedPairs, exactRanking, pairTimesOf } from './exact-evaluation.js';
import { allocateArrays, type BatchFields } from '../batch/batch-record.js';
import { BatchProducer, type ProducerConfig } from '../batch/batch-producer.js';
import { requestFor, type SeedSource } from '../plan/seed-source.js';
import { sameFanouts, withFanouts } from '../plan/adaptive-fanouts.js';
import { viewBatch, type BatchView } from '../batch/batch-view.js';
import { logGapBefore } from '../batch/target-recency.js';
import { idTableConfigOf } from '../parameter-server/id-table-spec.js';
import { evalRelationsOf, withRelationPrefix, type EvalRelation } from '../plan/eval-relations.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import { SparseGradSum, type SparseRows } from '../parameter-server/sparse-grad-sum.js';

/** Fetches the ID-embedding rows of `ids` from wherever the table lives; `create` false for evaluation. */
export type IdRowSource = (ids: Int32Array, create: boolean) => Promise<Float32Array>;

/** The seeds' ID rows added to the output (model.idEmbedding.enabled), as wide as the table's rows. */
function idEmbeddingOf(spec: JobSpec, numClasses: number): { idEmbedding?: { dim: number } } {
  const table = idTableConfigOf(spec, numClasses);
  return table && spec.model.idEmbedding.enabled ? { idEmbedding: { dim: table.dim } } : {};
}

/**
 * The job's model. `numRelations` is the graph's number of edge types (its manifest's edgeTypes),
 * which the relation-aware encoder needs one weight for each of.
 */
export function buildModel(
  spec: JobSpec,
  inDim: number,
  numClasses: number,
  numRelations = 1,
  inputTypes: readonly TypeColumns[] = [],
): GraphSage {
  const task =
    spec.task === 'node'
      ? { kind: 'node' as const }
      : {
          kind: 'link' as const,
          decoder: spec.model.decoder,
          // Degree-biased negatives reach the head as explicit rows, like uniform ones.
          negatives: spec.link.negatives === 'degree' ? ('uniform' as const) : spec.link.negatives,
          hardRatio: spec.link.hard.ratio,
          loss: spec.link.loss,
          numNegatives: spec.link.numNegatives,
          // The temporal model adds the term itself; the static head adds it without one.
          targetRecency: spec.model.temporal.targetRecency && !spec.model.temporal.enabled,
        };
  return new GraphSage({
    inDim,
    hiddenDim: spec.model.hidden,
    outDim: spec.task === 'node' ? numClasses : spec.model.hidden,
    numLayers: spec.model.layers,
    dropout: spec.model.dropout,
    inputDropout: spec.model.dropout,
    norm: spec.model.norm,
    outputNorm: 'none',
    seed: spec.train.seed,
    validate: false,
    task,
    ...idEmbeddingOf(spec, numClasses),
    ...encoderOf(spec, encoderRelations(spec, numRelations)),
    ...temporalOf(spec, inDim, numRelations),
    ...inputProjectionOf(spec, inputTypes),
  });
}

/** Per-type input projections (model.inputProjection per-type) over the graph's type columns. */
function inputProjectionOf(
  spec: JobSpec,
  types: readonly TypeColumns[],
): { inputProjection?: InputProjectionConfig } {
  if (spec.model.inputProjection !== 'per-type') return {};
  if (types.length === 0)
    throw new ConfigError('is per-type but the graph has no node types to project', {
      field: 'model.inputProjection',
    });
  return { inputProjection: { types, featureless: featurelessReadsIds(spec) ? 'id' : 'vector' } };
}

/** The temporal activity model's config (model.temporal); absent when it is off. */
function temporalOf(
  spec: JobSpec,
  inDim: number,
  numRelations: number,
): { temporal?: TemporalConfig } {
  const t = spec.model.temporal;
  if (!t.enabled || spec.task !== 'link') return {};
  return {
    temporal: {
      inDim,
      dim: spec.model.hidden,
      sequenceLength: t.sequenceLength,
      layers: t.layers,
      heads: t.heads,
      embeddings: t.embeddings,
      score: t.score,
      timeEncoding: t.timeEncoding,
      pointer: t.pointer,
      targetRecency: t.targetRecency,
      pairRecency: t.pairRecency,
      pairRank: t.pairRank,
      numRelations,
      longTermWeights: t.longTerm.enabled ? t.longTerm.weights : [],
      cosine: spec.model.decoder === 'cosine',
      loss: spec.link.loss,
    },
  };
}

/** The encoder's config; absent for sage, so GraphSAGE models are built exactly as before. */
function encoderOf(
  spec: JobSpec,
  numRelations: number,
): { encoder?: GatConfig | RgcnConfig | GcnConfig } {
  if (spec.model.encoder === 'rgcn')
    return {
      encoder: {
        kind: 'rgcn',
        numRelations,
        numBases: spec.model.relations.bases,
        aggregate: spec.model.relations.aggregate,
        attentionDim: spec.model.relations.attentionDim,
      },
    };
  if (spec.model.encoder === 'gcn') return { encoder: { kind: 'gcn' } };
  if (spec.model.encoder !== 'gat') return {};
  const a = spec.model.attention;
  return {
    encoder: {
      kind: 'gat',
      heads: a.heads,
      outputHeads: a.outputHeads,
      attentionDropout: a.dropout,
      negativeSlope: a.negativeSlope,
    },
  };
}

/** Edge types of a graph held here or described by its shape. */
export function relationsOf(graph: SharedGraph | GraphShape): number {
  return 'edgeTypes' in graph ? Math.max(1, graph.edgeTypes.length) : graph.numRelations;
}

/** Node types' feature columns of a graph held here or described by its shape. */
export function inputTypesOf(graph: SharedGraph | GraphShape): TypeColumns[] {
  return 'manifest' in graph ? typeColumnsOf(graph.manifest) : graph.inputTypes;
}

/** What the model needs of a graph that this process does not hold. */
export interface GraphShape {
  dim: number;
  numClasses: number;
  numNodes: number;
  /** Edge types of the graph. */
  numRelations: number;
  /** Each node type's feature columns (graph-store/type-columns.ts). */
  inputTypes: TypeColumns[];
}

/**
 * Evaluation batches of one split, wherever they are made: batch `b`, the split's batch count and,
 * for a link task, the baselines' scores and filter flags of its pairs.
 */
export interface EvalBatches {
  next(b: number): Promise<{ view: BatchView; count: number; extras?: LinkEvalExtras }>;
}

/** Work that needs the graph in this process, asked of a trainer whose samplers hold it. */
export class NoLocalGraphError extends WeftError {
  constructor(what: string) {
    super('no-local-graph', `cannot ${what}`);
  }
}

/** Everything evaluation needs: the split's seeds (node ids, or edge ids into the link source). */
export interface EvalSets {
  val: Int32Array;
  test: Int32Array;
}

/** One relation evaluated inline: its pairs and held-out sets, and what is kept between evaluations. */
interface EvalTarget {
  source: SeedSource;
  sets: EvalSets;
  /** Destination ids its negatives and exact candidates come from (undefined: every node). */
  negativeRange?: [number, number];
  /** The split's evaluated seeds (capped by eval.maxNodes) and link history, made once. */
  subsets: Map<EvalSplit, Int32Array>;
  histories: Map<EvalSplit, LinkHistory | undefined>;
  /** The evaluation producer of a listed relation (its own negative range); the job's for the main. */
  producer?: BatchProducer;
}

export class TrainerCore {
  readonly model: GraphSage;
  private accum: ParamMap | undefined;
  private accumCount = 0;
  /** ID-embedding row gradients summed over the local batches, and the last mean taken. */
  private readonly idAccum: SparseGradSum | undefined;
  /** Means taken since the last push, summed (one per push, or one per local-SGD step). */
  private readonly idTaken: SparseGradSum | undefined;
  /** Rows pulled for a batch ahead of its step, keyed by the batch's seed array (slices share it). */
  private attached = new WeakMap<Int32Array, Float32Array>();
  /** Values per row of the ID-embedding table (0 without one). */
  readonly idDim: number;
  /** Where evaluation reads ID-embedding rows (set by the actor that knows the parameter servers). */
  idRowSource: IdRowSource | undefined;
  private trainProducer: BatchProducer | undefined;
  private evalProducer: BatchProducer | undefined;
  /** Adaptive sampling: fanouts replacing the configs' from now on (undefined: the configs'). */
  private fanouts: number[] | undefined;
  /** The parameters set last (the decoder's are read by exact ranking). */
  private params: ParamMap | undefined;
  /** eval.relations, scored after the job's own relation at every link evaluation. */
  evalRelations: EvalRelation[] = [];
  /** Inline evaluation state per relation key ('' for the trained relation). */
  private readonly targets = new Map<string, EvalTarget>();

  constructor(
    readonly spec: JobSpec,
    /** The graph in this process, or only its shape where the samplers hold it (cluster.partitions). */
    readonly graph: SharedGraph | GraphShape,
    readonly seeds: SeedSource,
    readonly evalSets: EvalSets,
    readonly producerConfig: ProducerConfig,
    /** Evaluation batches: same sampler, more negatives for ranking metrics. */
    readonly evalProducerConfig: ProducerConfig = producerConfig,
  ) {
    this.model = buildModel(
      spec,
      graph.dim,
      Math.max(1, graph.numClasses),
      relationsOf(graph),
      inputTypesOf(graph),
    );
    const dim = idTableConfigOf(spec, Math.max(1, graph.numClasses))?.dim;
    this.idDim = dim ?? 0;
    this.idAccum = dim === undefined ? undefined : new SparseGradSum(dim);
    this.idTaken = dim === undefined ? undefined : new SparseGradSum(dim);
  }

  /** Whether batches need ID-embedding rows (model.idEmbedding, model.featurelessInput id). */
  get usesIdRows(): boolean {
    return this.idAccum !== undefined;
  }

  /**
   * The node ids whose ID-embedding rows a batch reads, in the order step() and evaluation take
   * them: its seeds (rows added to the output), then its featureless input rows' nodes.
   */
  idRowIds(view: BatchView): Int32Array {
    return this.model.idRowIds(view.model, view.seeds);
  }

  setParams(params: ParamMap): void {
    this.model.setParams(params);
    this.params = params;
  }

  /** Forward + backward of one batch; gradients are added to the local accumulator. */
  step(view: BatchView, stepIndex: number, idRows?: Float32Array): number {
    const target = view.node ?? view.link!;
    const dropoutSeed = batchSeed(this.spec.train.seed ^ 0x5eed, view.epoch, stepIndex);
    idRows ??= this.attached.get(view.seeds);
    if (this.idAccum && !idRows)
      throw new Error("the ID-embedding table is on: step() needs the batch's ID-embedding rows");
    // Row dropout is for the seeds' rows (the output add-on), which come first.
    const seedRows = this.model.config.idEmbedding ? view.seeds.length : 0;
    const kept = idRows && this.dropRows(idRows, seedRows, dropoutSeed);
    const r = this.model.forwardBackward(
      view.model,
      target,
      kept ? { dropoutSeed, idRows: kept.rows } : { dropoutSeed },
    );
    if (this.idAccum && r.idRowGrads) {
      if (kept) dropIdGradients(r.idRowGrads, this.idDim, kept.dropped);
      this.idAccum.add(this.idRowIds(view), r.idRowGrads);
    }
    if (this.accum === undefined) this.accum = r.grads;
    else
      for (const [name, g] of r.grads) {
        const a = this.accum.get(name)!;
        for (let i = 0; i < g.length; i++) a[i] += g[i];
      }
    this.accumCount++;
    return r.loss;
  }

  /**
   * ID-row dropout of one step (model.idEmbedding.rowDropout) over the first `numSeeds` rows, seeded
   * by the step's dropout seed.
   */
  private dropRows(rows: Float32Array, numSeeds: number, seed: number): DroppedRows {
    const p = this.spec.model.idEmbedding.rowDropout;
    return dropIdRows(rows, this.idDim, p, seed ^ 0x1d0d, numSeeds);
  }

  /** True when N local batches have been aggregated (or `force` at the end of an epoch). */
  readyToSync(force = false): boolean {
    return this.accumCount > 0 && (force || this.accumCount >= this.spec.train.localSteps);
  }

  /** The mean gradient over the local batches since the last sync; resets the accumulator. */
  takeGradients(): ParamMap {
    const g = this.accum!;
    const n = this.accumCount;
    if (n > 1) for (const a of g.values()) for (let i = 0; i < a.length; i++) a[i] /= n;
    // The table's rows get the same mean over the local batches (duplicates across batches summed).
    if (this.idAccum && this.idTaken) {
      const mean = this.idAccum.take(n);
      if (mean.ids.length > 0) this.idTaken.add(mean.ids, mean.grads);
    }
    this.accum = undefined;
    this.accumCount = 0;
    return g;
  }

  /** The ID-embedding row gradients of the last takeGradients() (once; undefined without a table). */
  takeIdGradients(): SparseRows | undefined {
    return this.idTaken?.take();
  }

  /** Gives a batch its ID-embedding rows (of idRowIds) ahead of step() (callers that cannot pass them). */
  attachIdRows(view: BatchView, rows: Float32Array): void {
    this.attached.set(view.seeds, rows);
  }

  /** The ID-embedding rows of an evaluation batch (no rows created), or undefined. */
  private async evalRows(v: BatchView): Promise<Float32Array | undefined> {
    if (!this.idAccum) return undefined;
    if (!this.idRowSource)
      throw new Error('the ID-embedding table is on but no ID-row source is set');
    return this.idRowSource(this.idRowIds(v), false);
  }

  /** Adaptive sampling: the fanouts set last (undefined: the job's). */
  get currentFanouts(): number[] | undefined {
    return this.fanouts;
  }

  /** Adaptive sampling: inline and evaluation batches sample with `fanouts` from now on. */
  setFanouts(fanouts: readonly number[]): void {
    if (this.fanouts && sameFanouts(this.fanouts, fanouts)) return;
    this.fanouts = [...fanouts];
    this.trainProducer = undefined;
    this.evalProducer = undefined;
    for (const t of this.targets.values()) t.producer = undefined;
  }

  /** The graph this process holds: inline sampling and MLPinit need it. */
  localGraph(): SharedGraph {
    if (!('csr' in this.graph))
      throw new NoLocalGraphError('sample inline: the samplers hold the graph here');
    return this.graph;
  }

  private producer(forEval: boolean, target?: EvalTarget): BatchProducer {
    const graph = this.localGraph();
    if (forEval && target && target.source !== this.seeds)
      return (target.producer ??= new BatchProducer(
        graph,
        withFanouts(
          { ...this.evalProducerConfig, negativeRange: target.negativeRange },
          this.fanouts,
        ),
      ));
    if (forEval)
      return (this.evalProducer ??= new BatchProducer(
        graph,
        withFanouts(this.evalProducerConfig, this.fanouts),
      ));
    return (this.trainProducer ??= new BatchProducer(
      graph,
      withFanouts(this.producerConfig, this.fanouts),
    ));
  }

  /** Samples and encodes one batch inline (evaluation, or training with handoff 'inline'). */
  sampleInline(
    order: Int32Array,
    epoch: number,
    batch: number,
    batchSize: number,
    forEval = false,
  ): BatchView {
    return viewBatch(this.sampleFields(order, epoch, batch, batchSize, forEval));
  }

  /** The record of one batch sampled inline (of a listed relation's pairs when `target` is one). */
  private sampleFields(
    order: Int32Array,
    epoch: number,
    batch: number,
    batchSize: number,
    forEval: boolean,
    target?: EvalTarget,
  ): BatchFields {
    const req = requestFor(
      target?.source ?? this.seeds,
      order,
      epoch,
      batch,
      batchSize,
      batchSeed(this.spec.train.seed, epoch, batch),
    );
    const fields = this.producer(forEval, target).produce(req, (shape) =>
      allocateArrays<BatchFields>(shape),
    );
    return fields;
  }

  /** The inline evaluation state of relation `key` ('' the trained one), made on first use. */
  private target(key = ''): EvalTarget {
    let t = this.targets.get(key);
    if (t) return t;
    const listed = this.evalRelations.find((r) => r.key === key)?.target;
    if (key !== '' && !listed) throw new Error(`no evaluated relation ${key}`);
    t = {
      source: listed?.source ?? this.seeds,
      sets: listed?.sets ?? this.evalSets,
      negativeRange: listed ? listed.negativeRange : this.producerConfig.negativeRange,
      subsets: new Map(),
      histories: new Map(),
    };
    this.targets.set(key, t);
    return t;
  }

  /** The split's link history of a relation, made once. */
  private historyOf(t: EvalTarget, split: EvalSplit): LinkHistory | undefined {
    if (!t.histories.has(split)) t.histories.set(split, linkHistory(t.source, t.sets, split));
    return t.histories.get(split);
  }

  /** Evaluation batches sampled here, on the graph this process holds. */
  private inlineEval(split: EvalSplit, t: EvalTarget = this.target()): EvalBatches {
    this.localGraph(); // throws where the samplers hold the graph
    let ids = t.subsets.get(split);
    if (!ids) {
      ids = evalSubset(this.spec, t.sets[split], split);
      t.subsets.set(split, ids);
    }
    const subset = ids;
    const count = evalBatches(this.spec, subset.length);
    const history = this.historyOf(t, split);
    return {
      next: async (b) => {
        const fields = this.sampleFields(
          subset,
          evalEpoch(split),
          b,
          this.spec.eval.batchSize,
          true,
          t,
        );
        const extras = history ? linkEvalExtras(fields, history) : undefined;
        return { view: viewBatch(fields), count, ...(extras ? { extras } : {}) };
      },
    };
  }

  /** Metrics of the current parameters on a split: accuracy/macro-F1, or AUC/MRR/hits@10. */
  async evaluate(split: EvalSplit, given?: EvalBatches): Promise<Record<string, number>> {
    const batches = given ?? this.inlineEval(split);
    // The batch count is known once the first batch is (a sampler's answer carries it).
    let numBatches = 1;
    if (this.spec.task === 'node') {
      const k = Math.max(1, this.graph.numClasses);
      const preds: number[] = [];
      const labels: number[] = [];
      for (let b = 0; b < numBatches; b++) {
        const got = await batches.next(b);
        numBatches = got.count;
        if (numBatches === 0) break;
        const v = got.view;
        const logits = this.model.forward(v.model, await this.evalRows(v));
        const p = argmaxRows(logits, k);
        for (let i = 0; i < v.numSeeds; i++) {
          if (v.node!.labels[i] < 0) continue;
          preds.push(p[i]);
          labels.push(v.node!.labels[i]);
        }
      }
      return {
        accuracy: accuracy(preds, labels),
        macro_f1: macroF1(preds, labels, k),
        count: labels.length,
      };
    }
    const own = await this.evaluateLinks(split, batches);
    // eval.relations: each listed relation's metrics beside the trained one's, under its key.
    const out = { ...own };
    for (const r of this.evalRelations) {
      if (!r.target) {
        Object.assign(out, withRelationPrefix(r.key, own));
        continue;
      }
      const t = this.target(r.key);
      const m = await this.evaluateLinks(split, this.inlineEval(split, t), t);
      Object.assign(out, withRelationPrefix(r.key, m));
    }
    return out;
  }

  /** Link metrics: sampled ranking batch by batch; with eval.ranking exact, all candidates too. */
  private async evaluateLinks(
    split: EvalSplit,
    batches: EvalBatches,
    target?: EvalTarget,
  ): Promise<Record<string, number>> {
    const ev = new LinkEvaluation(cutoffsOf(this.spec));
    const exact = this.spec.eval.ranking === 'exact' ? new EvaluatedPairs() : undefined;
    let numBatches = 1;
    for (let b = 0; b < numBatches; b++) {
      const got = await batches.next(b);
      numBatches = got.count;
      if (numBatches === 0) break;
      const v = got.view;
      const link = v.link!;
      if (!got.extras) throw new Error('link evaluation batch without its baseline scores');
      const rows = await this.evalRows(v);
      const { pos, neg } = sampledLinkScores(this.model, v, rows);
      ev.add(
        pos,
        neg,
        Int32Array.from(link.src, (r) => v.seeds[r]),
        got.extras,
      );
      if (exact) this.collectExact(exact, v, rows);
    }
    const sampled = ev.metrics();
    if (!exact) return sampled;
    return { ...sampled, ...(await this.exactMetrics(split, exact, target ?? this.target())) };
  }

  /**
   * The sources' side of a batch's pairs at each pair's own time, as the sampled ranking scored
   * them: graph embeddings, or the temporal model's member embeddings and pointer attention.
   */
  private collectExact(exact: EvaluatedPairs, v: BatchView, rows: Float32Array | undefined): void {
    const link = v.link!;
    if (!this.model.temporal || !link.temporal) {
      exact.add(v.seeds, link.src, link.dst, this.model.embed(v.model, rows));
      return;
    }
    const members = this.model.memberRows(v.model, link.src, link.temporal, rows);
    const ids = link.temporal.pointer?.ids;
    const partners = link.temporal.partners;
    const acts = ids && { ids, logGap: link.temporal.logGap, ...(partners ? { partners } : {}) };
    exact.addMembers(v.seeds, link.src, link.dst, members, acts);
  }

  /** eval.ranking exact: the split's evaluated pairs ranked among every destination candidate. */
  private async exactMetrics(
    split: EvalSplit,
    pairs: EvaluatedPairs,
    t: EvalTarget,
  ): Promise<Record<string, number>> {
    const graph = this.localGraph();
    const source = t.source;
    if (source.kind !== 'link') return {};
    const history = this.historyOf(t, split)!;
    let batch = 0;
    const subset = t.subsets.get(split) ?? evalSubset(this.spec, t.sets[split], split);
    const pairTimes = pairTimesOf(source, subset, pairs);
    return exactRanking({
      spec: this.spec,
      src: source.src,
      dst: source.dst,
      times: source.times,
      pairs,
      ...(pairTimes ? { pairTimes } : {}),
      ...(this.recencyScored()
        ? { targetGap: (node: number, time: number) => logGapBefore(graph, node, time) }
        : {}),
      split: t.sets[split],
      candidates: t.negativeRange ?? [0, graph.numNodes],
      history,
      params: this.params,
      embed: (ids, time) => this.embedAt(ids, time, batch++),
    });
  }

  /** Whether the model (temporal or static) scores link targets with the target-recency term. */
  private recencyScored(): boolean {
    return this.spec.task === 'link' && this.spec.model.temporal.targetRecency;
  }

  /** Embedding rows of distinct node ids, their neighbourhoods drawn before `time` (eval sampler). */
  private async embedAt(ids: Int32Array, time: number, batch: number): Promise<Float32Array> {
    const req = {
      kind: 'encode' as const,
      epoch: EXACT_EPOCH,
      batch,
      batchSeed: batchSeed(this.spec.train.seed, EXACT_EPOCH, batch),
      seeds: ids,
      times: new Float64Array(ids.length).fill(time),
    };
    const view = viewBatch(
      this.producer(true).produce(req, (shape) => allocateArrays<BatchFields>(shape)),
    );
    if (view.numSeeds !== ids.length || view.seeds.some((v, i) => i < ids.length && v !== ids[i]))
      throw new Error('exact ranking: the embedded rows are not the ids asked for');
    return this.model.embed(view.model, await this.evalRows(view));
  }
}

/**
 * A trainer core over a graph this process holds, with the job's seeds, sampler settings and
 * eval.relations (weft eval, and tests that step a model by hand).
 */
export function coreOverGraph(
  spec: JobSpec,
  graph: SharedGraph,
): { core: TrainerCore; seeds: ReturnType<typeof seedsOf> } {
  const seeds = seedsOf(spec, graph);
  const producers = producerConfigs(spec, seeds.negativeRange);
  const core = new TrainerCore(
    spec,
    graph,
    seeds.source,
    { val: seeds.val, test: seeds.test },
    producers.train,
    producers.eval,
  );
  core.evalRelations = evalRelationsOf(spec, graph);
  return { core, seeds };
}

/** The epoch number keying the sampling of exact ranking's embeddings (apart from every other). */
const EXACT_EPOCH = 3_000_000;

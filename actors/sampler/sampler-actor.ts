// The sampler actor, one class wherever it runs: rebuilds each epoch's plan from the seed and either
// serves the batches it owns when trainers fetch them (over NATS; credits say which come next), or
// pushes them through a pool of threads into the ring of a trainer in its own process.
import { jobGraph } from '../plan/feature-norm.js';
import { graphBytesLoaded, openGraph } from '../../graph-store/open-graph.js';
import { fromHandle, type GraphHandle, type SharedGraph } from '../../graph-store/shared-graph.js';
import { Actor, implement } from '../../runtime/actor.js';
import { WeftError } from '../../runtime/errors.js';
import { actorMetrics } from '../actor-metrics.js';
import { batchSeed, type EpochPlan } from '../plan/epoch-plan.js';
import { evalBatches, evalEpoch, evalSubset, type EvalSplit } from '../plan/eval-plan.js';
import { linkEvalExtras, linkHistory, type LinkHistory } from '../plan/link-history.js';
import { coldStartWarning } from '../plan/cold-sources.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import type { JobSpec } from '../job-spec.js';
import { setFanouts, type RoleMetrics } from '../metrics-catalogue.js';
import { readBatchHeader, allocateArrays, type BatchFields } from '../batch/batch-record.js';
import { BatchProducer, type ProducerConfig } from '../batch/batch-producer.js';
import { requestFor, type SeedSource } from '../plan/seed-source.js';
import { sameFanouts, withFanouts } from '../plan/adaptive-fanouts.js';
import type { LinkGroups } from '../plan/link-groups.js';
import { EpochFanouts } from '../plan/adaptive-fanouts.js';
import { epochPlanOf, groupedSource, linkGroupsOf } from '../plan/link-groups.js';
import { PartitionPeerProtocol } from './partition-protocol.js';
import {
  PartitionSampling,
  partitionLayoutOf,
  partitionPeerImplementation,
} from './partition-sampling.js';
import { SamplerProtocol } from '../protocols.js';
import { PoolSink, type SinkConfig } from './pool-sink.js';
import { honourShutdown, requireControlSecret } from '../control-secret.js';

export interface SamplerConfig {
  spec: JobSpec;
  /** The graph in shared memory (a sampler of `weft train`); absent: opened from spec.graph. */
  graph?: GraphHandle;
  /**
   * Push the batches into a trainer of this process (its ring, or a clone channel) from a pool of
   * sampling.samplers threads; absent: serve them to trainers' fetches.
   */
  sink?: SinkConfig;
}

interface Slot {
  promise: Promise<BatchFields>;
  resolve: (f: BatchFields) => void;
  reject: (e: unknown) => void;
  done: boolean;
}

/** Produced batches kept beyond what was asked for, per sampler (bounds memory if a trainer vanishes). */
const MAX_HELD_BATCHES = 64;

export class SamplerActor extends Actor<SamplerConfig> {
  private graph!: SharedGraph;
  /**
   * Built on first use: an embedded job's batches come from the pool's threads and its evaluation
   * from the trainer, so these producers (a node map over the whole graph each) may never be needed.
   */
  private producer?: BatchProducer;
  private producerConfig!: ProducerConfig;
  private source!: SeedSource;
  private trainSeeds!: Int32Array;
  private plan?: EpochPlan;
  private slots = new Map<number, Slot>();
  private queue: number[] = [];
  private working = false;
  private readonly stats = { batches: 0, bytes: 0, sampleSeconds: 0, gatherSeconds: 0 };
  private m!: RoleMetrics<'sampler'>;
  /** Grouping and slicing: the training edges' groups (the plan lays them out whole). */
  private groups?: LinkGroups;
  /** Adaptive sampling: fanouts by epoch as the coordinator sets them, and the producer's current ones. */
  private readonly epochFanouts = new EpochFanouts();
  private producerFanouts: readonly number[] = [];
  private fanoutsArrived: (() => void)[] = [];
  /** cluster.partitions: this sampler owns one part and builds batches across all of them. */
  private part?: PartitionSampling;
  /** Pushing into a trainer of this process: the pool and its credits. */
  private pool?: PoolSink;
  /** The evaluation sets of a graph held here whole (a partitioned job gathers them from its parts). */
  private evalSets?: { val: Int32Array; test: Int32Array };
  /** What the job's seeds warn of before training (plan/cold-sources.ts); planSize carries it. */
  private seedWarning?: string;
  private evaluation?: Promise<SamplerEvaluation>;
  private evalProducer?: BatchProducer;
  private evalConfig!: ProducerConfig;

  override async onStart(): Promise<void> {
    const spec = this.ctx.config.spec;
    const { job, index } = this.ctx.self;
    this.m = actorMetrics('sampler', { job, index: Number(index) });
    setFanouts(this.m, spec.sampling.fanouts);
    const layout = partitionLayoutOf(spec);
    if (layout) {
      const peer = (p: number) =>
        this.ctx.client({ job, role: 'sampler', index: p }, PartitionPeerProtocol);
      this.part = await PartitionSampling.open(spec, layout, Number(index), peer, this.m);
      this.source = { kind: 'node' };
      this.producerFanouts = spec.sampling.fanouts;
      this.m.weft_graph_loaded_bytes.set(graphBytesLoaded());
      return;
    }
    const { graph: handle, sink } = this.ctx.config;
    this.graph = handle ? fromHandle(handle) : jobGraph(await openGraph(spec.graph), spec);
    this.m.weft_graph_loaded_bytes.set(graphBytesLoaded());
    const seeds = seedsOf(spec, this.graph);
    this.seedWarning = coldStartWarning(spec, seeds);
    this.groups = linkGroupsOf(spec, seeds.source, seeds.train);
    this.source = groupedSource(seeds.source, this.groups);
    this.trainSeeds = seeds.train;
    this.evalSets = { val: seeds.val, test: seeds.test };
    const producers = producerConfigs(spec, seeds.negativeRange);
    this.evalConfig = producers.eval;
    const producer = producers.train;
    this.producerConfig = producer;
    this.producerFanouts = spec.sampling.fanouts;
    if (sink)
      this.pool = new PoolSink(
        {
          graph: handle ?? this.graph.toHandle(),
          producer,
          seeds: this.source,
          sink,
          threads: spec.sampling.samplers,
          prefetch: spec.sampling.prefetch,
          seed: spec.train.seed,
        },
        this.m,
        (error) => this.ctx.fail(error),
      );
  }

  override async onStop(): Promise<void> {
    await this.pool?.close();
  }

  /** What evaluation reads: the split subsets and, for a link task, the training in-degrees. */
  private evaluationData(): Promise<SamplerEvaluation> {
    this.evaluation ??= (async () => {
      const spec = this.ctx.config.spec;
      let sets = this.evalSets;
      if (this.part) {
        await this.partSeeds(this.part);
        const j = await this.part.jobSeeds();
        sets = { val: j.val, test: j.test };
      }
      const { val, test } = sets!;
      const subsets = { val: evalSubset(spec, val, 'val'), test: evalSubset(spec, test, 'test') };
      const source = this.source;
      if (source.kind !== 'link') return { subsets };
      return {
        subsets,
        history: {
          val: linkHistory(source, sets!, 'val'),
          test: linkHistory(source, sets!, 'test'),
        },
      };
    })();
    return this.evaluation;
  }

  /** Evaluation batch `batch` of a split, from the graph or the parts held here. */
  private async evalBatch(split: EvalSplit, batch: number, fanouts?: number[]) {
    const spec = this.ctx.config.spec;
    const ev = await this.evaluationData();
    const ids = ev.subsets[split];
    const count = evalBatches(spec, ids.length);
    if (batch >= count) return { count };
    const epoch = evalEpoch(split);
    const bs = spec.eval.batchSize;
    const req = requestFor(
      this.source,
      ids,
      epoch,
      batch,
      bs,
      batchSeed(spec.train.seed, epoch, batch),
    );
    let fields: BatchFields;
    if (this.part) fields = await this.part.produceEval(req, fanouts);
    else {
      const config = withFanouts(this.evalProducer?.config ?? this.evalConfig, fanouts);
      if (config !== this.evalProducer?.config)
        this.evalProducer = new BatchProducer(this.graph, config);
      fields = this.evalProducer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
    }
    const history = ev.history?.[split];
    if (history) Object.assign(fields, linkEvalExtras(fields, history));
    return { count, fields: fields as unknown as Record<string, unknown> };
  }

  private requirePool(verb: string): PoolSink {
    if (!this.pool)
      throw new SamplerModeError(verb, 'this sampler serves fetches; it has no trainer to push to');
    return this.pool;
  }

  /** cluster.partitions: the job's seeds from every part, and the link groups over them. */
  private async partSeeds(part: PartitionSampling): Promise<void> {
    const seeds = await part.jobSeeds();
    if (this.trainSeeds) return;
    this.seedWarning = coldStartWarning(this.ctx.config.spec, seeds);
    this.groups = linkGroupsOf(this.ctx.config.spec, seeds.source, seeds.train);
    this.source = groupedSource(seeds.source, this.groups);
    this.trainSeeds = seeds.train;
  }

  /** The producer for batches of `epoch`: adaptive sampling rebuilds it when the fanouts change. */
  private producerOf(epoch: number): BatchProducer {
    const f = this.epochFanouts.of(epoch);
    if (f && !sameFanouts(f, this.producerFanouts)) {
      this.producerConfig = withFanouts(this.producerConfig, f);
      this.producer = undefined;
      this.producerFanouts = f;
    }
    this.producer ??= new BatchProducer(this.graph, this.producerConfig);
    return this.producer;
  }

  /** Adaptive sampling: waits up to `waitMs` until the coordinator set fanouts for `epoch`. */
  private async fanoutsKnown(epoch: number, waitMs: number): Promise<boolean> {
    if (!this.ctx.config.spec.sampling.adaptive.enabled || this.epochFanouts.of(epoch)) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.fanoutsArrived.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.epochFanouts.of(epoch) !== undefined;
  }

  private planFor(epoch: number): EpochPlan {
    if (this.plan?.epoch === epoch) return this.plan;
    this.plan = epochPlanOf(this.ctx.config.spec, this.trainSeeds, this.groups, epoch);
    this.ctx.log.info('epoch planned', { epoch, batches: this.plan.numBatches });
    // A new epoch: whatever was produced for the old one will never be asked for.
    for (const s of this.slots.values()) if (!s.done) s.reject(new Error('epoch moved on'));
    this.slots.clear();
    this.queue = [];
    return this.plan;
  }

  /** The slot of batch b, queued for production if new; `urgent` puts it first in line. */
  private ensure(b: number, urgent: boolean): Slot {
    let slot = this.slots.get(b);
    if (!slot) {
      let resolve!: (f: BatchFields) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<BatchFields>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      slot = { promise, resolve, reject, done: false };
      this.slots.set(b, slot);
      if (urgent) this.queue.unshift(b);
      else this.queue.push(b);
    } else if (urgent && !slot.done) {
      const i = this.queue.indexOf(b);
      if (i > 0) {
        this.queue.splice(i, 1);
        this.queue.unshift(b);
      }
    }
    void this.work();
    return slot;
  }

  /** Produces queued batches one at a time, yielding between them so fetches keep being answered. */
  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (this.queue.length > 0) {
        await new Promise<void>((r) => setImmediate(r));
        const b = this.queue.shift();
        const plan = this.plan;
        if (b === undefined || !plan) continue;
        const slot = this.slots.get(b);
        if (!slot || slot.done) continue;
        try {
          const spec = this.ctx.config.spec;
          const req = requestFor(
            this.source,
            plan.order,
            plan.epoch,
            b,
            plan.batchSize,
            batchSeed(spec.train.seed, plan.epoch, b),
          );
          const fields = this.part
            ? await this.part.produce(req, this.epochFanouts.of(plan.epoch))
            : this.producerOf(plan.epoch).produce(req, (shape) =>
                allocateArrays<BatchFields>(shape),
              );
          const h = readBatchHeader(fields.meta);
          this.stats.sampleSeconds += h.sampleMs / 1000;
          this.stats.gatherSeconds += h.gatherMs / 1000;
          const m = this.m;
          m.weft_sampler_batch_duration_seconds.observe((h.sampleMs + h.gatherMs) / 1000);
          m.weft_sampler_seeds_total.inc(req.kind === 'link' ? req.src!.length : req.seeds!.length);
          m.weft_sampler_sampled_edges_total.inc(h.edges);
          // Block 0's sources are every node of the sample (each hop's nodes include the next's).
          m.weft_sampler_sampled_nodes_total.inc(fields.dims[1] ?? 0);
          slot.done = true;
          slot.resolve(fields);
        } catch (error) {
          slot.done = true;
          slot.reject(error);
        }
      }
    } finally {
      this.working = false;
    }
  }

  readonly handlers = implement(SamplerProtocol, {
    ...partitionPeerImplementation(() => this.part),
    startEpoch: (msg) => {
      requireControlSecret('startEpoch', msg, this.ctx.log, this.m);
      const { epoch, fanouts } = msg;
      const pool = this.requirePool('startEpoch');
      if (fanouts) this.epochFanouts.set(epoch, fanouts);
      return { queued: pool.start(this.planFor(epoch), this.epochFanouts.of(epoch)) };
    },
    credit: ({ epoch }) => this.requirePool('credit').credit(epoch),
    evalFetch: ({ split, batch, fanouts }) => this.evalBatch(split, batch, fanouts),
    planSize: async ({ epoch }) => {
      if (this.part && !this.trainSeeds) await this.partSeeds(this.part);
      // Computed aside: the plan being served (and its produced batches) stays as it is.
      const spec = this.ctx.config.spec;
      const numBatches = epochPlanOf(spec, this.trainSeeds, this.groups, epoch).numBatches;
      return { numBatches, ...(this.seedWarning ? { warnings: [this.seedWarning] } : {}) };
    },
    fetch: async ({ epoch, batch, ahead, waitMs }) => {
      if (this.pool)
        throw new SamplerModeError('fetch', 'this sampler pushes to the trainer of its process');
      // A sampler (re)started under adaptive sampling samples nothing before it knows the fanouts.
      if (!(await this.fanoutsKnown(epoch, waitMs))) return { ready: false };
      // Partition-owning: the seeds (node ids, or the link split's edges) are every part's, gathered once.
      if (this.part && !this.trainSeeds) await this.partSeeds(this.part);
      const plan = this.planFor(epoch);
      if (batch >= plan.numBatches)
        throw new Error(`epoch ${epoch} has ${plan.numBatches} batches, asked for ${batch}`);
      const slot = this.ensure(batch, true);
      for (const b of ahead)
        if (b < plan.numBatches && this.slots.size < MAX_HELD_BATCHES) this.ensure(b, false);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), waitMs);
      });
      const fields = await Promise.race([slot.promise, timeout]);
      clearTimeout(timer);
      if (!fields) return { ready: false };
      // Handed over: a lost reply is re-produced on the next ask (production is deterministic).
      if (this.slots.get(batch) === slot) this.slots.delete(batch);
      this.stats.batches++;
      let bytes = 0;
      for (const a of Object.values(fields)) bytes += (a as ArrayBufferView).byteLength;
      this.stats.bytes += bytes;
      this.m.weft_sampler_batches_total.inc();
      this.m.weft_sampler_batch_bytes_total.inc(bytes);
      return { ready: true, fields: fields as unknown as Record<string, unknown> };
    },
    setFanouts: (msg) => {
      requireControlSecret('setFanouts', msg, this.ctx.log, this.m);
      const { epoch, fanouts } = msg;
      this.epochFanouts.set(epoch, fanouts);
      setFanouts(this.m, fanouts);
      for (const wake of this.fanoutsArrived.splice(0)) wake();
      return { epoch };
    },
    stats: () => {
      const fanouts = this.epochFanouts.latest();
      const remote = this.part ? { remoteBytes: this.part.builder.traffic.wireBytes } : {};
      const pushed = this.pool ? pushedStats(this.pool) : {};
      return { ...this.stats, ...pushed, ...(fanouts ? { fanouts } : {}), ...remote };
    },
    hello: () => ({ pid: process.pid }),
    shutdown: (msg) => {
      if (honourShutdown(msg, this.ctx.log, this.m)) this.ctx.stopSelf();
    },
  });
}

/** What a sampler's evaluation batches are drawn from. */
interface SamplerEvaluation {
  subsets: Record<EvalSplit, Int32Array>;
  /** Link task: each split's history (the baselines' evidence and the filter of known pairs). */
  history?: Record<EvalSplit, LinkHistory | undefined>;
}

/** A sampler pushing into its process's trainer reports what its pool produced. */
function pushedStats(pool: PoolSink) {
  const t = pool.totals;
  return {
    batches: t.batches,
    sampleSeconds: t.sampleSeconds,
    gatherSeconds: t.gatherSeconds,
    clonedBytes: t.clonedBytes,
  };
}

/** A verb of the other mode: a fetch to a pushing sampler, a credit to a serving one. */
export class SamplerModeError extends WeftError {
  constructor(verb: string, why: string) {
    super('sampler-mode', `${verb}: ${why}`);
  }
}

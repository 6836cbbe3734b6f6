// The trainer actor, one class wherever it runs (a worker thread of `weft train`, a process of
// `weft launch`): takes its batches of each round from its batch source, aggregates gradients over N
// local batches, pushes one update to every parameter-server shard and waits for the round.
//
//   batch source (queue | clone | inline | fetch) → step (fwd/bwd, sub-rounds) → push round ⇄ shards
import { modelFeatureDim } from '../plan/structural-features.js';
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import { jobGraph } from '../plan/feature-norm.js';
import type { LinkEvalExtras } from '../plan/link-history.js';
import { readManifest } from '../../graph-store/manifest.js';
import { graphBytesLoaded, openGraph } from '../../graph-store/open-graph.js';
import { fromHandle, type GraphHandle } from '../../graph-store/shared-graph.js';
import { backendLabel, initBackend } from '../../kernels/tf/backend.js';
import { Actor, implement, type ActorClient } from '../../runtime/actor.js';
import type { Address } from '../../runtime/address.js';
import { retrying } from '../../runtime/retry.js';
import {
  actorMetrics,
  paramBytes,
  recordEvaluation,
  recordTrainerStep,
  threadActorMetrics,
  trainerStarted,
} from '../actor-metrics.js';
import type { BatchFields } from '../batch/batch-record.js';
import { viewBatch } from '../batch/batch-view.js';
import type { BatchSource, BatchSourceConfig } from './batch-source.js';
import { honourShutdown, requireControlSecret, sealed } from '../control-secret.js';
import { FetchSource } from './fetch-source.js';
import { InlineSource } from './inline-source.js';
import { CloneSource, QueueSource } from './local-sources.js';
import {
  SamplerProtocol,
  TrainerProtocol,
  ParameterServerProtocol,
  type EpochReply,
} from '../protocols.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { ShardedIdTable } from '../parameter-server/embedding-client.js';
import { EmbeddingShardProtocol } from '../parameter-server/embedding-protocol.js';
import { EMB_ROLE } from '../parameter-server/embedding-tables.js';
import {
  isNonFinite,
  nonFiniteEntry,
  NonFiniteTrainingError,
} from '../parameter-server/non-finite.js';
import {
  assembleByPlan,
  planShards,
  splitByPlan,
  type ShardPlan,
} from '../parameter-server/shard-plan.js';
import {
  distinctCount,
  epochPlanOf,
  groupedSource,
  linkGroupsOf,
  subRoundsOf,
  type LinkGroups,
} from '../plan/link-groups.js';
import type { EvalSplit } from '../plan/eval-plan.js';
import { batchesOf, roundSchedule, samplerOf } from '../plan/round-schedule.js';
import type { SeedSource } from '../plan/seed-source.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import { evalRelationsOf } from '../plan/eval-relations.js';
import type { StepRecord } from '../protocols.js';
import {
  AttemptSupersededError,
  EpochAbandonedError,
  ShardsBehindError,
} from './trainer-errors.js';
import { mlpInitParams } from './mlp-init.js';
import { stepSubRound, subRoundSlices, type RoundBatch } from './sub-rounds.js';
import { stalenessBoundOf, TrainerSync } from './sync-mode.js';
import { scaledLr, TrainerCore, type EvalBatches } from './trainer-core.js';
import { checkTrainingFits } from './training-memory.js';

export interface TrainerConfig {
  spec: JobSpec;
  job: string;
  /** The graph in shared memory (a trainer thread of `weft train`); absent: opened from spec.graph. */
  graph?: GraphHandle;
  /** Where batches come from (default: fetched from the job's samplers over the transport). */
  batches?: BatchSourceConfig;
  /** The sampler a same-process source sends its credits to. */
  sampler?: Address;
  /** Float64Array(4) over shared memory: [epoch, steps done, last loss, seeds done] for progress. */
  progress?: SharedArrayBuffer;
  /**
   * The trainer runs in a worker thread of a process that serves or pushes metrics: its thread's
   * registry reports to the process's hub.
   */
  reportMetrics?: boolean;
}

type EpochRequest = {
  epoch: number;
  numBatches: number;
  firstStep: number;
  startVersion: number;
  attempt?: number;
  fanouts?: number[];
  lrScale?: number;
};

export class TrainerActor extends Actor<TrainerConfig> {
  private core!: TrainerCore;
  private plan!: ShardPlan;
  private shards: ActorClient<typeof ParameterServerProtocol>[] = [];
  private source!: BatchSource;
  private readonly epochs = new Map<number, Promise<EpochReply>>();
  private version = -1;
  /** The coordinator's rollback count last seen: a run of an older attempt stops at its next step. */
  private attempt = 0;
  /** The last epoch run started: the next waits for it to end, so two runs never share the model. */
  private lastRun: Promise<unknown> = Promise.resolve();
  private backend = '';
  /** The sharded ID-embedding table (model.idEmbedding), undefined without one. */
  private idTable?: ShardedIdTable;
  private m!: RoleMetrics<'trainer'>;
  private stopMetrics?: () => void;
  /** train.sync: what a step and a round's push do (aggregate, local SGD, async). */
  private sync!: TrainerSync;
  /** What MLPinit needs besides the core: the training seeds and the negatives' id range. */
  private trainSeeds!: Int32Array;
  /** Grouping and slicing: the training edges' groups (the plan lays them out whole). */
  private groups?: LinkGroups;
  private negativeRange?: [number, number];
  private progress?: Float64Array;

  private get index(): number {
    return this.ctx.self.index as number;
  }

  override async onStart(): Promise<void> {
    const c = this.ctx.config;
    const { spec, job } = c;
    if (c.reportMetrics !== undefined) {
      const t = threadActorMetrics('trainer', this.ctx.self, c.reportMetrics);
      this.m = t.metrics;
      this.stopMetrics = () => t.stop();
    } else this.m = actorMetrics('trainer', { job, index: this.index });
    const backend = await initBackend(spec.runtime.backend);
    this.backend = backendLabel(backend);
    const batches = c.batches ?? { kind: 'fetch' };
    // Synchronous rounds: every update is computed on the version it is applied to (staleness 0);
    // async mode allows train.staleness.
    trainerStarted(this.m, {
      backend: this.backend,
      lr: scaledLr(spec),
      queueCapacity: batches.kind === 'inline' ? 0 : Math.max(1, spec.sampling.prefetch),
      stalenessBound: stalenessBoundOf(spec),
    });
    this.core = await this.coreOf(c);
    checkTrainingFits(spec, this.core.model.temporal?.config, backend.name);
    this.m.weft_graph_loaded_bytes.set(graphBytesLoaded());
    const lengths = [...this.core.model.init(spec.train.seed)].map(
      ([n, v]) => [n, v.length] as [string, number],
    );
    this.plan = planShards(lengths, spec.cluster.parameterServers);
    const at = (role: string, index: number): Address => ({ job, role, index });
    for (let p = 0; p < spec.cluster.parameterServers; p++)
      this.shards.push(this.ctx.client(at('ps', p), ParameterServerProtocol));
    this.source = this.sourceOf(batches, (epoch) =>
      epochPlanOf(spec, this.trainSeeds, this.groups, epoch),
    );
    this.sync = new TrainerSync(spec, this.core, this.shards, this.plan, this.m);
    // ID embeddings: rows come from the table shards owning the batch's ids (evaluation too).
    if (this.core.usesIdRows) {
      const tables = Array.from({ length: spec.cluster.parameterServers }, (_, p) =>
        this.ctx.client(at(EMB_ROLE, p), EmbeddingShardProtocol),
      );
      const idTable = new ShardedIdTable(tables, this.core.idDim, this.m);
      this.idTable = idTable;
      this.core.idRowSource = (ids, create) => idTable.pull(ids, create);
    }
    if (c.progress) this.progress = new Float64Array(c.progress);
  }

  /**
   * The trainer's model and its view of the graph: the graph itself (shared memory, or opened from
   * spec.graph), or with cluster.partitions only its shape: the samplers hold the parts, and
   * evaluation batches come from them as training batches do.
   */
  private async coreOf(c: TrainerConfig): Promise<TrainerCore> {
    const spec = c.spec;
    if (!c.graph && spec.cluster.partitions) {
      const m = readManifest(spec.graph);
      const shape = {
        // The samplers append the structural columns (model.structuralFeatures) to their parts.
        dim: modelFeatureDim(spec, m.features?.dim ?? 0),
        numClasses: m.labels?.numClasses ?? 0,
        numNodes: m.numNodes,
        numRelations: Math.max(1, m.edgeTypes.length),
        inputTypes: typeColumnsOf(m),
      };
      this.trainSeeds = new Int32Array(0);
      const empty = new Int32Array(0);
      const source: SeedSource = { kind: 'node' };
      return new TrainerCore(
        spec,
        shape,
        source,
        { val: empty, test: empty },
        producerConfigs(spec).train,
      );
    }
    const graph = c.graph ? fromHandle(c.graph) : jobGraph(await openGraph(spec.graph), spec);
    const seeds = seedsOf(spec, graph);
    const producers = producerConfigs(spec, seeds.negativeRange);
    this.trainSeeds = seeds.train;
    this.negativeRange = seeds.negativeRange;
    // Grouping and slicing: training edges at their group's query time, as the samplers have them.
    this.groups = linkGroupsOf(spec, seeds.source, seeds.train);
    const core = new TrainerCore(
      spec,
      graph,
      groupedSource(seeds.source, this.groups),
      { val: seeds.val, test: seeds.test },
      producers.train,
      producers.eval,
    );
    core.evalRelations = evalRelationsOf(spec, graph);
    return core;
  }

  /** Evaluation batches from the samplers (the graph is theirs): batch b from the one that owns it. */
  private samplerEval(split: EvalSplit): EvalBatches {
    const { spec, job } = this.ctx.config;
    const S = spec.cluster.samplers;
    const samplers = Array.from({ length: S }, (_, j) =>
      this.ctx.client({ job, role: 'sampler', index: j }, SamplerProtocol),
    );
    const fanouts = this.core.currentFanouts;
    return {
      next: async (b) => {
        const j = samplerOf(b, S);
        const r = await retrying(
          `evaluation batch ${b} from sampler ${j}`,
          () =>
            samplers[j].ask(
              'evalFetch',
              { split, batch: b, ...(fanouts ? { fanouts } : {}) },
              { timeoutMs: spec.timeouts.askMs },
            ),
          { deadlineMs: spec.timeouts.peerDeadlineMs },
        );
        const fields = r.fields as unknown as BatchFields | undefined;
        if (!fields) return { view: undefined as never, count: r.count };
        const { evPop, evSeen, evKnown, evCold } = fields as unknown as Partial<LinkEvalExtras>;
        const extras =
          evPop && evSeen && evKnown
            ? { evPop, evSeen, evKnown, ...(evCold ? { evCold } : {}) }
            : undefined;
        return { view: viewBatch(fields), count: r.count, ...(extras ? { extras } : {}) };
      },
    };
  }

  /** The batch source stage the job chose for this trainer. */
  private sourceOf(
    config: BatchSourceConfig,
    planOf: ConstructorParameters<typeof InlineSource>[0],
  ): BatchSource {
    const { spec, job, sampler } = this.ctx.config;
    const t = spec.timeouts;
    const credit = (epoch: number, batch: number) => {
      if (sampler) this.ctx.client(sampler, SamplerProtocol).tell('credit', { epoch, batch });
    };
    switch (config.kind) {
      case 'queue':
        return new QueueSource(config.queue, credit, t.queueMs);
      case 'clone':
        return new CloneSource(config.channel, credit, t.queueMs);
      case 'inline':
        return new InlineSource(planOf, (order, epoch, batch) =>
          this.core.sampleInline(order, epoch, batch, spec.sampling.batchSize),
        );
      case 'fetch': {
        const samplers = Array.from({ length: spec.cluster.samplers }, (_, j) =>
          this.ctx.client({ job, role: 'sampler', index: j }, SamplerProtocol),
        );
        return new FetchSource(samplers, Math.max(1, spec.sampling.prefetch), t);
      }
    }
  }

  override onStop(): void {
    this.source?.close();
    this.core?.model.dispose();
    this.stopMetrics?.();
  }

  /**
   * Pulls every shard and returns the lowest version: a shard one round ahead (a round this trainer
   * pushed to it before a restart) hands back the version before, so all slices agree.
   */
  private async pullAll(guard?: () => void): Promise<number> {
    const t = this.ctx.config.spec.timeouts;
    const ask = { timeoutMs: t.askMs };
    const retry = { deadlineMs: t.peerDeadlineMs };
    const done = this.m.weft_trainer_param_pull_duration_seconds.startTimer();
    const first = await Promise.all(
      this.shards.map((c, p) => retrying(`pull from ps ${p}`, () => c.ask('pull', {}, ask), retry)),
    );
    const v = Math.min(...first.map((r) => r.version));
    const replies = await Promise.all(
      first.map((r, p) =>
        // Async shards move independently: each slice is taken at its own version.
        r.version === v || this.sync.mode === 'async'
          ? r
          : retrying(
              `pull version ${v} from ps ${p}`,
              () => this.shards[p].ask('pull', { at: v }, ask),
              retry,
            ),
      ),
    );
    guard?.();
    this.sync.adopt(
      assembleByPlan(
        this.plan,
        replies.map((r) => r.params),
      ),
      replies.map((r) => r.version),
    );
    done();
    let bytes = 0;
    for (const r of first) bytes += paramBytes(r.params);
    for (let p = 0; p < replies.length; p++)
      if (replies[p] !== first[p]) bytes += paramBytes(replies[p].params);
    this.m.weft_trainer_param_pull_bytes_total.inc(bytes);
    this.version = v;
    return v;
  }

  private async runEpoch(req: EpochRequest): Promise<EpochReply> {
    const spec = this.ctx.config.spec;
    const t = this.index;
    const sched = roundSchedule(req.numBatches, spec.cluster.trainers, spec.train.localSteps);
    const lr = scaledLr(spec) * (req.lrScale ?? 1);
    const attempt = req.attempt ?? 0;
    // After a rollback the coordinator replays the epoch: a run of the abandoned timeline stops here.
    const live = () => {
      if (attempt !== this.attempt) throw new EpochAbandonedError(req.epoch, this.attempt);
    };
    // Gradients of an abandoned run's unfinished round must not leak into this one.
    if (this.core.readyToSync(true)) this.core.takeGradients();
    this.core.takeIdGradients();
    this.sync.beginEpoch(attempt, req.lrScale);
    // After a non-finite rollback the rate is lower: the gauge shows the one applied.
    this.m.weft_trainer_learning_rate.set(lr);
    const v = await this.pullAll(live);
    // Grouping with S steps per group: each round is S synchronous sub-rounds (one version each).
    const subRounds = subRoundsOf(spec);
    // Async: versions count every trainer's updates; each shard knows how many were this trainer's.
    const k0 =
      this.sync.mode === 'async'
        ? await this.sync.resumeRound(req.epoch, t)
        : Math.floor((v - req.startVersion) / subRounds);
    const s0 = (v - req.startVersion) % subRounds;
    if (k0 < 0) throw new ShardsBehindError(v, req.startVersion);
    // This trainer's batches for the rest of the epoch, in training order.
    const mine: number[] = [];
    for (let k = k0; k < sched.numRounds; k++) mine.push(...batchesOf(sched, t, k));
    this.source.begin(req.epoch, mine);
    this.reportProgress(req.epoch, 0, NaN, 0);
    const steps: StepRecord[] = [];
    const taken = { i: 0 };
    try {
      await this.trainRounds(req, { k0, s0, sched, lr, live, steps, taken });
    } catch (error) {
      if (isNonFinite(error)) await this.drainEpoch(taken.i, mine.length);
      throw error;
    }
    const last = steps[steps.length - 1];
    this.ctx.log.info('epoch trained', {
      epoch: req.epoch,
      steps: steps.length,
      ...(last ? { loss: last.loss } : {}),
      version: this.version,
    });
    return { steps, version: this.version, resumedAtRound: k0 };
  }

  /**
   * A run that stops on a non-finite value takes the rest of the epoch's batches from a sampler of its
   * own process and drops them untrained, so the sampler and its queue end the epoch as after a whole
   * one and a replay starts clean (a fetched or inline batch is only made when asked for).
   */
  private async drainEpoch(from: number, count: number): Promise<void> {
    if (this.source.kind !== 'queue' && this.source.kind !== 'clone') return;
    try {
      for (let j = from; j < count; j++) (await this.source.next(j)).release();
    } catch (error) {
      this.ctx.log.warn('could not drain the epoch after a non-finite value', { error });
    }
  }

  /** The rounds of one epoch run from round `k0` (sub-round `s0`): steps, pushes, records. */
  private async trainRounds(
    req: EpochRequest,
    r: {
      k0: number;
      s0: number;
      sched: ReturnType<typeof roundSchedule>;
      lr: number;
      live: () => void;
      steps: StepRecord[];
      taken: { i: number };
    },
  ): Promise<void> {
    const spec = this.ctx.config.spec;
    const t = this.index;
    const { k0, s0, sched, lr, live, steps, taken } = r;
    const subRounds = subRoundsOf(spec);
    let seedsDone = 0;
    for (let k = k0; k < sched.numRounds; k++) {
      const roundSteps: StepRecord[] = [];
      const roundBatches: RoundBatch[] = [];
      // Records whose views the round's sub-rounds still read.
      const held: (() => void)[] = [];
      try {
        for (const b of batchesOf(sched, t, k)) {
          const tStart = performance.now();
          const got = await this.source.next(taken.i++);
          live();
          this.m.weft_trainer_queue_depth.set(this.source.depth);
          const view = got.view;
          if (this.idTable)
            this.core.attachIdRows(view, await this.idTable.pull(this.core.idRowIds(view), true));
          const record: StepRecord = {
            epoch: req.epoch,
            step: req.firstStep + b,
            loss: 0,
            seeds: view.link ? view.link.src.length : view.numSeeds,
            edges: view.edges,
            sample_s: got.sampleMs / 1000,
            queue_wait_s: (performance.now() - tStart) / 1000,
            compute_s: 0,
            sync_s: 0,
            wall_s: 0,
            t: Date.now() / 1000,
            gather_s: view.gatherMs / 1000,
            syncs: 0,
            ...(view.link ? { member_encodings: distinctCount(view.link.src) } : {}),
          };
          if (this.source.kind === 'inline') record.queue_wait_s = 0;
          roundBatches.push({ batch: b, view, slices: subRoundSlices(view, subRounds), record });
          // One sub-round: train now, while the next batches arrive; with S > 1 the slices wait below.
          if (subRounds === 1) {
            try {
              stepSubRound(this.sync, roundBatches.slice(-1), 0, req.firstStep);
            } finally {
              got.release();
            }
          } else held.push(got.release);
          record.wall_s = (performance.now() - tStart) / 1000;
          roundSteps.push(record);
          seedsDone += record.seeds;
          this.reportProgress(req.epoch, taken.i, record.loss, seedsDone);
        }
        for (let sub = k === k0 ? s0 : 0; sub < subRounds; sub++) {
          const trained =
            subRounds === 1
              ? roundBatches.map((r) => r.batch)
              : stepSubRound(this.core, roundBatches, sub, req.firstStep);
          const round = req.startVersion + k * subRounds + sub;
          await this.pushRound(req, round, trained, lr, live, roundSteps);
        }
      } finally {
        for (const release of held) release();
      }
      // A step's time stamp is its round's end (what the epoch's training time is read from).
      const tEnd = Date.now() / 1000;
      for (const st of roundSteps) st.t = tEnd;
      for (const s of roundSteps) recordTrainerStep(this.m, s, this.source.kind === 'inline');
      steps.push(...roundSteps);
    }
  }

  /** Live progress for the process that shows it: [epoch, batches done, last loss, seeds done]. */
  private reportProgress(epoch: number, done: number, loss: number, seeds: number): void {
    const p = this.progress;
    if (!p) return;
    p[0] = epoch;
    p[1] = done;
    if (!Number.isNaN(loss)) p[2] = loss;
    p[3] = seeds;
  }

  /**
   * Pushes this trainer's share of one synchronous round (the gradients aggregated since the last
   * push, weighted by `batches`) to every shard and takes the round's parameters back.
   */
  private async pushRound(
    req: EpochRequest,
    round: number,
    batches: number[],
    lr: number,
    live: () => void,
    roundSteps: StepRecord[],
  ): Promise<void> {
    const t = this.index;
    const tSync = performance.now();
    const grads = batches.length > 0 ? this.sync.update() : undefined;
    const bad = grads && nonFiniteEntry(grads);
    if (bad)
      throw new NonFiniteTrainingError(
        'update',
        `${bad.name}[${bad.index}] is ${bad.value} in the update of round ${round} (epoch ${req.epoch}, trainer ${t})`,
      );
    // The table's round first (every trainer pushes, maybe no rows, so its barrier completes).
    if (this.idTable)
      await this.idTable.push(
        round,
        t,
        batches.length,
        this.core.takeIdGradients(),
        this.ctx.config.spec.timeouts.pushMs,
      );
    const parts = grads ? splitByPlan(this.plan, grads) : this.shards.map(() => ({}));
    let pushBytes = 0;
    for (const part of parts) pushBytes += paramBytes(part);
    this.m.weft_trainer_param_push_bytes_total.inc(pushBytes);
    const pushDone = this.m.weft_trainer_param_push_duration_seconds.startTimer();
    // Async: no barrier; the shards apply (or refuse as too stale) at once.
    const replies =
      this.sync.mode === 'async'
        ? await this.sync.pushAsync({
            epoch: req.epoch,
            trainer: t,
            round: round - req.startVersion,
            batches,
            grads,
            lr,
            live,
            timeoutMs: this.ctx.config.spec.timeouts.pushMs,
          })
        : await Promise.all(
            this.shards.map((c, p) =>
              retrying(`push round ${round} to ps ${p}`, () =>
                c.ask(
                  'push',
                  sealed({ round, trainer: t, epoch: req.epoch, batches, grads: parts[p], lr }),
                  { timeoutMs: this.ctx.config.spec.timeouts.pushMs },
                ),
              ),
            ),
          );
    live();
    this.sync.adopt(
      assembleByPlan(
        this.plan,
        replies.map((r) => r.params),
      ),
      replies.map((r) => r.version),
    );
    pushDone();
    // The push reply carries the round's parameters back: pulled bytes.
    let pulled = 0;
    for (const r of replies) pulled += paramBytes(r.params);
    this.m.weft_trainer_param_pull_bytes_total.inc(pulled);
    this.version = Math.min(...replies.map((r) => r.version));
    const syncMs = performance.now() - tSync;
    const last = roundSteps[roundSteps.length - 1];
    if (last) {
      last.sync_s += syncMs / 1000;
      last.wall_s += syncMs / 1000;
      last.syncs = (last.syncs ?? 0) + 1;
    }
  }

  readonly handlers = implement(TrainerProtocol, {
    trainEpoch: (req) => {
      this.fromCoordinator('trainEpoch', req);
      const attempt = req.attempt ?? 0;
      if (attempt > this.attempt) {
        // A rollback: runs of the abandoned timeline stop, and every epoch is trained afresh.
        this.attempt = attempt;
        this.epochs.clear();
      }
      if (attempt < this.attempt)
        throw new AttemptSupersededError(`epoch ${req.epoch}`, attempt, this.attempt);
      if (req.fanouts) this.core.setFanouts(req.fanouts);
      let run = this.epochs.get(req.epoch);
      if (!run) {
        const started = this.lastRun.then(() => this.runEpoch(req));
        run = started;
        this.lastRun = started.catch(() => undefined);
        // A failed epoch may be asked for again (after the shards come back): do not cache the failure.
        started.catch(() => {
          if (this.epochs.get(req.epoch) === started) this.epochs.delete(req.epoch);
        });
        this.epochs.set(req.epoch, run);
        for (const e of this.epochs.keys()) if (e < req.epoch - 1) this.epochs.delete(e);
      }
      return run;
    },
    mlpInit: async (msg) => {
      this.fromCoordinator('mlpInit', msg);
      const spec = this.ctx.config.spec;
      const initial = this.core.model.init(spec.train.seed);
      const r = await mlpInitParams(
        spec,
        this.core.localGraph(),
        this.core.seeds,
        this.trainSeeds,
        initial,
        this.negativeRange,
      );
      return {
        params: Object.fromEntries(r.params),
        seconds: r.seconds,
        steps: r.steps,
        lastLoss: r.lastLoss,
      };
    },
    evaluate: async (msg) => {
      this.fromCoordinator('evaluate', msg);
      const { split } = msg;
      const t0 = performance.now();
      const version = await this.pullAll();
      const local = 'csr' in this.core.graph;
      const metrics = await this.core.evaluate(split, local ? undefined : this.samplerEval(split));
      const seconds = (performance.now() - t0) / 1000;
      recordEvaluation(this.m, split, metrics, seconds);
      return { metrics, seconds, version };
    },
    optimizerState: () => this.sync.localState() ?? { slots: {}, steps: {} },
    setOptimizerState: (msg) => {
      this.fromCoordinator('setOptimizerState', msg);
      const { attempt, slots, steps } = msg;
      if (attempt < this.attempt)
        throw new AttemptSupersededError('optimizer state', attempt, this.attempt);
      if (attempt > this.attempt) {
        // As for trainEpoch: runs of the abandoned timeline stop at their next step, before this
        // state could be moved by them.
        this.attempt = attempt;
        this.epochs.clear();
      }
      this.sync.restoreLocal(steps ? { slots: slots ?? {}, steps } : undefined, attempt);
      return { parameters: Object.keys(steps ?? {}).length };
    },
    hello: () => ({
      pid: process.pid,
      backend: this.backend,
      attempt: this.attempt,
      epochRuns: this.epochs.size,
    }),
    shutdown: (msg) => {
      if (honourShutdown(msg, this.ctx.log, this.m)) this.ctx.stopSelf();
    },
  });

  /** A verb only the coordinator sends: refused (and counted) without the job's control secret. */
  private fromCoordinator(verb: string, msg: { secret?: string }): void {
    requireControlSecret(verb, msg, this.ctx.log, this.m);
  }
}

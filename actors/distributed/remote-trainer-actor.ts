// A trainer process of a distributed job: pulls its batches of each round from the samplers on credit,
// aggregates gradients over N local batches, pushes one update to every shard and waits for the round.
import { ShardedIdTable } from './embedding-client.js';
import { EmbeddingShardProtocol } from './embedding-protocol.js';
import { EMB_ROLE } from './embedding-tables.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { initBackend } from '../../kernels/tf/backend.js';
import { Actor, implement, type ActorClient } from '../../runtime/actor.js';
import type { Address } from '../../runtime/address.js';
import { actorMetrics, paramBytes, recordTrainerStep, trainerStarted } from '../actor-metrics.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import type { StepRecord } from '../protocols.js';
import type { BatchFields } from '../batch/batch-producer.js';
import { viewBatch, type BatchView } from '../batch/batch-view.js';
import { scaledLr, TrainerCore } from '../trainer/trainer-core.js';
import { distinctCount } from '../plan/link-groups.js';
import { mlpInitParams } from '../trainer/mlp-init.js';
import {
  groupedSource,
  linkGroupsOf,
  stepSubRound,
  subRoundSlices,
  subRoundsOf,
  type RoundBatch,
} from './speedup-switches.js';
import {
  RemoteSamplerProtocol,
  RemoteTrainerProtocol,
  ShardProtocol,
  type EpochReply,
} from './protocols.js';
import { retrying } from './retry.js';
import { batchesOf, roundSchedule, samplerOf } from './round-schedule.js';
import { assembleByPlan, planShards, splitByPlan, type ShardPlan } from './shard-plan.js';
import { stalenessBoundOf, TrainerSync } from './sync-mode.js';
import { honourShutdown } from './control-secret.js';

export interface RemoteTrainerConfig {
  spec: JobSpec;
  job: string;
}

/** How long a sampler may hold a fetch before answering "not ready" (the ask then repeats). */
const FETCH_WAIT_MS = 2000;
const FETCH_TIMEOUT_MS = 8_000;
const PUSH_TIMEOUT_MS = 10_000;

type EpochRequest = {
  epoch: number;
  numBatches: number;
  firstStep: number;
  startVersion: number;
  attempt?: number;
  fanouts?: number[];
};

export class RemoteTrainerActor extends Actor<RemoteTrainerConfig> {
  private core!: TrainerCore;
  private plan!: ShardPlan;
  private shards: ActorClient<typeof ShardProtocol>[] = [];
  private samplers: ActorClient<typeof RemoteSamplerProtocol>[] = [];
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
  /** train.sync: what a step and a round's push do (aggregate, local SGD, async). */
  private sync!: TrainerSync;
  /** What MLPinit needs besides the core: the training seeds and the negatives' id range. */
  private trainSeeds!: Int32Array;
  private negativeRange?: [number, number];

  private get index(): number {
    return this.ctx.self.index as number;
  }

  override async onStart(): Promise<void> {
    const { spec, job } = this.ctx.config;
    this.m = actorMetrics('trainer', { job, index: this.index });
    this.backend = (await initBackend(spec.runtime.backend)).name;
    // Synchronous rounds: every update is computed on the version it is applied to (staleness 0);
    // async mode allows train.staleness.
    trainerStarted(this.m, {
      backend: this.backend,
      lr: scaledLr(spec),
      queueCapacity: Math.max(1, spec.sampling.prefetch),
      stalenessBound: stalenessBoundOf(spec),
    });
    const graph = await openGraph(spec.graph);
    const seeds = seedsOf(spec, graph);
    const producers = producerConfigs(spec, seeds.negativeRange);
    this.trainSeeds = seeds.train;
    this.negativeRange = seeds.negativeRange;
    this.core = new TrainerCore(
      spec,
      graph,
      // Grouping and slicing: training edges at their group's query time, as the samplers have them.
      groupedSource(seeds.source, linkGroupsOf(spec, seeds.source, seeds.train)),
      { val: seeds.val, test: seeds.test },
      producers.train,
      producers.eval,
    );
    const lengths = [...this.core.model.init(spec.train.seed)].map(
      ([n, v]) => [n, v.length] as [string, number],
    );
    this.plan = planShards(lengths, spec.cluster.parameterServers);
    const at = (role: string, index: number): Address => ({ job, role, index });
    for (let p = 0; p < spec.cluster.parameterServers; p++)
      this.shards.push(this.ctx.client(at('ps', p), ShardProtocol));
    for (let j = 0; j < spec.cluster.samplers; j++)
      this.samplers.push(this.ctx.client(at('sampler', j), RemoteSamplerProtocol));
    this.sync = new TrainerSync(spec, this.core, this.shards, this.plan, this.m);
    // ID embeddings: rows come from the table shards owning the batch's ids (evaluation too).
    if (this.core.usesIdRows) {
      const tables = Array.from({ length: spec.cluster.parameterServers }, (_, p) =>
        this.ctx.client(at(EMB_ROLE, p), EmbeddingShardProtocol),
      );
      const idTable = new ShardedIdTable(tables, this.core.model.config.idEmbedding!.dim, this.m);
      this.idTable = idTable;
      this.core.idRowSource = (ids, create) => idTable.pull(ids, create);
    }
  }

  override onStop(): void {
    this.core?.model.dispose();
  }

  /**
   * Pulls every shard and returns the lowest version: a shard one round ahead (a round this trainer
   * pushed to it before a restart) hands back the version before, so all slices agree.
   */
  private async pullAll(guard?: () => void): Promise<number> {
    const done = this.m.weft_trainer_param_pull_duration_seconds.startTimer();
    const first = await Promise.all(
      this.shards.map((c, p) => retrying(`pull from ps ${p}`, () => c.ask('pull', {}))),
    );
    const v = Math.min(...first.map((r) => r.version));
    const replies = await Promise.all(
      first.map((r, p) =>
        // Async shards move independently: each slice is taken at its own version.
        r.version === v || this.sync.mode === 'async'
          ? r
          : retrying(`pull version ${v} from ps ${p}`, () => this.shards[p].ask('pull', { at: v })),
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

  /** Batch b of an epoch from its sampler, asking again while it is not ready or the sampler restarts. */
  private async fetch(epoch: number, batch: number, ahead: number[]): Promise<BatchFields> {
    const j = samplerOf(batch, this.samplers.length);
    for (;;) {
      const r = await retrying(`fetch batch ${batch} from sampler ${j}`, () =>
        this.samplers[j].ask(
          'fetch',
          { epoch, batch, ahead, waitMs: FETCH_WAIT_MS },
          { timeoutMs: FETCH_TIMEOUT_MS },
        ),
      );
      if (r.ready && r.fields) return r.fields as unknown as BatchFields;
    }
  }

  private async runEpoch(req: EpochRequest): Promise<EpochReply> {
    const spec = this.ctx.config.spec;
    const t = this.index;
    const sched = roundSchedule(req.numBatches, spec.cluster.trainers, spec.train.localSteps);
    const lr = scaledLr(spec);
    const attempt = req.attempt ?? 0;
    // After a rollback the coordinator replays the epoch: a run of the abandoned timeline stops here.
    const live = () => {
      if (attempt !== this.attempt)
        throw new Error(
          `epoch ${req.epoch} abandoned: the job rolled back (attempt ${this.attempt})`,
        );
    };
    // Gradients of an abandoned run's unfinished round must not leak into this one.
    if (this.core.readyToSync(true)) this.core.takeGradients();
    this.core.takeIdGradients();
    this.sync.beginEpoch(attempt);
    const v = await this.pullAll(live);
    // Grouping with S steps per group: each round is S synchronous sub-rounds (one version each).
    const subRounds = subRoundsOf(spec);
    // Async: versions count every trainer's updates; each shard knows how many were this trainer's.
    const k0 =
      this.sync.mode === 'async'
        ? await this.sync.resumeRound(req.epoch, t)
        : Math.floor((v - req.startVersion) / subRounds);
    const s0 = (v - req.startVersion) % subRounds;
    if (k0 < 0)
      throw new Error(`shards at version ${v}, before this epoch's start ${req.startVersion}`);
    // This trainer's batches for the rest of the epoch, in training order, fetched `prefetch` ahead.
    const mine: number[] = [];
    for (let k = k0; k < sched.numRounds; k++) mine.push(...batchesOf(sched, t, k));
    const S = this.samplers.length;
    const window = Math.max(1, spec.sampling.prefetch);
    const inflight = new Map<number, Promise<BatchFields>>();
    // Fetched batches not yet trained on: the trainer's queue depth.
    const arrived = new Set<number>();
    const want = (i: number): Promise<BatchFields> => {
      for (let k = i; k < Math.min(mine.length, i + window); k++) {
        if (inflight.has(k)) continue;
        const b = mine[k];
        const ahead: number[] = [];
        for (let a = k + 1; a < mine.length && ahead.length < window; a++)
          if (samplerOf(mine[a], S) === samplerOf(b, S)) ahead.push(mine[a]);
        const p = this.fetch(req.epoch, b, ahead);
        p.then(
          () => arrived.add(k),
          () => undefined,
        );
        inflight.set(k, p);
      }
      return inflight.get(i)!;
    };
    const steps: StepRecord[] = [];
    let i = 0;
    for (let k = k0; k < sched.numRounds; k++) {
      const batches = batchesOf(sched, t, k);
      const roundSteps: StepRecord[] = [];
      const roundBatches: RoundBatch[] = [];
      for (const b of batches) {
        const tStart = performance.now();
        const fields = await want(i);
        live();
        inflight.delete(i);
        arrived.delete(i);
        this.m.weft_trainer_queue_depth.set(arrived.size);
        i++;
        const view: BatchView = viewBatch(fields);
        if (this.idTable) this.core.attachIdRows(view, await this.idTable.pull(view.seeds, true));
        const waitMs = performance.now() - tStart;
        const record: StepRecord = {
          epoch: req.epoch,
          step: req.firstStep + b,
          loss: 0,
          seeds: view.link ? view.link.src.length : view.numSeeds,
          edges: view.edges,
          sample_s: (view.sampleMs + view.gatherMs) / 1000,
          queue_wait_s: waitMs / 1000,
          compute_s: 0,
          sync_s: 0,
          wall_s: 0,
          t: Date.now() / 1000,
          gather_s: view.gatherMs / 1000,
          syncs: 0,
          ...(view.link ? { member_encodings: distinctCount(view.link.src) } : {}),
        };
        roundBatches.push({ batch: b, view, slices: subRoundSlices(view, subRounds), record });
        // One sub-round: train now, while the next batches arrive; with S > 1 the slices wait below.
        if (subRounds === 1) stepSubRound(this.sync, roundBatches.slice(-1), 0, req.firstStep);
        record.wall_s = (performance.now() - tStart) / 1000;
        roundSteps.push(record);
      }
      if (i < mine.length) want(i);
      for (let sub = k === k0 ? s0 : 0; sub < subRounds; sub++) {
        const trained =
          subRounds === 1 ? batches : stepSubRound(this.core, roundBatches, sub, req.firstStep);
        const round = req.startVersion + k * subRounds + sub;
        await this.pushRound(req, round, trained, lr, live, roundSteps);
      }
      // A step's time stamp is its round's end (what the epoch's training time is read from).
      const tEnd = Date.now() / 1000;
      for (const st of roundSteps) st.t = tEnd;
      for (const s of roundSteps) recordTrainerStep(this.m, s, false);
      steps.push(...roundSteps);
    }
    return { steps, version: this.version, resumedAtRound: k0 };
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
    // The table's round first (every trainer pushes, maybe no rows, so its barrier completes).
    if (this.idTable)
      await this.idTable.push(
        round,
        t,
        batches.length,
        this.core.takeIdGradients(),
        PUSH_TIMEOUT_MS,
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
            timeoutMs: PUSH_TIMEOUT_MS,
          })
        : await Promise.all(
            this.shards.map((c, p) =>
              retrying(`push round ${round} to ps ${p}`, () =>
                c.ask(
                  'push',
                  { round, trainer: t, epoch: req.epoch, batches, grads: parts[p], lr },
                  { timeoutMs: PUSH_TIMEOUT_MS },
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

  readonly handlers = implement(RemoteTrainerProtocol, {
    trainEpoch: (req) => {
      const attempt = req.attempt ?? 0;
      if (attempt > this.attempt) {
        // A rollback: runs of the abandoned timeline stop, and every epoch is trained afresh.
        this.attempt = attempt;
        this.epochs.clear();
      }
      if (attempt < this.attempt)
        throw new Error(
          `epoch ${req.epoch} of attempt ${attempt} superseded by attempt ${this.attempt}`,
        );
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
    mlpInit: async () => {
      const spec = this.ctx.config.spec;
      const initial = this.core.model.init(spec.train.seed);
      const r = await mlpInitParams(
        spec,
        this.core.graph,
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
    evaluate: async ({ split }) => {
      const t0 = performance.now();
      const version = await this.pullAll();
      const metrics = await this.core.evaluate(split);
      return { metrics, seconds: (performance.now() - t0) / 1000, version };
    },
    optimizerState: () => this.sync.localState() ?? { slots: {}, steps: {} },
    setOptimizerState: ({ attempt, slots, steps }) => {
      if (attempt < this.attempt)
        throw new Error(
          `optimizer state of attempt ${attempt} superseded by attempt ${this.attempt}`,
        );
      if (attempt > this.attempt) {
        // As for trainEpoch: runs of the abandoned timeline stop at their next step, before this
        // state could be moved by them.
        this.attempt = attempt;
        this.epochs.clear();
      }
      this.sync.restoreLocal(steps ? { slots: slots ?? {}, steps } : undefined, attempt);
      return { parameters: Object.keys(steps ?? {}).length };
    },
    hello: () => ({ pid: process.pid, backend: this.backend }),
    shutdown: (msg) => {
      if (honourShutdown(msg, this.ctx.log, this.m)) this.ctx.stopSelf();
    },
  });
}

// A trainer process of a distributed job: pulls its batches of each round from the samplers on credit,
// aggregates gradients over N local batches, pushes one update to every shard and waits for the round.
import { openGraph } from '../../graph-store/open-graph.js';
import { initBackend } from '../../kernels/tf/backend.js';
import { Actor, implement, type ActorClient } from '../../runtime/actor.js';
import type { Address } from '../../runtime/address.js';
import { actorMetrics, paramBytes, recordTrainerStep, trainerStarted } from '../actor-metrics.js';
import { producerConfigs, seedsOf } from '../coordinator/train-job.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import type { StepRecord } from '../protocols.js';
import type { BatchFields } from '../sampler/batch-producer.js';
import { viewBatch, type BatchView } from '../trainer/batch-view.js';
import { scaledLr, TrainerCore } from '../trainer/trainer-core.js';
import {
  RemoteSamplerProtocol,
  RemoteTrainerProtocol,
  ShardProtocol,
  type EpochReply,
} from './protocols.js';
import { retrying } from './retry.js';
import { batchesOf, roundSchedule, samplerOf } from './round-schedule.js';
import { assembleByPlan, planShards, splitByPlan, type ShardPlan } from './shard-plan.js';

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
  private m!: RoleMetrics<'trainer'>;

  private get index(): number {
    return this.ctx.self.index as number;
  }

  override async onStart(): Promise<void> {
    const { spec, job } = this.ctx.config;
    this.m = actorMetrics('trainer', { job, index: this.index });
    this.backend = (await initBackend(spec.runtime.backend)).name;
    // Synchronous rounds: every update is computed on the version it is applied to (staleness 0).
    trainerStarted(this.m, {
      backend: this.backend,
      lr: scaledLr(spec),
      queueCapacity: Math.max(1, spec.sampling.prefetch),
      stalenessBound: 0,
    });
    const graph = await openGraph(spec.graph);
    const seeds = seedsOf(spec, graph);
    const producers = producerConfigs(spec, seeds.negativeRange);
    this.core = new TrainerCore(
      spec,
      graph,
      seeds.source,
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
        r.version === v
          ? r
          : retrying(`pull version ${v} from ps ${p}`, () => this.shards[p].ask('pull', { at: v })),
      ),
    );
    guard?.();
    this.core.setParams(
      assembleByPlan(
        this.plan,
        replies.map((r) => r.params),
      ),
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
    const v = await this.pullAll(live);
    const k0 = v - req.startVersion;
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
      for (const b of batches) {
        const tStart = performance.now();
        const fields = await want(i);
        live();
        inflight.delete(i);
        arrived.delete(i);
        this.m.weft_trainer_queue_depth.set(arrived.size);
        i++;
        const view: BatchView = viewBatch(fields);
        const waitMs = performance.now() - tStart;
        const tCompute = performance.now();
        const loss = this.core.step(view, req.firstStep + b);
        const computeMs = performance.now() - tCompute;
        roundSteps.push({
          epoch: req.epoch,
          step: req.firstStep + b,
          loss,
          seeds: view.link ? view.link.src.length : view.numSeeds,
          edges: view.edges,
          sample_s: (view.sampleMs + view.gatherMs) / 1000,
          queue_wait_s: waitMs / 1000,
          compute_s: computeMs / 1000,
          sync_s: 0,
          wall_s: (performance.now() - tStart) / 1000,
          t: Date.now() / 1000,
        });
      }
      if (i < mine.length) want(i);
      const tSync = performance.now();
      const grads = batches.length > 0 ? this.core.takeGradients() : undefined;
      const parts = grads ? splitByPlan(this.plan, grads) : this.shards.map(() => ({}));
      const round = req.startVersion + k;
      let pushBytes = 0;
      for (const part of parts) pushBytes += paramBytes(part);
      this.m.weft_trainer_param_push_bytes_total.inc(pushBytes);
      const pushDone = this.m.weft_trainer_param_push_duration_seconds.startTimer();
      const replies = await Promise.all(
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
      this.core.setParams(
        assembleByPlan(
          this.plan,
          replies.map((r) => r.params),
        ),
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
        last.sync_s = syncMs / 1000;
        last.wall_s += syncMs / 1000;
      }
      for (const s of roundSteps) recordTrainerStep(this.m, s, false);
      steps.push(...roundSteps);
    }
    return { steps, version: this.version, resumedAtRound: k0 };
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
    evaluate: async ({ split }) => {
      const t0 = performance.now();
      const version = await this.pullAll();
      const metrics = this.core.evaluate(split);
      return { metrics, seconds: (performance.now() - t0) / 1000, version };
    },
    hello: () => ({ pid: process.pid, backend: this.backend }),
    shutdown: () => this.ctx.stopSelf(),
  });
}

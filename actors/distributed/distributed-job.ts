// The coordinator of a distributed job: every other actor is its own process on NATS. It loads the
// shards, drives epochs of synchronous rounds on the trainers, evaluates, checkpoints one consistent
// version, watches heartbeats, and re-drives a trainer that was restarted mid-epoch.
import { EmbeddingShardProtocol } from './embedding-protocol.js';
import { DistributedIdTables, EMB_ROLE } from './embedding-tables.js';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openGraph } from '../../graph-store/open-graph.js';
import type { ActorClient } from '../../runtime/actor.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { NatsTransport } from '../../runtime/transports/nats.js';
import { actorMetrics, countNatsReconnects } from '../actor-metrics.js';
import { JobObserver } from '../coordinator/job-observer.js';
import { JobStatusBoard } from '../coordinator/job-status.js';
import { makeEpochPlan } from '../plan/epoch-plan.js';
import {
  peakRssBytes,
  steadySteps,
  throughputOf,
  type EpochSummary,
  type TrainResults,
} from '../coordinator/run-results.js';
import {
  afterValidation,
  freshCoordinatorState,
  readState,
  type CoordinatorState,
  selectionMetric,
} from '../coordinator/coordinator-state.js';
import { runLocation } from '../coordinator/run-location.js';
import { seedsOf } from '../plan/task-seeds.js';
import type { JobSpec } from '../job-spec.js';
import {
  checkpointStoreOf,
  resumeCheckpoint,
  type CheckpointStore,
} from '../parameter-server/checkpoint-store.js';
import {
  checkpointLocatorOf,
  writeCheckpointLocator,
  type CheckpointLocator,
} from '../parameter-server/checkpoint-locator.js';
import type { OptimizerSpec, StepRecord } from '../protocols.js';
import { buildModel } from '../trainer/trainer-core.js';
import { RemoteFanouts } from './remote-fanouts.js';
import { checkRemoteSpeedups, isLastSubRound, subRoundsOf } from './speedup-switches.js';
import { Liveness, type LivenessEvent } from './liveness.js';
import { partitionLayoutOf } from './partition-sampling.js';
import {
  RemoteSamplerProtocol,
  RemoteTrainerProtocol,
  ShardProtocol,
  type EpochReply,
} from './protocols.js';
import { shutdownMessage } from './control-secret.js';
import { isTransient, retrying } from './retry.js';
import { isShardLoss } from './shard-loss.js';
import { trainerStateOf, trainerStateTensors, withoutTrainerState } from './local-sgd-state.js';
import { roundSchedule, versionsPerEpoch } from './round-schedule.js';
import { assembleByPlan, planShards, splitByPlan, type ShardPlan } from './shard-plan.js';

export interface DistributedOptions {
  nats: NatsConfig;
  /** Job id in subjects (default: the spec's name with unsafe characters replaced). */
  job?: string;
  /** Continue from the newest checkpoint in the run directory. */
  resume?: boolean;
  onEpoch?: (e: EpochSummary) => void;
  /** Membership and recovery events (also written to metrics.jsonl). */
  onEvent?: (e: { kind: string; detail: string }) => void;
  /** Heartbeat period of the actors (default 1000 ms); an actor is dead after `missedHeartbeats` (default 5). */
  heartbeatMs?: number;
  missedHeartbeats?: number;
  /** How long to wait for every actor to answer at the start (default 180 s). */
  readyTimeoutMs?: number;
  /** Where the job's state is recorded for /status (default: a board of its own, not served). */
  status?: JobStatusBoard;
}

export interface DistributedResults extends TrainResults {
  /** Where the run's checkpoints are (also RUN_DIR/checkpoint-store.json). */
  checkpoint_store?: CheckpointLocator;
  distributed: {
    trainers: number;
    parameter_servers: number;
    samplers: number;
    local_steps: number;
    /** train.sync; in async mode `rounds` counts updates (one version each). */
    sync: string;
    rounds: number;
    batches_planned: number;
    batches_applied: number;
    batches_repeated: number;
    batches_missing: number;
    push_bytes: number;
    pull_bytes: number;
    batch_bytes: number;
    /** cluster.partitions: bytes the samplers exchanged across partitions (0 when off). */
    partition_bytes: number;
    /** Bytes on the wire per synchronous round: gradients up, parameters down, batches to trainers. */
    bytes_per_round: number;
    /** Share of trainer step time spent in parameter sync (push + waiting for the round). */
    sync_share: number;
    actor_restarts: number;
    /** Async mode: updates refused as staler than train.staleness, and the largest staleness applied. */
    stale_rejections: number;
    max_staleness: number;
    /** Times a lost parameter-server shard rolled the job back to its last consistent checkpoint. */
    rollbacks: number;
    /** Batches applied after that checkpoint and then rolled back (their epochs were replayed). */
    batches_discarded: number;
  };
}

/**
 * The status board of a distributed job: every ps, sampler and trainer, healthy while its heartbeats
 * arrive within `heartbeatWindowMs` (the liveness limit: beat period × missed beats).
 */
export function statusBoardOf(
  spec: JobSpec,
  job: string,
  heartbeatWindowMs = 5000,
): JobStatusBoard {
  const actors: { role: string; index: number }[] = [];
  for (let p = 0; p < spec.cluster.parameterServers; p++) actors.push({ role: 'ps', index: p });
  for (let j = 0; j < spec.cluster.samplers; j++) actors.push({ role: 'sampler', index: j });
  for (let t = 0; t < spec.cluster.trainers; t++) actors.push({ role: 'trainer', index: t });
  return new JobStatusBoard({ job, epochs: spec.train.epochs, actors, heartbeatWindowMs });
}

/** The job id used in subjects: the spec's name with anything but [A-Za-z0-9_-] replaced. */
export function jobIdOf(spec: JobSpec): string {
  return spec.name.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** The parameter layout of a job's model, as every process computes it. */
export function shardPlanOf(spec: JobSpec, dim: number, numClasses: number) {
  const model = buildModel(spec, dim, Math.max(1, numClasses));
  const initial = model.init(spec.train.seed);
  model.dispose();
  const plan = planShards(
    [...initial].map(([n, v]) => [n, v.length] as [string, number]),
    spec.cluster.parameterServers,
  );
  return { plan, initial };
}

function optimizerOf(spec: JobSpec): OptimizerSpec {
  return {
    kind: spec.train.optimizer,
    lr: spec.train.lr,
    momentum: spec.train.momentum,
    weightDecay: spec.train.weightDecay,
  };
}

class ActorLostError extends Error {}

/** How often the coordinator repeats a long ask (an epoch) so a restarted trainer picks it up. */
const REASK_MS = 5000;

/** Runs the coordinator of a launched job; the other actors are reached over NATS. */
export async function runDistributedTraining(
  spec: JobSpec,
  options: DistributedOptions,
): Promise<DistributedResults> {
  if (!spec.graph)
    throw new ConfigError('no graph given: set `graph:` in the job spec', { field: 'graph' });
  // cluster.partitions: one part per sampler, checked before any actor is asked for work.
  partitionLayoutOf(spec);
  const job = options.job ?? jobIdOf(spec);
  checkRemoteSpeedups(spec);
  const { runDir, ckptDir, metricsPath } = runLocation(spec);
  // A directory or a JetStream object store (train.checkpointStore): saves, rollbacks and --resume.
  const ckptStore: CheckpointStore = checkpointStoreOf(spec, { ckptDir, job, nats: options.nats });
  const resumeFrom = options.resume ? await resumeCheckpoint(ckptStore) : undefined;
  const T = spec.cluster.trainers;
  const P = spec.cluster.parameterServers;
  const S = spec.cluster.samplers;
  // What a shard lost before the first checkpoint rolls the job back to.
  const initialState = freshCoordinatorState();
  let state: CoordinatorState = resumeFrom ? readState(resumeFrom.meta) : freshCoordinatorState();
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const missedHeartbeats = options.missedHeartbeats ?? 5;
  const board = options.status ?? statusBoardOf(spec, job, heartbeatMs * missedHeartbeats);
  const observer = new JobObserver(board, actorMetrics('coordinator', { job, index: 0 }), {
    job,
    actorsExpected: T + P + S,
    checkpointEvery: spec.train.checkpointEvery,
    epoch: state.epoch,
    step: state.step,
  });
  mkdirSync(runDir, { recursive: true });
  // Where the checkpoints are, for weft eval / weft embed (a JetStream bucket is not in RUN_DIR).
  const ckptLocator = checkpointLocatorOf(spec, { ckptDir, job, nats: options.nats });
  writeCheckpointLocator(runDir, ckptLocator);
  if (!resumeFrom) writeFileAtomic(metricsPath, '');
  const log = (rec: Record<string, unknown>) =>
    appendFileSync(metricsPath, `${JSON.stringify(rec)}\n`);
  const event = (kind: string, detail: string, extra: Record<string, unknown> = {}) => {
    log({ type: 'event', t: Date.now() / 1000, kind, detail, ...extra });
    options.onEvent?.({ kind, detail });
  };

  const t0 = performance.now();
  const graph = await openGraph(spec.graph);
  if (graph.dim === 0)
    throw new ConfigError(`graph ${spec.graph} has no node features`, { field: 'graph' });
  const seeds = seedsOf(spec, graph);
  const { plan, initial: randomInit } = shardPlanOf(spec, graph.dim, graph.numClasses);
  // MLPinit replaces these before the shards are loaded; a rollback without a checkpoint returns here.
  let initial = randomInit;
  let mlpInitSeconds = 0;
  // Grouping with S steps per group: S synchronous sub-rounds (versions) per round.
  const subRounds = subRoundsOf(spec);

  const system = await ActorSystem.start({
    transport: 'nats',
    nats: options.nats,
    askTimeoutMs: 60_000,
  });
  const addr = (role: string, index: number): Address => ({ job, role, index });
  const shards = Array.from({ length: P }, (_, p) => system.client(addr('ps', p), ShardProtocol));
  // ID embeddings: a table shard beside each parameter server, loaded and checkpointed with it.
  const idTables = DistributedIdTables.of(spec, graph.numClasses, (p) =>
    system.client(addr(EMB_ROLE, p), EmbeddingShardProtocol),
  );
  const samplers = Array.from({ length: S }, (_, j) =>
    system.client(addr('sampler', j), RemoteSamplerProtocol),
  );
  const trainers = Array.from({ length: T }, (_, t) =>
    system.client(addr('trainer', t), RemoteTrainerProtocol),
  );
  const all: Address[] = [
    ...shards.map((c) => c.address),
    ...samplers.map((c) => c.address),
    ...trainers.map((c) => c.address),
  ];
  const hello = (a: Address) => system.ask(a, 'hello', {}, { timeoutMs: 3000 });
  let restarts = 0;
  const transport = system.transport as NatsTransport;
  const stopReconnects = countNatsReconnects(transport, observer.metrics);
  // Every actor's heartbeats, for /status (age per actor) and the healthy-actors gauge.
  const hbPrefix = `weft._hb.${job}.`;
  const beats = transport.nc.subscribe(`${hbPrefix}>`, {
    callback: (_err, msg) => {
      const [role, index] = msg.subject.slice(hbPrefix.length).split('.');
      if (role !== undefined && index !== undefined) board.heartbeat(role, Number(index));
    },
  });
  const healthTimer = setInterval(() => observer.refreshHealth(), heartbeatMs);
  healthTimer.unref();
  // Adaptive sampling: the embedded path's controller; every sampler is told each epoch's fanouts.
  const fanouts = new RemoteFanouts(spec, job, state, event);
  const liveness = new Liveness(
    transport.nc,
    () => transport.connected,
    hello,
    (e: LivenessEvent) => {
      const { role, index } = e.address;
      // The coordinator sees a process replaced (by the launcher or its pod): it counts the restart.
      if (e.kind === 'actor-restarted') restarts++;
      // A sampler back from a restart knows no fanouts (adaptive sampling): tell it again.
      if ((e.kind === 'actor-restarted' || e.kind === 'actor-back') && role === 'sampler')
        fanouts.restarted(samplers[Number(index)], Number(index)).catch(() => undefined);
      observer.actorEvent(role, Number(index), e.kind, e.detail, e.pid);
      event(e.kind, `${role} ${index}: ${e.detail}`, { role, index });
    },
    heartbeatMs,
    missedHeartbeats,
  );
  let finished = false;
  try {
    const readyMs = options.readyTimeoutMs ?? 180_000;
    await Promise.all(
      all.map(async (a) => {
        const r = await retrying(`${a.role} ${a.index} to start`, () => hello(a), {
          deadlineMs: readyMs,
          quiet: true,
        });
        observer.actorUp(a.role, Number(a.index), (r as { pid?: number }).pid);
      }),
    );
    for (const a of all) liveness.watch(a);
    liveness.trackIncarnations(all);
    event('members', `${P} parameter servers, ${S} samplers, ${T} trainers answering`);

    let version = 0;
    if (resumeFrom) {
      version = await loadShards(
        shards,
        plan,
        spec,
        resumeFrom.tensors,
        resumeFrom.meta,
        resumeFrom.step,
        idTables,
      );
      event('restore', `parameters of version ${version} from ${resumeFrom.dir}`);
    } else {
      if (spec.train.mlpInit.enabled) {
        // MLPinit on trainer 0 (it holds the graph's features and a model); the shards start from it.
        const m = await retrying('MLPinit on trainer 0', () =>
          trainers[0].ask('mlpInit', {}, { timeoutMs: 24 * 3600 * 1000 }),
        );
        initial = new Map(Object.entries(m.params));
        mlpInitSeconds = m.seconds;
        event(
          'mlp-init',
          `${m.steps} MLP steps in ${m.seconds.toFixed(2)} s on trainer 0, last loss ${m.lastLoss.toFixed(4)}`,
          { seconds: m.seconds, steps: m.steps },
        );
      }
      await loadInitial(shards, plan, spec, initial, idTables);
    }

    /**
     * Asks a trainer, re-asking every few seconds (a repeated ask joins the work in progress; a
     * restarted trainer resumes it) and after it is declared dead and answers again.
     */
    const drive = async <R>(t: number, what: string, ask: () => Promise<R>): Promise<R> => {
      const a = trainers[t].address;
      for (;;) {
        const lost = liveness.lost(a).then(() => {
          throw new ActorLostError(`trainer ${t} lost during ${what}`);
        });
        lost.catch(() => undefined);
        try {
          return await Promise.race([ask(), lost]);
        } catch (error) {
          if (!(error instanceof ActorLostError) && !isTransient(error)) throw error;
          await liveness.back(a);
        }
      }
    };

    // Trainer 0 may be restarting right after start-up: asked like every other call.
    const backend = (await retrying('trainer 0 hello', () => trainers[0].ask('hello', {}))).backend;
    const metric = selectionMetric(spec);
    const allSteps: StepRecord[] = [];
    const ledgerTotals = { planned: 0, applied: 0, repeated: 0, missing: 0, rounds: 0 };
    /**
     * The newest consistent checkpoint of this run and the coordinator's tallies when it was taken:
     * what a lost shard rolls the job back to (none yet: the initial parameters, version 0).
     */
    let lastCkpt: { dir: string; totals: typeof ledgerTotals; steps: number } | undefined =
      resumeFrom ? { dir: resumeFrom.dir, totals: { ...ledgerTotals }, steps: 0 } : undefined;
    if (!resumeFrom && spec.train.mlpInit.enabled) {
      // The shards' version 0 after MLPinit, checkpointed: --resume and rollbacks never redo it.
      const path = await checkpointShards(
        shards,
        plan,
        ckptStore,
        {
          coordinator: { ...state },
          epoch: -1,
          spec,
          mlpInit: { seconds: mlpInitSeconds },
        },
        idTables,
      );
      lastCkpt = { dir: path, totals: { ...ledgerTotals }, steps: 0 };
      event('checkpoint', path);
    }
    const localSgd = spec.train.sync === 'local-sgd';
    /** Local SGD: every trainer's own optimizer state, asked between epochs, for the checkpoint. */
    const trainerStates = async () =>
      localSgd
        ? trainerStateTensors(
            await Promise.all(
              trainers.map((c, t) =>
                drive(t, 'its optimizer state', () => c.ask('optimizerState', {})),
              ),
            ),
          )
        : undefined;
    /**
     * Local SGD: hands every trainer its optimizer state of checkpoint `ckpt` (none: fresh state) for
     * the epochs of `forAttempt`, so a replay or a resumed run steps as the unfailed run did.
     */
    const restoreTrainers = async (
      ckpt: { tensors: Map<string, Float32Array>; meta: Record<string, unknown> } | undefined,
      forAttempt: number,
    ) => {
      if (!localSgd) return;
      await Promise.all(
        trainers.map((c, t) => {
          const st = ckpt ? trainerStateOf(ckpt.tensors, ckpt.meta, t) : undefined;
          return drive(t, 'restoring its optimizer state', () =>
            c.ask('setOptimizerState', { attempt: forAttempt, ...(st ?? {}) }),
          );
        }),
      );
    };
    if (resumeFrom) await restoreTrainers(resumeFrom, 0);
    let attempt = 0;
    let batchesDiscarded = 0;
    /**
     * A shard restarted and lost its slices: waits for every shard to answer, counts the batches the
     * lost timeline applied after the checkpoint, reloads every shard from it and rewinds the
     * coordinator to the epoch after it. Returns that checkpoint's epoch (-1: the initial parameters).
     */
    const rollback = async (cause: unknown): Promise<number> => {
      attempt++;
      const ckpt = lastCkpt ? await ckptStore.read(lastCkpt.dir) : undefined;
      const toVersion = ckpt ? ckpt.step : 0;
      const stats = await Promise.all(
        shards.map((c, p) => retrying(`ps ${p} to come back`, () => c.ask('stats', {}))),
      );
      // The furthest surviving shard's ledger holds every round applied since the checkpoint.
      let ahead = -1;
      stats.forEach((st, p) => {
        if (st.loaded && (ahead < 0 || st.version > stats[ahead].version)) ahead = p;
      });
      let discarded = 0;
      if (ahead >= 0) {
        const reached = stats[ahead].version;
        const kept = await retrying(`ledger of ps ${ahead}`, () =>
          shards[ahead].ask('ledger', { from: toVersion }),
        );
        for (const r of kept.rounds)
          if (r.round < reached && isLastSubRound(r.round, subRounds))
            discarded += r.batches.length;
      }
      if (ckpt) {
        version = await retrying('reload the shards', () =>
          loadShards(shards, plan, spec, ckpt.tensors, ckpt.meta, ckpt.step, idTables),
        );
        state = structuredClone(ckpt.meta.coordinator as CoordinatorState);
      } else {
        await retrying('reload the shards', () =>
          loadInitial(shards, plan, spec, initial, idTables),
        );
        version = 0;
        state = structuredClone(initialState);
      }
      await restoreTrainers(ckpt, attempt);
      fanouts.rewind(state);
      Object.assign(
        ledgerTotals,
        lastCkpt?.totals ?? { planned: 0, applied: 0, repeated: 0, missing: 0, rounds: 0 },
      );
      allSteps.length = lastCkpt?.steps ?? 0;
      batchesDiscarded += discarded;
      const why = cause instanceof Error ? cause.message : String(cause);
      event(
        'rollback',
        `${ckpt ? `checkpoint ${ckpt.dir} (epoch ${state.epoch}, version ${toVersion})` : 'initial parameters (version 0)'}: ${discarded} batches discarded, replaying from epoch ${state.epoch + 1} (${why})`,
        { epoch: state.epoch + 1, version: toVersion, discarded, checkpoint: ckpt?.dir ?? null },
      );
      return state.epoch;
    };
    for (let epoch = state.epoch + 1; epoch < spec.train.epochs && !state.stoppedEarly; epoch++) {
      try {
        const tEpoch = performance.now();
        const numBatches = makeEpochPlan(
          seeds.train,
          spec.sampling.batchSize,
          spec.train.seed,
          epoch,
          spec.train.maxStepsPerEpoch,
        ).numBatches;
        const sched = roundSchedule(numBatches, T, spec.train.localSteps);
        const startVersion = version;
        observer.epochStarted(epoch, state.step);
        event('epoch-start', `epoch ${epoch}: ${numBatches} batches in ${sched.numRounds} rounds`, {
          epoch,
          version: startVersion,
        });
        await fanouts.announce(samplers, epoch);
        const req = {
          epoch,
          numBatches,
          firstStep: state.step,
          startVersion,
          attempt,
          ...fanouts.forTrainers(),
        };
        const replies: EpochReply[] = await Promise.all(
          trainers.map((c, t) =>
            drive(t, `epoch ${epoch}`, () => c.ask('trainEpoch', req, { timeoutMs: REASK_MS })),
          ),
        );
        // One version per synchronous round, or per update in async mode.
        version = startVersion + versionsPerEpoch(sched, spec.train.sync) * subRounds;
        const steps = replies.flatMap((r) => r.steps).sort((a, b) => a.step - b.step);
        for (const s of steps) log({ type: 'step', ...s });
        allSteps.push(...steps);
        replies.forEach((r, t) => {
          if (r.resumedAtRound > 0)
            event('resumed', `trainer ${t} resumed epoch ${epoch} at round ${r.resumedAtRound}`);
        });
        // The shards' record of what went into each round: every planned batch exactly once. Async
        // shards apply updates independently, so every shard's record is checked (applied: shard 0's).
        const audited = spec.train.sync === 'async' ? shards : shards.slice(0, 1);
        const ledgers = await Promise.all(
          audited.map((c, p) =>
            retrying(`ledger of ps ${p}`, () => c.ask('ledger', { from: startVersion })),
          ),
        );
        const seen = new Uint32Array(numBatches * audited.length);
        let applied = 0;
        for (const [p, ledger] of ledgers.entries())
          for (const r of ledger.rounds) {
            // Sub-rounds of one round list the same batches: the last one records them.
            if (r.epoch !== epoch || r.round >= version || !isLastSubRound(r.round, subRounds))
              continue;
            for (const b of r.batches) {
              seen[p * numBatches + b]++;
              if (p === 0) applied++;
            }
          }
        let repeated = 0;
        let missing = 0;
        for (const n of seen) {
          if (n === 0) missing++;
          if (n > 1) repeated += n - 1;
        }
        ledgerTotals.planned += numBatches;
        ledgerTotals.applied += applied;
        ledgerTotals.repeated += repeated;
        ledgerTotals.missing += missing;
        ledgerTotals.rounds += versionsPerEpoch(sched, spec.train.sync) * subRounds;
        if (repeated > 0 || missing > 0)
          event(
            'ledger-mismatch',
            `epoch ${epoch}: ${missing} batches missing, ${repeated} repeated`,
          );
        state.step += numBatches;
        observer.epochFinished(epoch, state.step);
        const epochSeconds = (performance.now() - tEpoch) / 1000;
        const seedsDone = steps.reduce((a, s) => a + s.seeds, 0);
        const summary: EpochSummary = {
          epoch,
          loss: steps.length ? steps.reduce((a, s) => a + s.loss, 0) / steps.length : NaN,
          seedsPerSecond: seedsDone / epochSeconds,
          seconds: epochSeconds,
        };
        const lastEpoch = epoch === spec.train.epochs - 1;
        if ((epoch + 1) % spec.train.evalEvery === 0 || lastEpoch) {
          observer.evaluating();
          // Evaluation runs on trainer 0; the coordinator exports its results (and its duration).
          const evaluate = async (split: 'val' | 'test') => {
            const r = await drive(0, 'evaluation', () =>
              trainers[0].ask('evaluate', { split }, { timeoutMs: 60_000 }),
            );
            observer.evaluation(split, r.metrics, r.seconds);
            return r.metrics;
          };
          const val = await evaluate('val');
          summary.val = val;
          fanouts.afterValidation(state, val);
          const test = await afterValidation(state, spec, epoch, val, () => evaluate('test'));
          log({
            type: 'eval',
            t: Date.now() / 1000,
            epoch,
            step: state.step,
            val,
            ...(test ? { test } : {}),
          });
          observer.evaluated(epoch, val, test);
          if (state.stoppedEarly)
            event('early-stop', `no ${metric} gain for ${state.badEvals} evaluations`);
        }
        state.epoch = epoch;
        const every = spec.train.checkpointEvery;
        if ((every > 0 && (epoch + 1) % every === 0) || lastEpoch || state.stoppedEarly) {
          const path = await observer.checkpoint(epoch, state.step, async () =>
            checkpointShards(
              shards,
              plan,
              ckptStore,
              { coordinator: { ...state }, epoch, spec },
              idTables,
              await trainerStates(),
            ),
          );
          lastCkpt = { dir: path, totals: { ...ledgerTotals }, steps: allSteps.length };
          event('checkpoint', path);
        }
        options.onEpoch?.(summary);
      } catch (error) {
        if (!isShardLoss(error)) throw error;
        epoch = await rollback(error);
      }
    }

    const shardStats = await Promise.all(
      shards.map((c) => retrying('stats', () => c.ask('stats', {}))),
    );
    const samplerStats = await Promise.all(
      samplers.map((c) => retrying('stats', () => c.ask('stats', {}))),
    );
    const pushBytes = shardStats.reduce((a, s) => a + s.pushBytes, 0);
    const pullBytes = shardStats.reduce((a, s) => a + s.pullBytes, 0);
    const batchBytes = samplerStats.reduce((a, s) => a + s.bytes, 0);
    const steady = steadySteps(allSteps, T);
    const sum = (f: (s: StepRecord) => number) => steady.reduce((a, s) => a + f(s), 0);
    const wall = sum((s) => s.wall_s);
    const results: DistributedResults = {
      task: spec.task,
      backend,
      config: spec,
      val: state.bestVal,
      test: state.testAtBest,
      best_epoch: state.bestEpoch,
      epochs: state.epoch + 1,
      stopped_early: state.stoppedEarly,
      duration_s: (performance.now() - t0) / 1000,
      throughput: throughputOf(steady, T),
      peak_rss_bytes: peakRssBytes(),
      run_dir: runDir,
      checkpoint_store: ckptLocator,
      speedups: {
        fanouts: fanouts.fanouts,
        syncs: allSteps.reduce((a, st) => a + (st.syncs ?? 0), 0),
        ...(spec.task === 'link'
          ? {
              member_encodings_per_record:
                sum((st) => st.member_encodings ?? 0) /
                Math.max(
                  1,
                  sum((st) => st.seeds),
                ),
            }
          : {}),
        cloned_bytes: 0,
        mlp_init_s: mlpInitSeconds,
      },
      distributed: {
        trainers: T,
        parameter_servers: P,
        samplers: S,
        local_steps: spec.train.localSteps,
        sync: spec.train.sync,
        rounds: ledgerTotals.rounds,
        batches_planned: ledgerTotals.planned,
        batches_applied: ledgerTotals.applied,
        batches_repeated: ledgerTotals.repeated,
        batches_missing: ledgerTotals.missing,
        push_bytes: pushBytes,
        pull_bytes: pullBytes,
        batch_bytes: batchBytes,
        partition_bytes: samplerStats.reduce((a, s) => a + (s.remoteBytes ?? 0), 0),
        bytes_per_round:
          ledgerTotals.rounds > 0 ? (pushBytes + pullBytes + batchBytes) / ledgerTotals.rounds : 0,
        sync_share: wall > 0 ? sum((s) => s.sync_s) / wall : 0,
        actor_restarts: restarts,
        stale_rejections: shardStats.reduce((a, s) => a + (s.staleRejected ?? 0), 0),
        max_staleness: Math.max(0, ...shardStats.map((s) => s.maxStaleness ?? 0)),
        rollbacks: attempt,
        batches_discarded: batchesDiscarded,
      },
    };
    writeFileAtomic(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
    finished = true;
    observer.finished();
    return results;
  } catch (error) {
    observer.failed(error);
    throw error;
  } finally {
    clearInterval(healthTimer);
    stopReconnects();
    beats.unsubscribe();
    liveness.stop();
    if (finished) for (const a of all) system.tell(a, 'shutdown', shutdownMessage());
    await system.shutdown().catch(() => undefined);
    await ckptStore.close();
  }
}

/** Loads every shard with its slices of the initial parameters, at version 0 with fresh optimizer state. */
export async function loadInitial(
  shards: ActorClient<typeof ShardProtocol>[],
  plan: ShardPlan,
  spec: JobSpec,
  initial: Map<string, Float32Array>,
  idTables?: DistributedIdTables,
): Promise<void> {
  const parts = splitByPlan(plan, initial);
  // A shard killed between its hello and its load comes back empty: the load is idempotent, so retried.
  await Promise.all(
    shards.map((c, p) =>
      retrying(`load ps ${p}`, () =>
        c.ask('load', {
          params: parts[p],
          version: 0,
          optimizer: optimizerOf(spec),
          trainers: spec.cluster.trainers,
          sync: spec.train.sync,
          staleness: spec.train.staleness,
        }),
      ),
    ),
  );
  await idTables?.load(0);
}

/** Loads shards from full tensors (`name`, `name#slot`) of a checkpoint; returns the version. */
async function loadShards(
  shards: ActorClient<typeof ShardProtocol>[],
  plan: ShardPlan,
  spec: JobSpec,
  tensors: Map<string, Float32Array>,
  meta: Record<string, unknown>,
  version: number,
  idTables?: DistributedIdTables,
): Promise<number> {
  // Local SGD: the trainers' optimizer slots travel to the trainers, not to the shards.
  tensors = withoutTrainerState(tensors);
  const params = splitByPlan(plan, tensors);
  const suffixes = new Set<string>();
  for (const k of tensors.keys()) if (k.includes('#')) suffixes.add(k.slice(k.indexOf('#')));
  const slots = plan.slices.map(() => ({}) as Record<string, Float32Array>);
  for (const suffix of suffixes) {
    splitByPlan(plan, tensors, suffix).forEach((part, p) => Object.assign(slots[p], part));
  }
  const stepsByName = (meta.optimizerSteps ?? {}) as Record<string, number>;
  await Promise.all(
    shards.map((c, p) => {
      const steps: Record<string, number> = {};
      for (const sl of plan.slices[p]) steps[sl.key] = stepsByName[sl.name] ?? 0;
      return retrying(`load ps ${p}`, () =>
        c.ask('load', {
          params: params[p],
          slots: slots[p],
          steps,
          version,
          optimizer: optimizerOf(spec),
          trainers: spec.cluster.trainers,
          sync: spec.train.sync,
          staleness: spec.train.staleness,
        }),
      );
    }),
  );
  await idTables?.load(version, tensors);
  return version;
}

/** One checkpoint of every shard at one version, in the single-process layout (`weft eval` reads it). */
async function checkpointShards(
  shards: ActorClient<typeof ShardProtocol>[],
  plan: ShardPlan,
  store: CheckpointStore,
  meta: Record<string, unknown>,
  idTables?: DistributedIdTables,
  trainerState?: ReturnType<typeof trainerStateTensors>,
): Promise<string> {
  const snaps = await Promise.all(
    shards.map((c) => retrying('snapshot', () => c.ask('snapshot', {}))),
  );
  const version = snaps[0].version;
  if (snaps.some((s) => s.version !== version))
    throw new Error(`shards disagree on the version: ${snaps.map((s) => s.version).join(', ')}`);
  const tensors = assembleByPlan(
    plan,
    snaps.map((s) => s.params),
  );
  const suffixes = new Set<string>();
  for (const k of Object.keys(snaps[0].slots)) suffixes.add(k.slice(k.indexOf('#')));
  for (const suffix of suffixes)
    for (const [k, v] of assembleByPlan(
      plan,
      snaps.map((s) => s.slots),
      suffix,
    ))
      tensors.set(k, v);
  const optimizerSteps: Record<string, number> = {};
  plan.slices.forEach((list, p) => {
    for (const sl of list) optimizerSteps[sl.name] = snaps[p].steps[sl.key] ?? 0;
  });
  if (idTables) for (const [k, v] of await idTables.tensors(version)) tensors.set(k, v);
  if (trainerState) for (const [k, v] of trainerState.tensors) tensors.set(k, v);
  return store.save(version, tensors, { ...meta, optimizerSteps, ...trainerState?.meta });
}

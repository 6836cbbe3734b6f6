// The one job driver of `weft train` and `weft launch`: the same stages over whatever placement runs
// the actors (worker threads of this process, or processes over NATS).
//
//   start → for each epoch: plan → run (trainers ⇄ shards) → evaluate → checkpoint → publish
//         → summarise       (a lost shard or a non-finite value: roll back to the last checkpoint, replay)
import { appendFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { graphBytesLoaded } from '../../graph-store/open-graph.js';
import type { ActorClient } from '../../runtime/actor.js';
import { isTransient, retrying } from '../../runtime/retry.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { acquireOwnerLock, type OwnerLock } from '../../runtime/owner-lock.js';
import { TrainerProtocol, ParameterServerProtocol, type EpochReply } from '../protocols.js';
import type { JobSpec } from '../job-spec.js';
import type { Checkpoint } from '../parameter-server/checkpoint.js';
import {
  writeCheckpointLocator,
  type CheckpointLocator,
} from '../parameter-server/checkpoint-locator.js';
import type { CheckpointStore } from '../parameter-server/checkpoint-store.js';
import { DistributedIdTables, EMB_ROLE } from '../parameter-server/embedding-tables.js';
import { EmbeddingShardProtocol } from '../parameter-server/embedding-protocol.js';
import { trainerStateOf, trainerStateTensors } from '../parameter-server/local-sgd-state.js';
import { isShardLoss } from '../parameter-server/shard-errors.js';
import { isNonFinite } from '../parameter-server/non-finite.js';
import type { ShardPlan } from '../parameter-server/shard-plan.js';
import { isLastSubRound, subRoundsOf } from '../plan/link-groups.js';
import { roundSchedule, versionsPerEpoch } from '../plan/round-schedule.js';
import { withRelationBlocks } from '../plan/eval-relations.js';
import type { StepRecord } from '../protocols.js';
import {
  afterValidation,
  freshCoordinatorState,
  readState,
  selectionMetric,
  type CoordinatorState,
} from './coordinator-state.js';
import { JobFanouts } from './job-fanouts.js';
import { nonFiniteRollback, numericsOf } from './non-finite-policy.js';
import type { JobObserver } from './job-observer.js';
import { auditLedgers, describeMismatch, emptyTotals, type LedgerTotals } from './ledger-audit.js';
import type { JobEvent, Placement } from './placement.js';
import { runLocation, startCheckpoint, type StartMode } from './run-location.js';
import { jobResults, type EpochSummary, type JobResults, type Progress } from './run-results.js';
import { checkpointShards, loadInitial, loadShards, shardPlanOf } from './shard-io.js';
import { sealed } from '../control-secret.js';

export interface JobOptions {
  /**
   * Continue the run in spec.out from its newest checkpoint (an error when there is none). Without
   * it a run directory holding this job's checkpoints is resumed anyway (a restarted coordinator
   * continues), and one holding another job's is refused.
   */
  resume?: boolean;
  /** Start over even when the run directory holds checkpoints (they are kept aside). */
  fresh?: boolean;
  /**
   * Token of the run directory's lock held by the process that started this one (`weft launch`):
   * the lock is shared with it instead of refused.
   */
  runLockToken?: string;
  /**
   * Called once the run directory is this job's (its lock held, its checkpoints this job's), before
   * any actor is asked.
   */
  onOwned?: () => void;
  /** Called after each epoch's evaluation; a returned promise is awaited before the next epoch. */
  onEpoch?: (e: EpochSummary) => unknown;
  /** Membership and recovery events (also written to metrics.jsonl). */
  onEvent?: (e: { kind: string; detail: string }) => void;
  /** Called about twice a second with live progress (where the placement can read it). */
  onProgress?: (p: Progress) => void;
}

/** An actor that stopped answering during a driven ask (it may come back). */
class ActorLostError extends Error {}

/** Runs a whole job on `placement`; writes RUN_DIR/{results.json, metrics.jsonl, checkpoints}. */
export async function runJob(placement: Placement, options: JobOptions = {}): Promise<JobResults> {
  const run = new JobRun(placement, options);
  let finished = false;
  try {
    await run.start();
    const spec = placement.spec;
    for (let epoch = run.state.epoch + 1; epoch < spec.train.epochs; epoch++) {
      if (run.state.stoppedEarly) break;
      try {
        const summary = await run.trainEpoch(epoch);
        await run.evaluate(epoch, summary);
        await run.checkpoint(epoch);
        await run.publish();
        await options.onEpoch?.(summary);
      } catch (error) {
        if (isShardLoss(error)) epoch = await run.rollback(error);
        else if (isNonFinite(error)) epoch = await run.rollbackNonFinite(error, epoch);
        else throw error;
      }
    }
    const results = await run.summarise();
    finished = true;
    run.observer?.finished();
    return results;
  } catch (error) {
    run.observer?.failed(error);
    throw error;
  } finally {
    await run.close(finished);
  }
}

/** The newest consistent checkpoint and the coordinator's tallies when it was taken. */
interface RollbackPoint {
  dir: string;
  totals: LedgerTotals;
  steps: number;
}

/** One run of a job: its state, its clients, and the stages of the driver. */
class JobRun {
  readonly spec: JobSpec;
  state: CoordinatorState = freshCoordinatorState();
  observer?: JobObserver;
  private runDir = '';
  private metricsPath = '';
  private ckptDir = '';
  private store!: CheckpointStore;
  private locator!: CheckpointLocator;
  private resumeFrom?: Checkpoint;
  /** A resumed run: the epochs its checkpoint had trained. */
  private resumedAtEpoch?: number;
  private plan!: ShardPlan;
  private initial!: Map<string, Float32Array>;
  private shards: ActorClient<typeof ParameterServerProtocol>[] = [];
  private trainers: ActorClient<typeof TrainerProtocol>[] = [];
  private idTables?: DistributedIdTables;
  private fanouts!: JobFanouts;
  private version = 0;
  /** Rollbacks and coordinator restarts: every trainer's runs of an older attempt are abandoned. */
  private attempt = 0;
  /** The attempt this run started at (above any a previous coordinator's trainers ran). */
  private firstAttempt = 0;
  private lock?: OwnerLock;
  /** metrics.jsonl lines written before the run directory is this run's (held until it is). */
  private pending?: string[] = [];
  private batchesDiscarded = 0;
  private mlpInitSeconds = 0;
  private backend = '';
  private readonly steps: StepRecord[] = [];
  private totals: LedgerTotals = emptyTotals();
  private lastCkpt?: RollbackPoint;
  private runSeeds = 0;
  private runTrainSeconds = 0;
  private readonly t0 = performance.now();
  private readonly subRounds: number;
  /** The run is closing: asks still in flight (another trainer's epoch) fail instead of retrying. */
  private closing = false;

  constructor(
    private readonly placement: Placement,
    private readonly options: JobOptions,
  ) {
    this.spec = placement.spec;
    this.subRounds = subRoundsOf(this.spec);
  }

  /** A line of metrics.jsonl. */
  private log(rec: Record<string, unknown>): void {
    const line = `${JSON.stringify(rec)}\n`;
    if (this.pending) this.pending.push(line);
    else appendFileSync(this.metricsPath, line);
  }

  readonly event: JobEvent = (kind, detail, extra = {}) => {
    this.log({ type: 'event', t: Date.now() / 1000, kind, detail, ...extra });
    this.options.onEvent?.({ kind, detail });
  };

  /**
   * Stage 1: the run directory owned, the checkpoint to start from, the actors up; only then is the
   * run directory written (a start that fails leaves the previous run as it was), and the shards
   * loaded.
   */
  async start(): Promise<void> {
    const { spec, placement: p, options } = this;
    ({
      runDir: this.runDir,
      ckptDir: this.ckptDir,
      metricsPath: this.metricsPath,
    } = runLocation(spec));
    this.lock = await acquireOwnerLock(this.runDir, {
      owner: `job ${JSON.stringify(spec.name)} (${p.kind === 'nats' ? 'its coordinator' : 'weft train'})`,
      inheritToken: options.runLockToken,
    });
    ({ store: this.store, locator: this.locator } = p.checkpoints(this.ckptDir));
    const mode: StartMode = options.fresh ? 'fresh' : options.resume ? 'resume' : 'auto';
    this.resumeFrom = await startCheckpoint(this.store, spec, mode);
    options.onOwned?.();
    if (this.resumeFrom) this.state = readState(this.resumeFrom.meta);
    if (this.resumeFrom) this.resumedAtEpoch = this.state.epoch + 1;
    ({ plan: this.plan, initial: this.initial } = shardPlanOf(
      spec,
      p.graph.dim,
      p.graph.numClasses,
      p.graph.numRelations,
      p.graph.inputTypes,
    ));
    const at = (role: string, index: number) => ({ job: p.job, role, index });
    this.shards = Array.from({ length: spec.cluster.parameterServers }, (_, i) =>
      p.system.client(at('ps', i), ParameterServerProtocol),
    );
    this.trainers = Array.from({ length: spec.cluster.trainers }, (_, t) =>
      p.system.client(at('trainer', t), TrainerProtocol),
    );
    // ID embeddings: a table shard beside each parameter server, loaded and checkpointed with it.
    this.idTables = DistributedIdTables.of(spec, p.graph.numClasses, (i) =>
      p.system.client(at(EMB_ROLE, i), EmbeddingShardProtocol),
    );
    this.fanouts = new JobFanouts(spec, this.state, this.event);
    this.observer = await p.start({
      from: { epoch: this.state.epoch, step: this.state.step },
      event: this.event,
      samplerBack: (j) => void this.fanouts.restarted(p.samplers[j], j).catch(() => undefined),
    });
    this.observer.metrics.weft_graph_loaded_bytes.set(graphBytesLoaded());
    await this.meetTrainers();
    this.prepareRunDir();
    await this.loadParameters();
  }

  /**
   * Trainer 0's backend, and the attempt to start at: trainers that already ran epochs for a
   * coordinator before this one (it was restarted) are moved to a newer attempt, which abandons
   * that coordinator's unfinished runs.
   */
  private async meetTrainers(): Promise<void> {
    // Trainer 0 may be restarting right after start-up: asked like every other call.
    const hellos = await Promise.all(
      this.trainers.map((c, t) => retrying(`trainer ${t} hello`, () => c.ask('hello', {}))),
    );
    this.backend = hellos[0].backend;
    if (!hellos.some((h) => (h.attempt ?? 0) > 0 || (h.epochRuns ?? 0) > 0)) return;
    this.attempt = this.firstAttempt = Math.max(...hellos.map((h) => h.attempt ?? 0)) + 1;
    // Told before the shards are reloaded, so no run of the earlier timeline pushes into them.
    await Promise.all(
      this.trainers.map((c, t) =>
        this.drive(t, 'abandoning the earlier timeline', () =>
          c.ask('setOptimizerState', { attempt: this.attempt }),
        ),
      ),
    );
    this.event('takeover', `trainers ran for an earlier coordinator: attempt ${this.attempt}`);
  }

  /**
   * The run directory becomes this run's: a fresh run moves another run's checkpoints aside (so a
   * later resume can only continue this run) and starts metrics.jsonl empty; a resumed run drops
   * the records past its checkpoint, which are about to be produced again. Then the events of the
   * start are written.
   */
  private prepareRunDir(): void {
    const { metricsPath, ckptDir } = this;
    if (!this.resumeFrom) {
      if (this.store.kind === 'path' && existsSync(ckptDir))
        renameSync(ckptDir, `${ckptDir}.replaced-${Date.now()}`);
      writeFileAtomic(metricsPath, '');
    } else if (existsSync(metricsPath)) {
      const { step, epoch } = this.state;
      const kept = readFileSync(metricsPath, 'utf8')
        .split('\n')
        .filter((line) => {
          if (!line.trim()) return false;
          try {
            const r = JSON.parse(line) as { type?: string; step?: number; epoch?: number };
            if (r.type === 'step') return (r.step ?? 0) < step;
            return r.epoch === undefined || r.epoch <= epoch;
          } catch {
            return false;
          }
        });
      writeFileAtomic(metricsPath, kept.length ? `${kept.join('\n')}\n` : '');
    }
    writeCheckpointLocator(this.runDir, this.locator);
    const lines = this.pending ?? [];
    this.pending = undefined;
    if (lines.length > 0) appendFileSync(metricsPath, lines.join(''));
  }

  /** The shards' first parameters: a resumed checkpoint, or the initial ones (after MLPinit). */
  private async loadParameters(): Promise<void> {
    const { spec, resumeFrom } = this;
    if (resumeFrom) {
      this.version = await loadShards(
        this.shards,
        this.plan,
        spec,
        resumeFrom.tensors,
        resumeFrom.meta,
        resumeFrom.step,
        this.idTables,
        numericsOf(this.state).lrScale,
      );
      const { epoch, step } = this.state;
      this.event(
        'restore',
        `after epoch ${epoch + 1}/${spec.train.epochs} (step ${step}): parameters of version ${this.version} from ${resumeFrom.dir}`,
      );
      this.lastCkpt = { dir: resumeFrom.dir, totals: emptyTotals(), steps: 0 };
      await this.restoreTrainers(resumeFrom, this.attempt);
      return;
    }
    if (spec.train.mlpInit.enabled) await this.mlpInit();
    await retrying('load the shards', () =>
      loadInitial(this.shards, this.plan, spec, this.initial, this.idTables),
    );
    if (!spec.train.mlpInit.enabled) return;
    // The shards' version 0 after MLPinit, checkpointed: --resume and rollbacks never redo it.
    const meta = { coordinator: { ...this.state }, epoch: -1, spec };
    const path = await checkpointShards(this.shards, this.plan, this.store, {
      ...meta,
      mlpInit: { seconds: this.mlpInitSeconds },
    });
    this.lastCkpt = { dir: path, totals: emptyTotals(), steps: 0 };
    this.event('checkpoint', path);
  }

  /** MLPinit on trainer 0 (it holds the features and a model); the shards start from its weights. */
  private async mlpInit(): Promise<void> {
    const m = await this.drive(0, 'MLPinit', () =>
      this.trainers[0].ask('mlpInit', sealed({}), { timeoutMs: this.spec.timeouts.mlpInitMs }),
    );
    this.initial = new Map(Object.entries(m.params));
    this.mlpInitSeconds = m.seconds;
    this.event(
      'mlp-init',
      `${m.steps} MLP steps in ${m.seconds.toFixed(2)} s on trainer 0, last loss ${m.lastLoss.toFixed(4)}`,
      { seconds: m.seconds, steps: m.steps },
    );
  }

  /**
   * Asks trainer `t`, re-asking while it is restarting or lost (a repeated ask joins the work in
   * progress; a restarted trainer resumes it). A placement whose actors never come back fails here.
   */
  private async drive<R>(t: number, what: string, ask: () => Promise<R>): Promise<R> {
    const a = this.trainers[t].address;
    for (;;) {
      const lost = this.placement.lost(a).then(() => {
        throw new ActorLostError(`trainer ${t} lost during ${what}`);
      });
      lost.catch(() => undefined);
      try {
        return await Promise.race([ask(), lost]);
      } catch (error) {
        if (this.closing || (!(error instanceof ActorLostError) && !isTransient(error)))
          throw error;
        await this.placement.back(a);
      }
    }
  }

  /** Stages 2 and 3: the epoch's plan announced, every trainer's share trained, the ledger audited. */
  async trainEpoch(epoch: number): Promise<EpochSummary> {
    const { spec, placement: p } = this;
    const tEpoch = performance.now();
    const numBatches = await p.numBatches(epoch);
    const sched = roundSchedule(numBatches, spec.cluster.trainers, spec.train.localSteps);
    const startVersion = this.version;
    this.observer!.epochStarted(epoch, this.state.step);
    this.event(
      'epoch-start',
      `epoch ${epoch}: ${numBatches} batches in ${sched.numRounds} rounds`,
      {
        epoch,
        version: startVersion,
      },
    );
    await this.fanouts.announce(p.samplers, epoch);
    await p.beginEpoch(epoch, this.fanouts.forTrainers().fanouts);
    const { lrScale } = numericsOf(this.state);
    const req = {
      epoch,
      numBatches,
      firstStep: this.state.step,
      startVersion,
      attempt: this.attempt,
      ...this.fanouts.forTrainers(),
      ...(lrScale !== 1 ? { lrScale } : {}),
    };
    const stopProgress = this.followProgress(epoch, numBatches, tEpoch);
    let replies: EpochReply[];
    try {
      replies = await Promise.all(
        this.trainers.map((c, t) =>
          this.drive(t, `epoch ${epoch}`, () =>
            c.ask('trainEpoch', sealed(req), { timeoutMs: spec.timeouts.reaskMs }),
          ),
        ),
      );
    } finally {
      stopProgress();
    }
    // One version per synchronous round, or per update in async mode.
    const versions = versionsPerEpoch(sched, spec.train.sync) * this.subRounds;
    this.version = startVersion + versions;
    const steps = replies.flatMap((r) => r.steps).sort((a, b) => a.step - b.step);
    for (const s of steps) this.log({ type: 'step', ...s });
    this.steps.push(...steps);
    replies.forEach((r, t) => {
      if (r.resumedAtRound > 0)
        this.event('resumed', `trainer ${t} resumed epoch ${epoch} at round ${r.resumedAtRound}`);
    });
    await this.audit(epoch, numBatches, startVersion, versions);
    this.state.step += numBatches;
    this.observer!.epochFinished(epoch, this.state.step);
    return this.summaryOf(epoch, steps, (performance.now() - tEpoch) / 1000);
  }

  /** The shards' record of what went into each round: every planned batch exactly once. */
  private async audit(epoch: number, numBatches: number, from: number, versions: number) {
    // Every shard applies every round to its own slices: each one's record is checked, so a shard
    // that skipped or repeated a batch is caught even when the others agree with the plan.
    const ledgers = await Promise.all(
      this.shards.map((c, p) => retrying(`ledger of ps ${p}`, () => c.ask('ledger', { from }))),
    );
    const r = auditLedgers(ledgers, {
      epoch,
      numBatches,
      until: this.version,
      subRounds: this.subRounds,
    });
    this.totals.planned += numBatches;
    this.totals.applied += r.applied;
    this.totals.repeated += r.repeated;
    this.totals.missing += r.missing;
    this.totals.rounds += versions;
    if (r.repeated > 0 || r.missing > 0)
      this.event(
        'ledger-mismatch',
        `epoch ${epoch}: ${r.missing} batches missing, ${r.repeated} repeated (${describeMismatch(r)})`,
        { epoch, shards: r.shards },
      );
  }

  private summaryOf(epoch: number, steps: StepRecord[], seconds: number): EpochSummary {
    const seeds = steps.reduce((a, s) => a + s.seeds, 0);
    this.runSeeds += seeds;
    this.runTrainSeconds += seconds;
    return {
      epoch,
      loss: steps.length ? steps.reduce((a, s) => a + s.loss, 0) / steps.length : NaN,
      steps: steps.length,
      seedsPerSecond: seeds / seconds,
      seconds,
      evalSeconds: 0,
    };
  }

  /** Live progress about twice a second, where the placement can read it; returns the stop. */
  private followProgress(epoch: number, steps: number, tEpoch: number): () => void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return () => undefined;
    const timer = setInterval(() => {
      const p = this.placement.progress();
      if (!p) return;
      const elapsedS = (performance.now() - tEpoch) / 1000;
      onProgress({
        phase: 'train',
        epoch,
        epochs: this.spec.train.epochs,
        step: p.done,
        steps,
        loss: p.loss,
        seedsPerSecond: elapsedS > 0 ? p.seeds / elapsedS : 0,
        elapsedS,
      });
    }, 500);
    return () => clearInterval(timer);
  }

  /** Progress while evaluating: four times a second, so a display can show it is not stuck. */
  private followEvaluation(epoch: number, split: 'val' | 'test', e: EpochSummary): () => void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return () => undefined;
    const t0 = performance.now();
    const tick = () =>
      onProgress({
        phase: 'evaluate',
        split,
        epoch,
        epochs: this.spec.train.epochs,
        step: e.steps,
        steps: e.steps,
        loss: NaN,
        seedsPerSecond: e.seedsPerSecond,
        elapsedS: (performance.now() - t0) / 1000,
      });
    tick();
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
  }

  /** Stage 4: validation (and test at a new best) on trainer 0, adaptive fanouts, early stopping. */
  async evaluate(epoch: number, summary: EpochSummary): Promise<void> {
    const { spec } = this;
    const lastEpoch = epoch === spec.train.epochs - 1;
    if ((epoch + 1) % spec.train.evalEvery !== 0 && !lastEpoch) return;
    this.observer!.evaluating();
    const evaluate = async (split: 'val' | 'test') => {
      const tEval = performance.now();
      const stopProgress = this.followEvaluation(epoch, split, summary);
      try {
        const r = await this.drive(0, 'evaluation', () =>
          this.trainers[0].ask('evaluate', sealed({ split }), {
            timeoutMs: spec.timeouts.evaluateMs,
          }),
        );
        this.observer!.evaluation(split, r.metrics, r.seconds);
        return r.metrics;
      } finally {
        stopProgress();
        summary.evalSeconds += (performance.now() - tEval) / 1000;
      }
    };
    const val = await evaluate('val');
    summary.val = val;
    this.fanouts.afterValidation(this.state, val);
    const test = await afterValidation(this.state, spec, epoch, val, () => evaluate('test'));
    this.log({
      type: 'eval',
      t: Date.now() / 1000,
      epoch,
      step: this.state.step,
      ...withRelationBlocks(val, test),
    });
    this.observer!.evaluated(epoch, val, test);
    if (this.state.stoppedEarly)
      this.event(
        'early-stop',
        `no ${selectionMetric(spec)} gain for ${this.state.badEvals} evaluations`,
      );
  }

  /**
   * Stage 5: one consistent checkpoint of every shard (and trainer state) when the schedule says, and
   * after every new best validation: that version is kept as the run's best (what results.json reports
   * and `weft eval` scores by default).
   */
  async checkpoint(epoch: number): Promise<void> {
    const spec = this.spec;
    this.state.epoch = epoch;
    const every = spec.train.checkpointEvery;
    const lastEpoch = epoch === spec.train.epochs - 1;
    const best = this.state.bestEpoch === epoch;
    const scheduled = (every > 0 && (epoch + 1) % every === 0) || lastEpoch;
    if (!(scheduled || best || this.state.stoppedEarly)) return;
    if (best)
      this.state.bestCheckpoint = {
        step: this.version,
        location: this.store.locationOf(this.version),
      };
    const path = await this.observer!.checkpoint(epoch, this.state.step, async () =>
      checkpointShards(
        this.shards,
        this.plan,
        this.store,
        { coordinator: structuredClone(this.state), epoch, spec },
        this.idTables,
        await this.trainerStates(),
        { best },
      ),
    );
    this.lastCkpt = { dir: path, totals: { ...this.totals }, steps: this.steps.length };
    // The shards' version is the coordinator's; should they ever differ, the store's word stands.
    const saved = /v(\d{9})$/.exec(path);
    if (best && saved && path !== this.state.bestCheckpoint?.location)
      this.state.bestCheckpoint = { step: Number(saved[1]), location: path };
    this.event('checkpoint', path, best ? { best: true } : {});
  }

  /** Stage 6: metrics pushed where the spec says; a failed push is an event, not a failure. */
  async publish(): Promise<void> {
    const failed = await this.placement.publish();
    if (failed) this.event('failure', failed.message);
  }

  /** Local SGD: every trainer's own optimizer state, asked between epochs, for the checkpoint. */
  private async trainerStates() {
    if (this.spec.train.sync !== 'local-sgd') return undefined;
    return trainerStateTensors(
      await Promise.all(
        this.trainers.map((c, t) =>
          this.drive(t, 'its optimizer state', () => c.ask('optimizerState', {})),
        ),
      ),
    );
  }

  /**
   * Local SGD: hands every trainer its optimizer state of checkpoint `ckpt` (none: fresh state) for
   * the epochs of `forAttempt`, so a replay or a resumed run steps as the unfailed run did.
   */
  private async restoreTrainers(
    ckpt: { tensors: Map<string, Float32Array>; meta: Record<string, unknown> } | undefined,
    forAttempt: number,
  ): Promise<void> {
    if (this.spec.train.sync !== 'local-sgd') return;
    await Promise.all(
      this.trainers.map((c, t) => {
        const st = ckpt ? trainerStateOf(ckpt.tensors, ckpt.meta, t) : undefined;
        return this.drive(t, 'restoring its optimizer state', () =>
          c.ask('setOptimizerState', sealed({ attempt: forAttempt, ...(st ?? {}) })),
        );
      }),
    );
  }

  /**
   * A shard restarted and lost its slices: waits for every shard to answer, counts the batches the
   * lost timeline applied after the checkpoint, reloads every shard from it and rewinds to the epoch
   * after it. Returns that checkpoint's epoch (-1: the initial parameters).
   */
  async rollback(cause: unknown): Promise<number> {
    const spec = this.spec;
    this.attempt++;
    const ckpt = this.lastCkpt ? await this.store.read(this.lastCkpt.dir) : undefined;
    const toVersion = ckpt ? ckpt.step : 0;
    const discarded = await this.discardedSince(toVersion);
    // The learning rate's factor and the non-finite rollbacks outlive the checkpoint's state.
    const { lrScale, nonFiniteRollbacks } = this.state;
    const scale = numericsOf(this.state).lrScale;
    if (ckpt) {
      this.version = await retrying('reload the shards', () =>
        loadShards(
          this.shards,
          this.plan,
          spec,
          ckpt.tensors,
          ckpt.meta,
          ckpt.step,
          this.idTables,
          scale,
        ),
      );
      this.state = structuredClone(ckpt.meta.coordinator as CoordinatorState);
    } else {
      await retrying('reload the shards', () =>
        loadInitial(this.shards, this.plan, spec, this.initial, this.idTables, scale),
      );
      this.version = 0;
      this.state = freshCoordinatorState();
    }
    if (lrScale !== undefined) this.state.lrScale = lrScale;
    if (nonFiniteRollbacks !== undefined) this.state.nonFiniteRollbacks = nonFiniteRollbacks;
    await this.restoreTrainers(ckpt, this.attempt);
    this.fanouts.rewind(this.state);
    this.totals = { ...(this.lastCkpt?.totals ?? emptyTotals()) };
    this.steps.length = this.lastCkpt?.steps ?? 0;
    this.batchesDiscarded += discarded;
    const why = cause instanceof Error ? cause.message : String(cause);
    const from = ckpt
      ? `checkpoint ${ckpt.dir} (epoch ${this.state.epoch}, version ${toVersion})`
      : 'initial parameters (version 0)';
    this.event(
      'rollback',
      `${from}: ${discarded} batches discarded, replaying from epoch ${this.state.epoch + 1} (${why})`,
      { epoch: this.state.epoch + 1, version: toVersion, discarded, checkpoint: ckpt?.dir ?? null },
    );
    return this.state.epoch;
  }

  /**
   * A NaN or infinite loss, update or parameter in `epoch`: fails the job (train.onNonFinite fail, or
   * its rollbacks used up), or rolls back to the last checkpoint (finite by construction) with the
   * learning rate lowered. Returns the checkpoint's epoch, as `rollback` does.
   */
  async rollbackNonFinite(cause: unknown, epoch: number): Promise<number> {
    let detail: string;
    try {
      detail = nonFiniteRollback(this.spec, this.state, epoch, cause);
    } catch (error) {
      this.event('non-finite', (error as Error).message, { epoch, failed: true });
      throw error;
    }
    const { lrScale, rollbacks } = numericsOf(this.state);
    this.event('non-finite', `epoch ${epoch}: ${detail}`, { epoch, lrScale, rollbacks });
    return this.rollback(cause);
  }

  /** Batches the furthest surviving shard applied after version `from` (the lost timeline's). */
  private async discardedSince(from: number): Promise<number> {
    const stats = await Promise.all(
      this.shards.map((c, p) => retrying(`ps ${p} to come back`, () => c.ask('stats', {}))),
    );
    let ahead = -1;
    stats.forEach((st, p) => {
      if (st.loaded && (ahead < 0 || st.version > stats[ahead].version)) ahead = p;
    });
    if (ahead < 0) return 0;
    const reached = stats[ahead].version;
    const kept = await retrying(`ledger of ps ${ahead}`, () =>
      this.shards[ahead].ask('ledger', { from }),
    );
    let discarded = 0;
    for (const r of kept.rounds)
      if (r.round < reached && isLastSubRound(r.round, this.subRounds))
        discarded += r.batches.length;
    return discarded;
  }

  /** Stage 7: results.json from the steps, the shards' and samplers' totals. */
  async summarise(): Promise<JobResults> {
    const shardStats = await Promise.all(
      this.shards.map((c) => retrying('stats', () => c.ask('stats', {}))),
    );
    const results = jobResults({
      spec: this.spec,
      backend: this.backend,
      state: this.state,
      steps: this.steps,
      durationS: (performance.now() - this.t0) / 1000,
      endToEnd: this.runTrainSeconds > 0 ? this.runSeeds / this.runTrainSeconds : 0,
      runDir: this.runDir,
      locator: this.locator,
      fanouts: this.fanouts.fanouts,
      mlpInitSeconds: this.mlpInitSeconds,
      shardStats,
      samplers: await this.placement.samplerTotals(),
      totals: this.totals,
      restarts: this.placement.restarts,
      rollbacks: this.attempt - this.firstAttempt,
      batchesDiscarded: this.batchesDiscarded,
      previous: this.resumeFrom ? join(this.runDir, 'results.json') : undefined,
      resumedAtEpoch: this.resumedAtEpoch,
    });
    writeFileAtomic(join(this.runDir, 'results.json'), JSON.stringify(results, null, 2));
    await this.publish();
    return results;
  }

  async close(finished: boolean): Promise<void> {
    this.closing = true;
    await this.placement.close(finished).catch(() => undefined);
    await this.store?.close().catch(() => undefined);
    this.lock?.release();
  }
}

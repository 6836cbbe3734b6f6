// The placement of `weft launch` / `weft actor --role coordinator`: every other actor is a process of
// its own (started by the launcher or a pod) reached over NATS, watched by heartbeats, and may come
// back after a restart.
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import { readManifest } from '../../graph-store/manifest.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { retrying } from '../../runtime/retry.js';
import type { NatsTransport } from '../../runtime/transports/nats.js';
import { actorMetrics, countNatsReconnects } from '../actor-metrics.js';
import { sealed } from '../control-secret.js';
import { countError } from '../metrics-catalogue.js';
import { SamplerProtocol } from '../protocols.js';
import { JobObserver } from '../coordinator/job-observer.js';
import { JobStatusBoard } from '../coordinator/job-status.js';
import type { Placement, PlacementStart, SamplerTotals } from '../coordinator/placement.js';
import type { JobSpec } from '../job-spec.js';
import { checkpointLocatorOf } from '../parameter-server/checkpoint-locator.js';
import { checkpointStoreOf } from '../parameter-server/checkpoint-store.js';
import { partitionLayoutOf } from '../sampler/partition-sampling.js';
import { runLocation } from '../coordinator/run-location.js';
import { claimJob, type JobClaim } from './job-claim.js';
import { Liveness, type LivenessEvent } from './liveness.js';
import { checkRemoteSpeedups } from './process-switches.js';
import { NO_FEATURES_HINT } from '../../graph-store/errors.js';
import { modelFeatureDim } from '../plan/structural-features.js';
import { evalRelationKeys } from '../plan/eval-relations.js';

export interface NatsPlacementOptions {
  nats: NatsConfig;
  /** Job id in subjects (default: the spec's name with unsafe characters replaced). */
  job?: string;
  /** Where the job's state is recorded for /status (default: a board of its own, not served). */
  status?: JobStatusBoard;
}

/** The job id used in subjects: the spec's name with anything but [A-Za-z0-9_-] replaced. */
export function jobIdOf(spec: JobSpec): string {
  return spec.name.replace(/[^A-Za-z0-9_-]/g, '-');
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

export class NatsPlacement implements Placement {
  readonly kind = 'nats';
  readonly job: string;
  restarts = 0;
  samplers: Placement['samplers'] = [];
  private liveness?: Liveness;
  private stops: (() => void)[] = [];
  private all: Address[] = [];
  private run?: PlacementStart;
  private warned = false;

  private constructor(
    readonly spec: JobSpec,
    readonly system: ActorSystem,
    readonly graph: {
      dim: number;
      numClasses: number;
      numRelations: number;
      inputTypes: { start: number; width: number }[];
    },
    private readonly options: NatsPlacementOptions,
  ) {
    this.job = options.job ?? jobIdOf(spec);
  }

  /** Checks what a distributed job refuses, opens what the coordinator reads, connects to NATS. */
  static async open(spec: JobSpec, options: NatsPlacementOptions): Promise<NatsPlacement> {
    if (!spec.graph)
      throw new ConfigError('no graph given: set `graph:` in the job spec', { field: 'graph' });
    // cluster.partitions: one part per sampler, checked before any actor is asked for work.
    partitionLayoutOf(spec);
    checkRemoteSpeedups(spec);
    // The coordinator reads the graph's manifest only: the samplers hold the graph (or its parts).
    const m = readManifest(spec.graph);
    evalRelationKeys(spec, m); // eval.relations names relations the graph has
    const dim = modelFeatureDim(spec, m.features?.dim ?? 0);
    if (dim === 0)
      throw new ConfigError(`graph ${spec.graph} has no node features: ${NO_FEATURES_HINT}`, {
        field: 'graph',
      });
    const system = await ActorSystem.start({
      transport: 'nats',
      nats: options.nats,
      askTimeoutMs: spec.timeouts.askMs,
    });
    // One coordinator per job name on a server: a second one is refused before it asks anything.
    let claim: JobClaim;
    try {
      const nc = (system.transport as NatsTransport).nc;
      const job = options.job ?? jobIdOf(spec);
      const onJunk = () => countError(actorMetrics('coordinator', { job, index: 0 }), 'decode');
      claim = await claimJob(nc, job, runLocation(spec).runDir, { onJunk });
    } catch (error) {
      await system.shutdown().catch(() => undefined);
      throw error;
    }
    const placement = new NatsPlacement(
      spec,
      system,
      {
        dim,
        numClasses: m.labels?.numClasses ?? 0,
        numRelations: Math.max(1, m.edgeTypes.length),
        inputTypes: typeColumnsOf(m),
      },
      options,
    );
    placement.stops.push(() => claim.release());
    return placement;
  }

  /** The plan is rebuilt where the batches are made: sampler 0 says how long epoch `epoch` is. */
  async numBatches(epoch: number): Promise<number> {
    const sampler = this.samplers[0];
    const r = await retrying(
      'the epoch plan of sampler 0',
      () => sampler.ask('planSize', { epoch }),
      {
        deadlineMs: this.spec.timeouts.peerDeadlineMs,
      },
    );
    // The seeds' warnings, said once, as the embedded placement says them at start.
    if (!this.warned) {
      this.warned = true;
      for (const w of r.warnings ?? []) this.run?.event('warning', w);
    }
    return r.numBatches;
  }

  checkpoints(ckptDir: string) {
    const where = { ckptDir, job: this.job, nats: this.options.nats };
    return {
      store: checkpointStoreOf(this.spec, where),
      locator: checkpointLocatorOf(this.spec, where),
    };
  }

  private hello = (a: Address) => this.system.ask(a, 'hello', {}, { timeoutMs: 3000 });

  async start(run: PlacementStart): Promise<JobObserver> {
    const { spec, job, system } = this;
    this.run = run;
    const t = spec.timeouts;
    const board =
      this.options.status ?? statusBoardOf(spec, job, t.heartbeatMs * t.missedHeartbeats);
    const { parameterServers: P, samplers: S, trainers: T } = spec.cluster;
    const observer = new JobObserver(board, actorMetrics('coordinator', { job, index: 0 }), {
      job,
      actors: [
        ...Array.from({ length: P }, (_, index) => ({ role: 'ps' as const, index })),
        ...Array.from({ length: S }, (_, index) => ({ role: 'sampler' as const, index })),
        ...Array.from({ length: T }, (_, index) => ({ role: 'trainer' as const, index })),
      ],
      checkpointEvery: spec.train.checkpointEvery,
      ...run.from,
    });
    const at = (role: string, index: number): Address => ({ job, role, index });
    this.samplers = Array.from({ length: S }, (_, j) =>
      system.client(at('sampler', j), SamplerProtocol),
    );
    this.all = [
      ...Array.from({ length: P }, (_, p) => at('ps', p)),
      ...this.samplers.map((c) => c.address),
      ...Array.from({ length: T }, (_, i) => at('trainer', i)),
    ];
    this.follow(board, observer, run);
    await Promise.all(
      this.all.map(async (a) => {
        const r = await retrying(`${a.role} ${a.index} to start`, () => this.hello(a), {
          deadlineMs: t.startMs,
          quiet: true,
        });
        observer.actorUp(a.role, Number(a.index), (r as { pid?: number }).pid);
      }),
    );
    for (const a of this.all) this.liveness!.watch(a);
    this.liveness!.trackIncarnations(this.all);
    run.event('members', `${P} parameter servers, ${S} samplers, ${T} trainers answering`);
    return observer;
  }

  /** Heartbeats for /status, NATS reconnects counted, and the liveness of every actor. */
  private follow(board: JobStatusBoard, observer: JobObserver, run: PlacementStart): void {
    const { job, spec } = this;
    const transport = this.system.transport as NatsTransport;
    this.stops.push(countNatsReconnects(transport, observer.metrics));
    // While the server is down no actor can answer: /status says so instead of "training".
    if (!transport.connected) board.connection(false);
    this.stops.push(
      transport.onStatus((s) => {
        if (s.type === 'disconnect') board.connection(false);
        else if (s.type === 'reconnect') board.connection(true);
      }),
    );
    const hbPrefix = `weft._hb.${job}.`;
    const beats = transport.nc.subscribe(`${hbPrefix}>`, {
      callback: (_err, msg) => {
        const [role, index] = msg.subject.slice(hbPrefix.length).split('.');
        if (role !== undefined && index !== undefined) board.heartbeat(role, Number(index));
      },
    });
    this.stops.push(() => beats.unsubscribe());
    const healthTimer = setInterval(() => observer.refreshHealth(), spec.timeouts.heartbeatMs);
    healthTimer.unref();
    this.stops.push(() => clearInterval(healthTimer));
    this.liveness = new Liveness(
      transport.nc,
      () => transport.connected,
      this.hello,
      (e: LivenessEvent) => {
        const { role, index } = e.address;
        // The coordinator sees a process replaced (by the launcher or its pod): it counts the restart.
        if (e.kind === 'actor-restarted') this.restarts++;
        if ((e.kind === 'actor-restarted' || e.kind === 'actor-back') && role === 'sampler')
          run.samplerBack(Number(index));
        observer.actorEvent(role, Number(index), e.kind, e.detail, e.pid);
        run.event(e.kind, `${role} ${index}: ${e.detail}`, { role, index });
      },
      spec.timeouts.heartbeatMs,
      spec.timeouts.missedHeartbeats,
    );
    this.stops.push(() => this.liveness?.stop());
  }

  lost(a: Address): Promise<void> {
    return this.liveness!.lost(a);
  }

  back(a: Address): Promise<void> {
    return this.liveness!.back(a);
  }

  /** Samplers over NATS produce on demand: they learn an epoch from the trainers' fetches. */
  async beginEpoch(): Promise<void> {}

  progress(): undefined {
    return undefined;
  }

  /** Each process serves or pushes its own metrics. */
  async publish(): Promise<undefined> {
    return undefined;
  }

  async samplerTotals(): Promise<SamplerTotals> {
    const stats = await Promise.all(
      this.samplers.map((c) => retrying('stats', () => c.ask('stats', {}))),
    );
    return {
      batchBytes: stats.reduce((a, s) => a + s.bytes, 0),
      partitionBytes: stats.reduce((a, s) => a + (s.remoteBytes ?? 0), 0),
      clonedBytes: 0,
    };
  }

  async close(finished: boolean): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    if (finished) for (const a of this.all) this.system.tell(a, 'shutdown', sealed({}));
    await this.system.shutdown().catch(() => undefined);
  }
}

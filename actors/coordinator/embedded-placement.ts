// The placement of `weft train`: every actor in this process — parameter-server shards and the
// sampler on the main thread (the sampler's work on a pool of threads), the trainer on a worker
// thread — with batches handed over through shared memory. Nothing is restarted: a failure ends the job.
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import { withGraphVersion } from './densify-step.js';
import { jobGraph } from '../plan/feature-norm.js';
import { withDataDefaults } from '../plan/small-labelled.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { ActorRef } from '../../runtime/actor-system.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { ConfigError, WeftError } from '../../runtime/errors.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { ShmQueue } from '../../runtime/shm-queue.js';
import { maxBatchBytes } from '../batch/batch-producer.js';
import type { BatchSourceConfig } from '../trainer/batch-source.js';
import { cloneChannelName } from '../batch/clone-handoff.js';
import { usesIdTable, type JobSpec } from '../job-spec.js';
import { pathCheckpointStore } from '../parameter-server/checkpoint-store.js';
import { EmbeddingShardActor } from '../parameter-server/embedding-shard-actor.js';
import { EMB_ROLE } from '../parameter-server/embedding-tables.js';
import { ParameterServerActor } from '../parameter-server/parameter-server-actor.js';
import { maxFanouts } from '../plan/adaptive-fanouts.js';
import { budgetBounds } from '../plan/fanout-budgets.js';
import { epochPlanOf, linkGroupsOf, subRoundsOf, type LinkGroups } from '../plan/link-groups.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import { evalRelationKeys } from '../plan/eval-relations.js';
import { coldStartWarning } from '../plan/cold-sources.js';
import { SamplerProtocol } from '../protocols.js';
import type { SinkConfig } from '../sampler/pool-sink.js';
import { SamplerActor, type SamplerConfig } from '../sampler/sampler-actor.js';
import type { TrainerConfig } from '../trainer/trainer-actor.js';
import { observeEmbeddedJob, type EmbeddedObservability } from './embedded-observability.js';
import type { JobObserver } from './job-observer.js';
import type { Placement, PlacementStart, SamplerTotals } from './placement.js';
import { sealed } from '../control-secret.js';
import { NO_FEATURES_HINT } from '../../graph-store/errors.js';

const TRAINER_MODULE = {
  module: moduleUrl('../trainer/trainer-actor.js', import.meta.url),
  export: 'TrainerActor',
};

export class EmbeddedPlacement implements Placement {
  readonly kind = 'embedded';
  readonly restarts = 0;
  readonly samplers = [];
  readonly graph: {
    dim: number;
    numClasses: number;
    numRelations: number;
    /** Each node type's feature columns (graph-store/type-columns.ts). */
    inputTypes: { start: number; width: number }[];
  };
  private readonly groups: LinkGroups | undefined;
  private readonly trainSeeds: Int32Array;
  /** Told at start: most evaluation sources are new to training and ID embeddings are on. */
  private readonly coldWarning?: string;
  private queue?: ShmQueue;
  private sampler?: ActorRef<typeof SamplerProtocol>;
  private observed?: EmbeddedObservability;
  private readonly progressSab = new SharedArrayBuffer(4 * 8);
  private failure?: Error;
  private readonly failed: Promise<never>;
  private fail!: (error: Error) => void;

  private constructor(
    readonly spec: JobSpec,
    readonly job: string,
    readonly system: ActorSystem,
    private readonly shared: SharedGraph,
  ) {
    const seeds = seedsOf(spec, shared);
    evalRelationKeys(spec, shared); // eval.relations names relations the graph has
    this.coldWarning = coldStartWarning(spec, seeds);
    this.trainSeeds = seeds.train;
    this.groups = linkGroupsOf(spec, seeds.source, seeds.train);
    this.graph = {
      dim: shared.dim,
      numClasses: shared.numClasses,
      numRelations: Math.max(1, shared.edgeTypes.length),
      inputTypes: typeColumnsOf(shared.manifest),
    };
    this.failed = new Promise<never>((_resolve, reject) => (this.fail = reject));
    this.failed.catch(() => undefined);
  }

  /**
   * Opens the graph into shared memory and an in-process actor system. One trainer and one sampler
   * actor run here (cluster.trainers and cluster.samplers are for `weft launch`).
   */
  static async open(given: JobSpec): Promise<EmbeddedPlacement> {
    const spec = await withGraphVersion(withDataDefaults(given).spec);
    if (!spec.graph)
      throw new ConfigError('no graph given: set `graph:` in the job spec or pass --graph', {
        field: 'graph',
      });
    // The embedded job runs in one process with no NATS server to hold an object store.
    if (spec.train.checkpointStore !== 'path')
      throw new ConfigError(
        `'${spec.train.checkpointStore}' needs a distributed job (weft launch or weft actor); weft train writes checkpoints to RUN_DIR/checkpoints: use checkpointStore: path`,
        { field: 'train.checkpointStore' },
      );
    const graph = jobGraph(await openGraph(spec.graph), spec);
    if (graph.dim === 0)
      throw new ConfigError(`graph ${spec.graph} has no node features: ${NO_FEATURES_HINT}`, {
        field: 'graph',
      });
    const one = { ...spec, cluster: { ...spec.cluster, trainers: 1, samplers: 1 } };
    const system = await ActorSystem.start({
      transport: 'inproc',
      askTimeoutMs: spec.timeouts.askMs,
    });
    return new EmbeddedPlacement(one, spec.name.replace(/[^A-Za-z0-9_-]/g, '-'), system, graph);
  }

  async numBatches(epoch: number): Promise<number> {
    return epochPlanOf(this.spec, this.trainSeeds, this.groups, epoch).numBatches;
  }

  checkpoints(ckptDir: string) {
    return {
      store: pathCheckpointStore(ckptDir),
      locator: { store: 'path' as const, where: ckptDir },
    };
  }

  private at(role: string, index = 0): Address {
    return { job: this.job, role, index };
  }

  async start(run: PlacementStart): Promise<JobObserver> {
    const { spec, system } = this;
    if (this.coldWarning) run.event('warning', this.coldWarning);
    this.observed = await observeEmbeddedJob(spec, this.job, system, run.from);
    const observer = this.observed.observer;
    // No actor here is restarted (a fresh one would not know the epoch or the parameters): the first
    // failure closes the queue, so a trainer blocked on it wakes, and the job fails with its cause.
    system.on((e) => {
      if (e.type !== 'failure' || this.failure) return;
      this.queue?.close();
      this.failure = new WeftError(
        'actor-failed',
        `${e.address.role} ${e.address.index} failed: ${e.cause.message}`,
        { cause: e.cause },
      );
      this.fail(this.failure);
    });
    const local = { placement: 'local' as const, restart: { restart: 'never' as const } };
    for (let p = 0; p < spec.cluster.parameterServers; p++) {
      await system.spawn(ParameterServerActor as never, this.at('ps', p), {
        ...local,
        config: { spec, job: this.job },
      });
      if (usesIdTable(spec))
        await system.spawn(EmbeddingShardActor as never, this.at(EMB_ROLE, p), {
          ...local,
          config: {},
        });
      observer.actorUp('ps', p);
    }
    const batches = await this.startSampler();
    if (this.sampler) observer.actorUp('sampler', 0);
    const trainer: TrainerConfig = {
      spec,
      job: this.job,
      graph: this.shared.toHandle(),
      batches,
      ...(this.sampler ? { sampler: this.at('sampler') } : {}),
      progress: this.progressSab,
      reportMetrics: spec.runtime.metricsPort > 0 || spec.runtime.pushgateway !== '',
    };
    await system.spawn(TRAINER_MODULE, this.at('trainer'), {
      config: trainer,
      placement: 'thread',
      restart: { restart: 'never' },
    });
    observer.actorUp('trainer', 0);
    return observer;
  }

  /** The sampler actor and the ring it fills for the trainer (none when the trainer samples inline). */
  private async startSampler(): Promise<BatchSourceConfig> {
    const { spec } = this;
    if (spec.sampling.handoff === 'inline') return { kind: 'inline' };
    const channel = spec.sampling.handoff === 'clone' ? cloneChannelName(this.job) : undefined;
    if (!channel)
      this.queue = ShmQueue.create({
        capacityBytes: this.ringBytes(),
        producers: spec.sampling.samplers > 1 ? 'multi' : 'single',
        name: `${this.job}-batches`,
      });
    const sink: SinkConfig = this.queue
      ? { kind: 'queue', queue: this.queue.handle }
      : { kind: 'clone', channel: channel! };
    const config: SamplerConfig = { spec, graph: this.shared.toHandle(), sink };
    this.sampler = await this.system.spawn<typeof SamplerProtocol>(
      SamplerActor,
      this.at('sampler'),
      {
        config,
        placement: 'local',
        restart: { restart: 'never' },
      },
    );
    return sink;
  }

  /**
   * The ring's size: `prefetch` batches in flight behind one held aside for an out-of-order batch
   * (records come back in ring order only), at the largest fanouts the job may reach (adaptive
   * sampling grows up to its cap; a per-node budget draws up to maxScale times the hop's fanout);
   * with grouping, a round's batches stay held until its sub-rounds are trained.
   */
  private ringBytes(): number {
    const { spec } = this;
    const train = producerConfigs(spec).train;
    const fanouts = budgetBounds(spec, maxFanouts(spec));
    const perBatch = maxBatchBytes(
      { ...spec, sampling: { ...spec.sampling, fanouts } },
      this.shared,
      train.numNegatives,
      train,
    );
    const held = subRoundsOf(spec) > 1 ? spec.train.localSteps : 0;
    return Math.min(
      512 * 2 ** 20 - 1024,
      perBatch * (2 * spec.sampling.prefetch + 1 + held) + 2 ** 20,
    );
  }

  lost(): Promise<void> {
    return this.failed;
  }

  back(): Promise<void> {
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }

  async beginEpoch(epoch: number, fanouts: number[] | undefined): Promise<void> {
    if (!this.sampler) return;
    await Promise.race([
      this.sampler.ask('startEpoch', sealed({ epoch, ...(fanouts ? { fanouts } : {}) })),
      this.failed,
    ]);
  }

  progress() {
    const p = new Float64Array(this.progressSab);
    return { done: p[1], loss: p[2], seeds: p[3] };
  }

  async publish(): Promise<Error | undefined> {
    return this.observed?.push();
  }

  async samplerTotals(): Promise<SamplerTotals> {
    let clonedBytes = 0;
    if (this.sampler) clonedBytes = (await this.sampler.ask('stats', {})).clonedBytes ?? 0;
    return { batchBytes: 0, partitionBytes: 0, clonedBytes };
  }

  async close(): Promise<void> {
    await this.system.shutdown().catch(() => undefined);
    await this.observed?.close();
    this.queue?.close();
  }
}

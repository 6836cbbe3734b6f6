// The trainer actor: consumes sampled batches (zero-copy from its shared-memory queue, or sampled
// inline), runs forward/backward, aggregates gradients over N batches and syncs with the parameter server.
import { fromHandle, type GraphHandle } from '../../graph-store/shared-graph.js';
import { initBackend } from '../../kernels/tf/backend.js';
import { Actor, implement } from '../../runtime/actor.js';
import type { Address } from '../../runtime/address.js';
import { readBatch } from '../../runtime/shm-queue-batch.js';
import {
  ShmQueue,
  type ShmConsumer,
  type ShmQueueHandle,
  type ShmRecord,
} from '../../runtime/shm-queue.js';
import {
  meteredParameterServer,
  recordEvaluation,
  recordTrainerStep,
  threadActorMetrics,
  trainerStarted,
  type ThreadActorMetrics,
} from '../actor-metrics.js';
import type { JobSpec } from '../job-spec.js';
import {
  ParameterServerProtocol,
  SamplerProtocol,
  TrainerProtocol,
  type StepRecord,
} from '../protocols.js';
import type { BatchFields } from '../batch/batch-record.js';
import type { ProducerConfig } from '../batch/batch-producer.js';
import type { SeedSource } from '../plan/seed-source.js';
import { CloneReceiver } from '../batch/clone-handoff.js';
import { distinctCount, groupSlices, sliceLinkTarget } from '../plan/link-groups.js';
import { pullUnique } from '../parameter-server/unique-ids.js';
import { viewBatch, type BatchView } from '../batch/batch-view.js';
import { scaledLr, TrainerCore, type EvalSets } from './trainer-core.js';

export interface TrainerConfig {
  spec: JobSpec;
  graph: GraphHandle;
  /** The queue samplers fill for this trainer; absent when sampling inline. */
  queue?: ShmQueueHandle;
  /** handoff clone: the BroadcastChannel the sampler workers post batches on. */
  cloneChannel?: string;
  seeds: SeedSource;
  evalSets: EvalSets;
  producer: ProducerConfig;
  evalProducer: ProducerConfig;
  ps: Address;
  sampler?: Address;
  /** Float64Array(4) over shared memory: [epoch, steps done, last loss, seeds done] for progress. */
  progress: SharedArrayBuffer;
}

const QUEUE_TIMEOUT_MS = 120_000;
/** Dropout-seed distance between the gradient steps taken on one batch's group slices. */
const SLICE_STEP_STRIDE = 1_000_003;

export class TrainerActor extends Actor<TrainerConfig> {
  private core!: TrainerCore;
  private consumer?: ShmConsumer;
  private cloneIn?: CloneReceiver;
  private progress!: Float64Array;
  private early = new Map<number, { record: ShmRecord; view: BatchView }>();
  private version = 0;
  private metrics!: ThreadActorMetrics<'trainer'>;
  backend = '';

  override async onStart(): Promise<void> {
    const c = this.ctx.config;
    this.metrics = threadActorMetrics(
      'trainer',
      this.ctx.self,
      c.spec.runtime.metricsPort > 0 || c.spec.runtime.pushgateway !== '',
    );
    const report = await initBackend(c.spec.runtime.backend);
    this.backend = report.name;
    trainerStarted(this.metrics.metrics, {
      backend: report.name,
      lr: scaledLr(c.spec),
      queueCapacity: c.queue || c.cloneChannel ? c.spec.sampling.prefetch : 0,
      stalenessBound: 0, // synchronous rounds
    });
    const graph = fromHandle(c.graph);
    this.core = new TrainerCore(c.spec, graph, c.seeds, c.evalSets, c.producer, c.evalProducer);
    this.core.idRowSource = (ids, create) => this.pullRows(ids, create);
    if (c.queue) this.consumer = ShmQueue.attach(c.queue).consumer();
    if (c.cloneChannel) this.cloneIn = new CloneReceiver(c.cloneChannel);
    this.progress = new Float64Array(c.progress);
  }

  override onStop(): void {
    for (const { record } of this.early.values()) record.release();
    this.early.clear();
    this.consumer?.dispose();
    this.cloneIn?.close();
    this.core?.model.dispose();
    this.metrics?.stop();
  }

  private ps() {
    const client = this.ctx.client(this.ctx.config.ps, ParameterServerProtocol);
    return meteredParameterServer(client, this.metrics.metrics);
  }

  private async pull(): Promise<void> {
    const r = await this.ps().ask('pull', {}, { timeoutMs: 60_000 });
    this.core.setParams(new Map(Object.entries(r.params)));
    this.version = r.version;
  }

  /** ID-embedding rows of `ids` from the parameter server, each distinct id asked for once. */
  private pullRows(ids: Int32Array, create: boolean): Promise<Float32Array> {
    return pullUnique(ids, this.core.model.config.idEmbedding!.dim, async (unique) => {
      const r = await this.ps().ask('pullRows', { ids: unique, create }, { timeoutMs: 60_000 });
      return r.rows;
    });
  }

  /** A push: the mean gradient and, with ID embeddings, the table rows' gradients. */
  private pushMessage(lr: number) {
    const grads = Object.fromEntries(this.core.takeGradients());
    const idGrads = this.core.takeIdGradients();
    return idGrads ? { grads, lr, idGrads } : { grads, lr };
  }

  /** The next batch of this epoch in plan order; early arrivals from parallel samplers wait aside. */
  private nextFromQueue(epoch: number, batch: number): { view: BatchView; record: ShmRecord } {
    const held = this.early.get(batch);
    if (held) {
      this.early.delete(batch);
      return held;
    }
    for (;;) {
      const record = this.consumer!.pop({ timeoutMs: QUEUE_TIMEOUT_MS });
      if (record === null) throw new Error('sampler queue closed before the epoch ended');
      const view = viewBatch(readBatch<BatchFields>(record));
      if (view.epoch === epoch && view.batch === batch) return { view, record };
      this.early.set(view.batch, { record, view });
    }
  }

  readonly handlers = implement(TrainerProtocol, {
    sync: async () => {
      await this.pull();
      return { version: this.version, backend: this.backend };
    },
    progress: () => ({
      epoch: this.progress[0],
      done: this.progress[1],
      loss: this.progress[2],
      seeds: this.progress[3],
    }),
    evaluate: async ({ split }) => {
      const t0 = performance.now();
      const metrics = await this.core.evaluate(split);
      const seconds = (performance.now() - t0) / 1000;
      recordEvaluation(this.metrics.metrics, split, metrics, seconds);
      return { metrics, seconds };
    },
    trainEpoch: async ({ epoch, numBatches, firstStep, order, fanouts }) => {
      const spec = this.ctx.config.spec;
      if (fanouts) this.core.setFanouts(fanouts);
      const lr = scaledLr(spec);
      const sampler = this.ctx.config.sampler
        ? this.ctx.client(this.ctx.config.sampler, SamplerProtocol)
        : undefined;
      const steps: StepRecord[] = [];
      if (this.version === 0 && this.core.model.numParams() > 0) await this.pull();
      this.progress[0] = epoch;
      this.progress[1] = 0;
      this.progress[3] = 0;
      let pendingStats = { sample: 0, wait: 0, compute: 0, seeds: 0, edges: 0 };
      for (let b = 0; b < numBatches; b++) {
        const tStart = performance.now();
        let view: BatchView;
        let record: ShmRecord | undefined;
        let waitMs = 0;
        let sampleMs: number;
        if (this.consumer) {
          ({ view, record } = this.nextFromQueue(epoch, b));
          waitMs = performance.now() - tStart;
          sampleMs = view.sampleMs + view.gatherMs;
        } else if (this.cloneIn) {
          view = await this.cloneIn.next(epoch, b, QUEUE_TIMEOUT_MS);
          waitMs = performance.now() - tStart;
          sampleMs = view.sampleMs + view.gatherMs;
        } else {
          view = this.core.sampleInline(order as Int32Array, epoch, b, spec.sampling.batchSize);
          sampleMs = performance.now() - tStart;
        }
        // Grouping and slicing: S gradient steps on one sampled batch, each on its share of every
        // group; every step but the batch's last may sync here (the last syncs below, as always).
        const slices =
          view.link && spec.link.stepsPerGroup > 1
            ? groupSlices(view.link.src, spec.link.stepsPerGroup)
            : undefined;
        const parts = slices ? slices.length : 1;
        let loss = 0;
        let computeMs = 0;
        let syncMs = 0;
        let syncs = 0;
        // ID embeddings: the seeds' rows, pulled once per batch (slices share the batch's seeds).
        let idRows: Float32Array | undefined;
        if (this.core.usesIdRows) {
          const tPull = performance.now();
          idRows = await this.pullRows(view.seeds, true);
          syncMs += performance.now() - tPull;
        }
        for (let k = 0; k < parts; k++) {
          const tCompute = performance.now();
          const part = slices ? { ...view, link: sliceLinkTarget(view.link!, slices[k]) } : view;
          loss += this.core.step(part, firstStep + b + k * SLICE_STEP_STRIDE, idRows) / parts;
          computeMs += performance.now() - tCompute;
          if (k < parts - 1 && this.core.readyToSync()) {
            const tSync = performance.now();
            const r = await this.ps().ask('push', this.pushMessage(lr), { timeoutMs: 120_000 });
            this.core.setParams(new Map(Object.entries(r.params)));
            this.version = r.version;
            syncMs += performance.now() - tSync;
            syncs++;
          }
        }
        // Read before the record is released (its views die with it).
        const memberEncodings = view.link ? distinctCount(view.link.src) : undefined;
        const gatherMs = view.gatherMs;
        const seeds = view.link ? view.link.src.length : view.numSeeds;
        pendingStats.sample += sampleMs;
        pendingStats.wait += waitMs;
        pendingStats.compute += computeMs;
        pendingStats.seeds += seeds;
        pendingStats.edges += view.edges;
        record?.release();
        sampler?.tell('credit', { epoch, batch: b });
        if (this.core.readyToSync(b === numBatches - 1)) {
          const tSync = performance.now();
          const r = await this.ps().ask('push', this.pushMessage(lr), { timeoutMs: 120_000 });
          this.core.setParams(new Map(Object.entries(r.params)));
          this.version = r.version;
          syncMs += performance.now() - tSync;
          syncs++;
        }
        const wallMs = performance.now() - tStart;
        steps.push({
          epoch,
          step: firstStep + b,
          loss,
          seeds: pendingStats.seeds,
          edges: pendingStats.edges,
          sample_s: pendingStats.sample / 1000,
          queue_wait_s: pendingStats.wait / 1000,
          compute_s: pendingStats.compute / 1000,
          sync_s: syncMs / 1000,
          wall_s: wallMs / 1000,
          t: Date.now() / 1000,
          gather_s: gatherMs / 1000,
          syncs,
          grad_steps: parts,
          ...(memberEncodings !== undefined ? { member_encodings: memberEncodings } : {}),
        });
        const inline = !this.consumer && !this.cloneIn;
        recordTrainerStep(this.metrics.metrics, steps[steps.length - 1], inline);
        pendingStats = { sample: 0, wait: 0, compute: 0, seeds: 0, edges: 0 };
        this.progress[1] = b + 1;
        this.progress[2] = loss;
        this.progress[3] += seeds;
      }
      return { steps, version: this.version };
    },
  });
}

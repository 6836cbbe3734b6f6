// The coordinator of a training job on one machine: opens the graph, spawns the parameter server,
// sampler pool and trainer as actors, runs epochs, evaluation, early stopping and checkpoints.
//
//   seeds (epoch plan) → sampler pool (sample + gather) → shm queue → trainer (fwd/bwd) ⇄ parameter server
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { openGraph } from '../../graph-store/open-graph.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { ConfigError, WeftError } from '../../runtime/errors.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { ShmQueue } from '../../runtime/shm-queue.js';
import type { JobSpec } from '../job-spec.js';
import {
  ParameterServerActor,
  type ParameterServerConfig,
} from '../parameter-server/parameter-server-actor.js';
import {
  ParameterServerProtocol,
  SamplerProtocol,
  TrainerProtocol,
  type StepRecord,
} from '../protocols.js';
import { maxBatchBytes } from '../batch/batch-producer.js';
import { SamplerActor, type SamplerConfig } from '../sampler/sampler-actor.js';
import type { TrainerConfig } from '../trainer/trainer-actor.js';
import { buildModel } from '../trainer/trainer-core.js';
import { idTableOf } from '../parameter-server/id-table-spec.js';
import { adaptiveFor, adaptiveMetric, maxFanouts } from '../plan/adaptive-fanouts.js';
import { cloneChannelName } from '../batch/clone-handoff.js';
import { budgetBounds } from '../plan/fanout-budgets.js';
import { exportFanouts } from './fanout-gauges.js';
import { groupedEpochPlan, groupLinkEdges } from '../plan/link-groups.js';
import { mlpInitParams } from '../trainer/mlp-init.js';
import { observeEmbeddedJob, type EmbeddedObservability } from './embedded-observability.js';
import { makeEpochPlan } from '../plan/epoch-plan.js';
import { producerConfigs, seedsOf } from '../plan/task-seeds.js';
import {
  afterValidation,
  freshCoordinatorState,
  readState,
  selectionMetric,
} from './coordinator-state.js';
import { runLocation } from './run-location.js';
import {
  peakRssBytes,
  steadySteps,
  throughputOf,
  type EpochSummary,
  type Progress,
  type TrainResults,
} from './run-results.js';

export interface TrainOptions {
  /** Continue the run in spec.out from its newest checkpoint. */
  resume?: boolean;
  /** Called about twice a second with live progress. */
  onProgress?: (p: Progress) => void;
  /** Called after each epoch's evaluation; a returned promise is awaited before the next epoch. */
  onEpoch?: (e: EpochSummary) => unknown;
}

function sharedCopy(a: Int32Array): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(Math.max(8, a.byteLength))).subarray(
    0,
    a.length,
  );
  out.set(a);
  return out;
}

/** Runs a whole training job on this machine and writes RUN_DIR/{results.json, metrics.jsonl, checkpoints/}. */
export async function runTraining(
  spec: JobSpec,
  options: TrainOptions = {},
): Promise<TrainResults> {
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
  const { runDir, ckptDir, metricsPath, resumeFrom } = runLocation(spec, options.resume);
  const state = resumeFrom ? readState(resumeFrom.meta) : freshCoordinatorState();
  mkdirSync(runDir, { recursive: true });
  if (!resumeFrom) {
    // A fresh run in a directory that holds another run's checkpoints: keep them, out of the way,
    // so a later --resume can only continue this run.
    if (existsSync(ckptDir)) renameSync(ckptDir, `${ckptDir}.replaced-${Date.now()}`);
    writeFileAtomic(metricsPath, '');
  } else if (existsSync(metricsPath)) {
    // Records past the checkpoint are about to be produced again: drop them.
    const kept = readFileSync(metricsPath, 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          const r = JSON.parse(line) as { type?: string; step?: number; epoch?: number };
          if (r.type === 'step') return (r.step ?? 0) < state.step;
          return r.epoch === undefined || r.epoch <= state.epoch;
        } catch {
          return false;
        }
      });
    writeFileAtomic(metricsPath, kept.length ? `${kept.join('\n')}\n` : '');
  }
  const log = (rec: Record<string, unknown>) =>
    appendFileSync(metricsPath, `${JSON.stringify(rec)}\n`);

  const t0 = performance.now();
  const graph = await openGraph(spec.graph);
  if (graph.dim === 0)
    throw new ConfigError(`graph ${spec.graph} has no node features`, { field: 'graph' });
  const seeds = seedsOf(spec, graph);
  const producers = producerConfigs(spec, seeds.negativeRange);
  const job = spec.name.replace(/[^A-Za-z0-9_-]/g, '-');
  const addr = (role: string): Address => ({ job, role, index: 0 });

  const model = buildModel(spec, graph.dim, Math.max(1, graph.numClasses));
  let initial = model.init(spec.train.seed);
  model.dispose();
  // Grouping and slicing: training edges carry their group's query time; plans lay groups out whole.
  const groups =
    seeds.source.kind === 'link' && spec.link.groupSize > 1
      ? groupLinkEdges(seeds.source.src, seeds.source.times, seeds.train, spec.link.groupSize)
      : undefined;
  if (groups && seeds.source.kind === 'link')
    seeds.source = { ...seeds.source, times: groups.times };
  const adaptive = adaptiveFor(spec);
  if (adaptive && state.adaptive) adaptive.restore(state.adaptive.fanouts, state.adaptive.previous);
  let mlpInitSeconds = 0;
  if (spec.train.mlpInit.enabled && !resumeFrom) {
    const m = await mlpInitParams(
      spec,
      graph,
      seeds.source,
      seeds.train,
      initial,
      seeds.negativeRange,
    );
    initial = m.params;
    mlpInitSeconds = m.seconds;
    log({
      type: 'event',
      t: Date.now() / 1000,
      kind: 'mlp-init',
      detail: `${m.steps} MLP steps in ${m.seconds.toFixed(2)} s, last loss ${m.lastLoss.toFixed(4)}`,
    });
  }

  const system = await ActorSystem.start({ transport: 'inproc', askTimeoutMs: 600_000 });
  let queue: ShmQueue | undefined;
  // No actor of an embedded job is restarted (a fresh sampler or parameter server would not know
  // the epoch or the parameters): the first failure closes the queue, so a trainer blocked on it
  // wakes, and the job fails with that failure's cause.
  let failed: ((err: Error) => void) | undefined;
  const failure = new Promise<never>((_resolve, reject) => (failed = reject));
  failure.catch(() => undefined);
  system.on((e) => {
    if (e.type !== 'failure') return;
    queue?.close();
    failed!(
      new WeftError(
        'actor-failed',
        `${e.address.role} ${e.address.index} failed: ${e.cause.message}`,
        {
          cause: e.cause,
        },
      ),
    );
  });
  const untilFailure = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failure]);
  // Epochs and evaluations take as long as they take: failures end them, not a timer.
  const LONG_ASK = { timeoutMs: 7 * 24 * 3600 * 1000 };
  let observed: EmbeddedObservability | undefined;
  try {
    // /metrics, /status and /healthz when runtime.metricsPort is set; the status board either way.
    observed = await observeEmbeddedJob(spec, job, system, state);
    const observer = observed.observer;
    const ps = await system.spawn<typeof ParameterServerProtocol>(
      ParameterServerActor,
      addr('ps'),
      {
        config: { trainers: 1 } satisfies ParameterServerConfig,
        placement: 'local',
        restart: { restart: 'never' },
      },
    );
    await ps.ask('init', {
      params: Object.fromEntries(initial),
      optimizer: {
        kind: spec.train.optimizer,
        lr: spec.train.lr,
        momentum: spec.train.momentum,
        weightDecay: spec.train.weightDecay,
      },
      ...idTableOf(spec, graph.numClasses),
    });
    if (resumeFrom) await ps.ask('restore', { dir: resumeFrom.dir });

    const useQueue = spec.sampling.handoff !== 'inline';
    const cloneChannel = spec.sampling.handoff === 'clone' ? cloneChannelName(job) : undefined;
    let sampler: Awaited<ReturnType<typeof system.spawn<typeof SamplerProtocol>>> | undefined;
    if (useQueue) {
      // Sized for the largest fanouts the job may reach (adaptive sampling grows up to its cap; a
      // per-node budget draws up to maxScale times the hop's fanout).
      const perBatch = maxBatchBytes(
        { ...spec, sampling: { ...spec.sampling, fanouts: budgetBounds(spec, maxFanouts(spec)) } },
        graph,
        producers.train.numNegatives,
      );
      const capacity = Math.min(
        512 * 2 ** 20 - 1024,
        // Records come back in ring order only: one held aside for an out-of-order batch can pin
        // the head while `prefetch` more are in flight behind it.
        perBatch * (2 * spec.sampling.prefetch + 1) + 2 ** 20,
      );
      if (!cloneChannel)
        queue = ShmQueue.create({
          capacityBytes: capacity,
          producers: spec.sampling.samplers > 1 ? 'multi' : 'single',
          name: `${job}-batches`,
        });
      const samplerConfig: SamplerConfig = {
        shared: {
          graph: graph.toHandle(),
          producer: producers.train,
          ...(queue ? { queue: queue.handle } : { cloneChannel }),
          seeds: seeds.source,
        },
        threads: spec.sampling.samplers,
        prefetch: spec.sampling.prefetch,
        batchSize: spec.sampling.batchSize,
        seed: spec.train.seed,
      };
      sampler = await system.spawn<typeof SamplerProtocol>(SamplerActor, addr('sampler'), {
        config: samplerConfig,
        placement: 'local',
        restart: { restart: 'never' },
      });
    }
    const progressSab = new SharedArrayBuffer(4 * 8);
    const progress = new Float64Array(progressSab);
    const trainerConfig: TrainerConfig = {
      spec,
      graph: graph.toHandle(),
      queue: queue?.handle,
      ...(cloneChannel ? { cloneChannel } : {}),
      seeds: seeds.source,
      evalSets: { val: seeds.val, test: seeds.test },
      producer: producers.train,
      evalProducer: producers.eval,
      ps: addr('ps'),
      sampler: sampler ? addr('sampler') : undefined,
      progress: progressSab,
    };
    const trainer = await system.spawn<typeof TrainerProtocol>(
      { module: moduleUrl('../trainer/trainer-actor.js', import.meta.url), export: 'TrainerActor' },
      addr('trainer'),
      { config: trainerConfig, placement: 'thread', restart: { restart: 'never' } },
    );
    for (const role of sampler ? ['ps', 'sampler', 'trainer'] : ['ps', 'trainer'])
      observer.actorUp(role, 0);

    const backend = (await trainer.ask('sync', {})).backend;
    const metric = selectionMetric(spec);
    let runSeeds = 0;
    let runTrainSeconds = 0;
    const allSteps: StepRecord[] = [];
    const fanoutGauges = exportFanouts(job);
    let fanouts = adaptive ? adaptive.fanouts : spec.sampling.fanouts;
    fanoutGauges(fanouts);
    if (adaptive)
      log({ type: 'event', t: Date.now() / 1000, kind: 'fanouts', detail: fanouts.join(',') });
    for (let epoch = state.epoch + 1; epoch < spec.train.epochs && !state.stoppedEarly; epoch++) {
      const tEpoch = performance.now();
      observer.epochStarted(epoch, state.step);
      const plan = groups
        ? groupedEpochPlan(
            groups,
            spec.sampling.batchSize,
            spec.train.seed,
            epoch,
            spec.train.maxStepsPerEpoch,
          )
        : makeEpochPlan(
            seeds.train,
            spec.sampling.batchSize,
            spec.train.seed,
            epoch,
            spec.train.maxStepsPerEpoch,
          );
      const order = sharedCopy(plan.order);
      const epochFanouts = adaptive ? { fanouts } : {};
      if (sampler)
        await sampler.ask('startEpoch', {
          epoch,
          numBatches: plan.numBatches,
          order,
          ...epochFanouts,
        });
      const timer = setInterval(() => {
        const el = (performance.now() - tEpoch) / 1000;
        options.onProgress?.({
          epoch,
          epochs: spec.train.epochs,
          step: progress[1],
          steps: plan.numBatches,
          loss: progress[2],
          seedsPerSecond: el > 0 ? progress[3] / el : 0,
          elapsedS: el,
        });
      }, 500);
      let reply;
      try {
        reply = await untilFailure(
          trainer.ask(
            'trainEpoch',
            { epoch, numBatches: plan.numBatches, firstStep: state.step, order, ...epochFanouts },
            LONG_ASK,
          ),
        );
      } finally {
        clearInterval(timer);
      }
      for (const s of reply.steps) log({ type: 'step', ...s });
      allSteps.push(...reply.steps);
      state.step += plan.numBatches;
      observer.epochFinished(epoch, state.step);
      const epochSeconds = (performance.now() - tEpoch) / 1000;
      const seedsDone = reply.steps.reduce((a, s) => a + s.seeds, 0);
      runSeeds += seedsDone;
      runTrainSeconds += epochSeconds;
      const summary: EpochSummary = {
        epoch,
        loss: reply.steps.length
          ? reply.steps.reduce((a, s) => a + s.loss, 0) / reply.steps.length
          : NaN,
        seedsPerSecond: seedsDone / epochSeconds,
        seconds: epochSeconds,
      };
      const lastEpoch = epoch === spec.train.epochs - 1;
      if ((epoch + 1) % spec.train.evalEvery === 0 || lastEpoch) {
        observer.evaluating();
        const val = (await untilFailure(trainer.ask('evaluate', { split: 'val' }, LONG_ASK)))
          .metrics;
        summary.val = val;
        if (adaptive) {
          const d = adaptive.observe(val[adaptiveMetric(spec)] ?? NaN);
          state.adaptive = adaptive.state();
          if (d.grew) {
            fanouts = d.fanouts;
            fanoutGauges(fanouts);
            log({
              type: 'event',
              t: Date.now() / 1000,
              kind: 'fanouts',
              detail: `${fanouts.join(',')} (gain ${d.gain.toFixed(4)} < ${spec.sampling.adaptive.threshold})`,
            });
          }
        }
        const test = await afterValidation(
          state,
          spec,
          epoch,
          val,
          async () =>
            (await untilFailure(trainer.ask('evaluate', { split: 'test' }, LONG_ASK))).metrics,
        );
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
          log({
            type: 'event',
            t: Date.now() / 1000,
            kind: 'early-stop',
            detail: `no ${metric} gain for ${state.badEvals} evaluations`,
          });
      }
      state.epoch = epoch;
      const every = spec.train.checkpointEvery;
      if ((every > 0 && (epoch + 1) % every === 0) || lastEpoch || state.stoppedEarly) {
        const path = await observer.checkpoint(epoch, state.step, async () => {
          const c = await ps.ask('checkpoint', {
            dir: ckptDir,
            meta: { coordinator: { ...state }, epoch, spec },
          });
          return c.path;
        });
        log({ type: 'event', t: Date.now() / 1000, kind: 'checkpoint', detail: path });
      }
      const pushed = await observed.push();
      if (pushed)
        log({ type: 'event', t: Date.now() / 1000, kind: 'failure', detail: pushed.message });
      await options.onEpoch?.(summary);
    }

    const steady = steadySteps(allSteps, 1);
    const sum = (f: (s: StepRecord) => number) => steady.reduce((a, s) => a + f(s), 0);
    const results: TrainResults = {
      task: spec.task,
      backend,
      config: spec,
      val: state.bestVal,
      test: state.testAtBest,
      best_epoch: state.bestEpoch,
      epochs: state.epoch + 1,
      stopped_early: state.stoppedEarly,
      duration_s: (performance.now() - t0) / 1000,
      throughput: {
        ...throughputOf(steady, 1),
        end_to_end_seeds_per_s: runTrainSeconds > 0 ? runSeeds / runTrainSeconds : 0,
      },
      peak_rss_bytes: peakRssBytes(),
      run_dir: runDir,
      speedups: {
        fanouts,
        syncs: allSteps.reduce((a, s) => a + (s.syncs ?? 0), 0),
        ...(spec.task === 'link'
          ? {
              member_encodings_per_record:
                sum((s) => s.member_encodings ?? 0) /
                Math.max(
                  1,
                  sum((s) => s.seeds),
                ),
            }
          : {}),
        cloned_bytes: sampler ? ((await sampler.ask('stats', {})).clonedBytes ?? 0) : 0,
        mlp_init_s: mlpInitSeconds,
      },
    };
    if (resumeFrom && existsSync(join(runDir, 'results.json'))) {
      const prev = JSON.parse(
        readFileSync(join(runDir, 'results.json'), 'utf8'),
      ) as Partial<TrainResults>;
      if (steady.length === 0 && prev.throughput) results.throughput = prev.throughput;
    }
    writeFileAtomic(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
    const pushedAtEnd = await observed.push();
    if (pushedAtEnd)
      log({ type: 'event', t: Date.now() / 1000, kind: 'failure', detail: pushedAtEnd.message });
    await system.shutdown();
    return results;
  } finally {
    await system.shutdown().catch(() => undefined);
    await observed?.close();
    queue?.close();
  }
}

// Adaptive sampling survives a sampler SIGKILLed mid-epoch under weft launch: the replacement answers
// "not ready" until the coordinator tells it the epoch's grown fanouts, then samples with them (and with
// the per-node degree budgets every sampler process applies to them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchSeed } from '../../../actors/plan/epoch-plan.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { SamplerProtocol, ParameterServerProtocol } from '../../../actors/protocols.js';
import {
  allocateArrays,
  readBatchHeader,
  type BatchFields,
} from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { withFanouts } from '../../../actors/plan/adaptive-fanouts.js';
import { epochPlanOf } from '../../../actors/plan/link-groups.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { ActorTimeoutError, NoResponderError } from '../../../runtime/actor-errors.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-adaptive-restart-', { seed: 3 });

/** One trainer: one synchronous round (one shard version) per batch. */
const BATCHES_PER_EPOCH = 24;
const EPOCHS = 3;
/** Fanouts by epoch: start 2; every evaluation after the first is a stall and adds 3. */
const EPOCH_FANOUTS = [
  [2, 2],
  [2, 2],
  [5, 5],
];
/** The epoch the sampler dies in, and the last batch of it that sampler 0 owns (even batches). */
const KILL_EPOCH = 2;
const PROBE_BATCH = BATCHES_PER_EPOCH - 2;
/**
 * A batch past the epoch's end: a sampler that knows the epoch's fanouts refuses it with an error; one
 * that does not answers "not ready" before looking at the batch. So the answer says which it is.
 */
const NO_SUCH_BATCH = 1_000_000;

describe('adaptive sampling over NATS, a sampler killed mid-epoch', () => {
  it('the replacement waits for the fanouts, then samples with the grown ones; every batch once', async () => {
    const spec = launchedSpec(graphDir, join(tmp, 'run'), {
      name: 'adaptive-restart',
      // What a sampler would use if it ignored adaptive sampling: distinguishable from 2 and 5.
      'sampling.fanouts': '10,10',
      'sampling.adaptive.enabled': true,
      'sampling.adaptive.start': '2',
      'sampling.adaptive.step': 3,
      'sampling.adaptive.threshold': 1,
      // Budgets ride along: the sampler processes build them from the same spec as the producer here.
      'sampling.budget.mode': 'degree',
      'train.epochs': EPOCHS,
      'train.maxStepsPerEpoch': BATCHES_PER_EPOCH,
      'train.checkpointEvery': 0,
      'cluster.trainers': 1,
      'cluster.parameterServers': 1,
      'cluster.samplers': 2,
    });

    // Every batch of the run, produced here at the fanouts its epoch should use (deterministic).
    const graph = await openGraph(graphDir);
    const seeds = seedsOf(spec, graph);
    const base = producerConfigs(spec).train;
    const expected = (epoch: number, b: number, fanouts: number[]): BatchFields => {
      const plan = epochPlanOf(spec, seeds.train, undefined, epoch);
      const req = requestFor(
        { kind: 'node' },
        plan.order,
        epoch,
        b,
        plan.batchSize,
        batchSeed(spec.train.seed, epoch, b),
      );
      return new BatchProducer(graph, withFanouts(base, fanouts)).produce(req, (shape) =>
        allocateArrays<BatchFields>(shape),
      );
    };

    const events: string[] = [];
    const job = await LaunchedJob.start(spec, {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({
      transport: 'nats',
      nats: job.natsConfigFor('coordinator'),
    });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ParameterServerProtocol);
    const sampler0 = probe.client({ job: job.job, role: 'sampler', index: 0 }, SamplerProtocol);
    const version = async (): Promise<number> => {
      for (;;) {
        const s = await ps0.ask('stats', {}).catch(() => undefined);
        if (s && s.loaded) return s.version;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let r;
    let firstAnswer: { ready: boolean } | 'refused' | undefined;
    let probed: BatchFields | undefined;
    let statsAfter: { fanouts?: number[] } | undefined;
    let secondAnswer: unknown;
    let kills = 0;
    try {
      while ((await version()) < KILL_EPOCH * BATCHES_PER_EPOCH + 1)
        await new Promise((res) => setTimeout(res, 20));
      // The coordinator re-tells a sampler it sees restarted (a pid poll every 2 s, or heartbeats
      // back): it wins the race to the replacement's first fetch only if it asks within the
      // millisecond the replacement subscribes; then the kill is repeated (at most 3 times).
      while (kills < 3 && (firstAnswer === undefined || firstAnswer === 'refused')) {
        process.kill(job.pidOf('sampler', 0)!, 'SIGKILL');
        kills++;
        const deadline = Date.now() + 45_000;
        // Asked until the replacement subscribes (no responder, or the dead one's request times out).
        for (firstAnswer = undefined; !firstAnswer && Date.now() < deadline;) {
          firstAnswer = await sampler0
            .ask(
              'fetch',
              { epoch: KILL_EPOCH, batch: NO_SUCH_BATCH, ahead: [], waitMs: 0 },
              { timeoutMs: 1000 },
            )
            .catch((e: unknown) =>
              e instanceof NoResponderError || e instanceof ActorTimeoutError
                ? undefined
                : ('refused' as const),
            );
        }
      }
      // Still the killed epoch: the trainer cannot finish it without sampler 0.
      expect(await version()).toBeLessThan((KILL_EPOCH + 1) * BATCHES_PER_EPOCH);
      const told = await sampler0.ask(
        'fetch',
        { epoch: KILL_EPOCH, batch: PROBE_BATCH, ahead: [], waitMs: 30_000 },
        { timeoutMs: 40_000 },
      );
      probed = told.fields as unknown as BatchFields;
      // Told now: the same question as before is refused instead of "not ready".
      secondAnswer = await sampler0
        .ask('fetch', { epoch: KILL_EPOCH, batch: NO_SUCH_BATCH, ahead: [], waitMs: 0 })
        .then(
          (a) => a,
          (e: unknown) =>
            e instanceof NoResponderError || e instanceof ActorTimeoutError ? 'lost' : 'refused',
        );
      statsAfter = (await sampler0.ask('stats', {})) as { fanouts?: number[] };
      r = await job.wait();
    } finally {
      await probe.shutdown();
      await job.stop();
    }

    expect(firstAnswer).toEqual({ ready: false });
    expect(secondAnswer).toBe('refused');
    expect(events.filter((e) => e === 'restarting sampler 0')).toHaveLength(kills);
    // Told: the current (grown) fanouts, and the batch is the one those fanouts give, byte for byte.
    expect(statsAfter!.fanouts).toEqual(EPOCH_FANOUTS[KILL_EPOCH]);
    const want = expected(KILL_EPOCH, PROBE_BATCH, EPOCH_FANOUTS[KILL_EPOCH]);
    for (const [name, arr] of Object.entries(want)) {
      if (name === 'meta') continue; // timings differ
      expect(Array.from(probed![name] as ArrayLike<number>), name).toEqual(
        Array.from(arr as ArrayLike<number>),
      );
    }
    expect(readBatchHeader(probed!.meta).edges).toBe(readBatchHeader(want.meta).edges);
    const atSpecFanouts = expected(KILL_EPOCH, PROBE_BATCH, spec.sampling.fanouts);
    expect(readBatchHeader(atSpecFanouts.meta).edges).toBeGreaterThan(
      readBatchHeader(want.meta).edges,
    );

    // The job finished; the shards' ledger holds every planned batch exactly once.
    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.batches_planned).toBe(EPOCHS * BATCHES_PER_EPOCH);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    expect(r.speedups!.fanouts).toEqual([8, 8]);

    // Every trained batch, the restarted sampler's included, was sampled at its epoch's fanouts.
    const steps = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; epoch: number; step: number; edges: number })
      .filter((l) => l.type === 'step');
    expect(steps).toHaveLength(EPOCHS * BATCHES_PER_EPOCH);
    for (const st of steps) {
      const b = st.step - st.epoch * BATCHES_PER_EPOCH;
      const e = readBatchHeader(expected(st.epoch, b, EPOCH_FANOUTS[st.epoch]).meta).edges;
      expect(st.edges, `epoch ${st.epoch} batch ${b}`).toBe(e);
    }
  }, 90_000);
});

// Local SGD with Adam over launched processes: every trainer's own optimizer state is checkpointed with
// the shards, so a ps rollback and --resume replay exactly; a trainer killed mid-epoch still applies every batch once.
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import type { DistributedResults } from '../../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { LocalSgd } from '../../../actors/parameter-server/local-sgd.js';
import {
  trainerStateOf,
  trainerStateTensors,
  withoutTrainerState,
} from '../../../actors/parameter-server/local-sgd-state.js';
import type { Role } from '../../../actors/distributed/role-runner.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint, type Checkpoint } from '../../../actors/parameter-server/checkpoint.js';
import { JetStreamCheckpointStore } from '../../../actors/parameter-server/jetstream-checkpoint-store.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import {
  finish,
  killAtVersion,
  launchedSpec,
  metricsOf as metricsIn,
  synthGraphFixture,
} from '../../helpers/launched-job.js';
import { findNatsServer, startNatsServer } from '../../helpers/nats-server.js';
import { expectSameTensors } from '../../helpers/same-parameters.js';

const haveServer = findNatsServer() !== undefined;
if (!haveServer) console.warn('nats-server not installed: skipping the local-SGD checkpoint tests');

const { tmp, graphDir } = synthGraphFixture('weft-lsgd-ckpt-', { seed: 5 });

const TRAINERS = 2;
const K = 2;
const BATCHES_PER_EPOCH = 24;
/** Each round takes K batches from each trainer: one version per round. */
const ROUNDS_PER_EPOCH = BATCHES_PER_EPOCH / (TRAINERS * K);
const EPOCHS = 3;

const specFor = (name: string, epochs: number, store: 'path' | 'jetstream' = 'path') =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'train.epochs': epochs,
    'train.maxStepsPerEpoch': BATCHES_PER_EPOCH,
    'train.checkpointEvery': 1,
    'train.checkpointStore': store,
    'train.sync': 'local-sgd',
    'train.localSteps': K,
    'train.optimizer': 'adam',
    'train.lr': 0.01,
    'runtime.transport': 'nats',
    'cluster.trainers': TRAINERS,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
  });

const metricsOf = (name: string) => metricsIn(join(tmp, name));

/** Runs a launched job; with `kill`, SIGKILLs that actor once ps 0 reaches version `at`. */
async function launch(
  spec: ReturnType<typeof specFor>,
  opts: { resume?: boolean; kill?: { role: Role; index: number; at: number } } = {},
): Promise<{ results: DistributedResults; events: string[] }> {
  const events: string[] = [];
  const job = await LaunchedJob.start(spec, {
    resume: opts.resume,
    onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
  });
  const kill = opts.kill;
  const results = await finish(job, async () => {
    if (kill) await killAtVersion(job, kill, kill.at, { pollMs: 20 });
  });
  return { results, events };
}

/** The newest version of a run's JetStream store (its files in RUN_DIR/jetstream), read with a server of our own. */
async function latestInObjectStore(name: string): Promise<Checkpoint> {
  const server = await startNatsServer({ jetStreamDir: join(tmp, name, 'jetstream') });
  const nc = await connect({ servers: server.url });
  try {
    const store = await JetStreamCheckpointStore.open(nc, `weft-ckpt-${name}`);
    return (await store.latest())!;
  } finally {
    await nc.close();
    await server.stop();
  }
}

describe('local SGD optimizer state, trainer side', () => {
  it('export → restore continues exactly as the uninterrupted optimizer (Adam, SGD+momentum; many seeds)', () => {
    for (const optimizer of ['adam', 'sgd'] as const)
      for (let seed = 1; seed <= 10; seed++) {
        const rng = new Xoshiro128Float(seed, 9);
        const spec = applyOverrides(defaultJobSpec(), {
          'train.sync': 'local-sgd',
          'train.optimizer': optimizer,
          'train.momentum': 0.9,
          'train.lr': 0.05,
        });
        const sizes = [1 + Math.floor(rng.next() * 30), 1 + Math.floor(rng.next() * 30)];
        const rand = () =>
          new Map(
            sizes.map((n, i) => [
              `p${i}`,
              Float32Array.from({ length: n }, () => rng.next() * 2 - 1),
            ]),
          );
        const start = rand();
        const grads = Array.from({ length: 6 }, rand);
        const copy = (m: Map<string, Float32Array>) =>
          new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));
        const whole = new LocalSgd(spec);
        whole.begin(start);
        let a = start;
        for (const g of grads) a = copy(whole.step(g));
        // Three steps, the state through a checkpoint's tensors and meta, three more in a new trainer.
        const first = new LocalSgd(spec);
        first.begin(start);
        let mid = start;
        for (const g of grads.slice(0, 3)) mid = copy(first.step(g));
        const saved = trainerStateTensors([{ slots: {}, steps: {} }, first.exportState()]);
        const ckpt = new Map([...saved.tensors, ['p0', new Float32Array(1)]]);
        expect([...withoutTrainerState(ckpt).keys()]).toEqual(['p0']);
        const second = new LocalSgd(spec);
        second.restoreState(trainerStateOf(ckpt, saved.meta, 1)!);
        second.begin(mid);
        let b = mid;
        for (const g of grads.slice(3)) b = copy(second.step(g));
        // Same float32 operations in the same order: bit-identical.
        for (const [k, x] of a) expect(b.get(k), k).toEqual(x);
        // A fresh optimizer instead (what a rollback did before) ends elsewhere with Adam.
        if (optimizer === 'adam') {
          const fresh = new LocalSgd(spec);
          fresh.begin(mid);
          let c = mid;
          for (const g of grads.slice(3)) c = copy(fresh.step(g));
          let diff = 0;
          for (const [k, x] of a)
            for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i] - c.get(k)![i]));
          expect(diff).toBeGreaterThan(1e-4);
        }
        expect(trainerStateOf(ckpt, saved.meta, 2)).toBeUndefined();
      }
  });
});

describe.skipIf(!haveServer)('local SGD with Adam over launched processes', () => {
  let clean: DistributedResults;
  let cleanCkpt: Checkpoint;

  it('checkpoints every trainer’s optimizer state beside the shards (one version)', async () => {
    clean = (await launch(specFor('clean', EPOCHS))).results;
    expect(clean.distributed.rounds).toBe(EPOCHS * ROUNDS_PER_EPOCH);
    cleanCkpt = latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!;
    expect(cleanCkpt.step).toBe(EPOCHS * ROUNDS_PER_EPOCH);
    const names = [...cleanCkpt.tensors.keys()];
    for (let t = 0; t < TRAINERS; t++) {
      const st = trainerStateOf(cleanCkpt.tensors, cleanCkpt.meta, t)!;
      expect(st).toBeDefined();
      // Every parameter stepped K per round, in every round of every epoch, on this trainer.
      for (const steps of Object.values(st.steps))
        expect(steps).toBe(EPOCHS * ROUNDS_PER_EPOCH * K);
      expect(names.filter((n) => n.startsWith(`trainer.${t}.`) && n.endsWith('#m')).length).toBe(
        Object.keys(st.steps).length,
      );
    }
  }, 120_000);

  it('(a) a ps shard SIGKILLed mid-run rolls back and ends with the unfailed parameters', async () => {
    // Mid epoch 1: the epoch-0 checkpoint (with the trainers' Adam moments) is at ROUNDS_PER_EPOCH.
    const { results: r, events } = await launch(specFor('ps-killed', EPOCHS), {
      kill: { role: 'ps', index: 1, at: ROUNDS_PER_EPOCH + 2 },
    });
    expect(events).toContain('restarting ps 1');
    expect(r.distributed.rollbacks).toBe(1);
    expect(r.distributed.batches_applied).toBe(EPOCHS * BATCHES_PER_EPOCH);
    expect(r.distributed.batches_repeated + r.distributed.batches_missing).toBe(0);
    const restored = metricsOf('ps-killed').filter((l) => l.kind === 'rollback');
    expect(restored).toHaveLength(1);
    expectSameTensors(cleanCkpt, latestCheckpoint(join(tmp, 'ps-killed', 'checkpoints'))!, 1e-6);
    expect(r.test.accuracy).toBe(clean.test.accuracy);
  }, 120_000);

  it('(b) --resume of a JetStream-checkpointed run for one more epoch equals the uninterrupted run', async () => {
    await launch(specFor('resumed', EPOCHS - 1, 'jetstream'));
    const { results: r } = await launch(specFor('resumed', EPOCHS, 'jetstream'), { resume: true });
    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.batches_applied).toBe(BATCHES_PER_EPOCH);
    expect(metricsOf('resumed').filter((l) => l.kind === 'restore')).toHaveLength(1);
    expectSameTensors(cleanCkpt, await latestInObjectStore('resumed'), 1e-6);
  }, 120_000);

  it('(c) a trainer SIGKILLed mid-epoch: the job finishes, every batch applied exactly once', async () => {
    const { results: r, events } = await launch(specFor('trainer-killed', EPOCHS), {
      kill: { role: 'trainer', index: 1, at: ROUNDS_PER_EPOCH + 2 },
    });
    expect(events).toContain('restarting trainer 1');
    const d = r.distributed;
    expect(r.epochs).toBe(EPOCHS);
    expect(d.rollbacks).toBe(0);
    expect(d.batches_planned).toBe(EPOCHS * BATCHES_PER_EPOCH);
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated).toBe(0);
    expect(d.batches_missing).toBe(0);
    expect(r.test.accuracy).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
  }, 120_000);
});

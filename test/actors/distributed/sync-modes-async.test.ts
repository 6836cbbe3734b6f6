// Asynchronous updates with a staleness bound (train.sync async): a shard never applies an update
// staler than the bound, applies each exactly once, and a job over a real nats-server trains to sane accuracy.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParameterServerProtocol } from '../../../actors/protocols.js';
import { roundSchedule, versionsPerEpoch } from '../../../actors/plan/round-schedule.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { launchedSpec, SMALL_GRAPH } from '../../helpers/launched-job.js';
import { natsJobFixture } from '../../helpers/nats-job.js';

const nats = natsJobFixture('weft-async-', { g: { ...SMALL_GRAPH, seed: 5 } });
const { tmp, run: runOverNats } = nats;
const graphDir = join(tmp, 'g');

describe('async updates on one shard', () => {
  it('applies an update iff it is within the bound, each (epoch, trainer, seq) once (many seeds)', async () => {
    const system = await ActorSystem.start({ transport: 'inproc' });
    try {
      for (let seed = 1; seed <= 12; seed++) {
        const rng = new Xoshiro128Float(seed, 9);
        const bound = rng.below(4);
        const trainers = 2 + rng.below(3);
        const job = `async-unit-${seed}`;
        await system.spawn(
          ParameterServerActor,
          { job, role: 'ps', index: 0 },
          {
            config: {},
            placement: 'local',
          },
        );
        const ps = system.client({ job, role: 'ps', index: 0 }, ParameterServerProtocol);
        await ps.ask('load', {
          params: { w: new Float32Array(3) },
          version: 0,
          optimizer: { kind: 'sgd', lr: 0.5, momentum: 0, weightDecay: 0 },
          trainers,
          sync: 'async',
          staleness: bound,
        });
        // Each trainer holds the version of its last reply; the others move the shard meanwhile.
        const base = new Array<number>(trainers).fill(0);
        const nextSeq = new Array<number>(trainers).fill(0);
        let version = 0;
        let refusals = 0;
        for (let k = 0; k < 60; k++) {
          const t = rng.below(trainers);
          const retry = nextSeq[t] > 0 && rng.next() < 0.2;
          const seq = retry ? rng.below(nextSeq[t]) : nextSeq[t];
          const r = await ps.ask('update', {
            epoch: 0,
            trainer: t,
            seq,
            base: base[t],
            batches: [t * 1000 + seq],
            grads: { w: Float32Array.from([1, 0, -1]) },
            lr: 0.5,
          });
          if (retry) {
            // A repeat of an applied update: reported applied, nothing changes.
            expect(r.applied).toBe(true);
            expect(r.version).toBe(version);
            continue;
          }
          const stale = version - base[t];
          expect(r.staleness).toBe(stale);
          expect(r.applied).toBe(stale <= bound);
          if (r.applied) {
            version++;
            nextSeq[t]++;
          } else refusals++;
          expect(r.version).toBe(version);
          expect(Array.from(r.params.w)).toEqual([-0.5 * version, 0, 0.5 * version]);
          base[t] = r.version;
          // Sometimes a trainer keeps computing on what it has (no fresh pull): staleness grows.
          if (rng.next() < 0.5) base[t] = Math.max(0, base[t] - rng.below(3));
        }
        const { rounds } = await ps.ask('ledger', { from: 0 });
        expect(rounds).toHaveLength(version);
        const keys = new Set<number>();
        for (const e of rounds) {
          expect(e.staleness).toBeLessThanOrEqual(bound);
          for (const b of e.batches) keys.add(b);
        }
        expect(keys.size).toBe(version);
        for (let t = 0; t < trainers; t++) {
          const { applied } = await ps.ask('progress', { epoch: 0, trainer: t });
          expect(applied).toBe(nextSeq[t]);
        }
        const stats = await ps.ask('stats', {});
        expect(stats.staleRejected).toBe(refusals);
        expect(stats.maxStaleness).toBeLessThanOrEqual(bound);
        // An update from a version the shard never had (an abandoned timeline) is an error.
        await expect(
          ps.ask('update', {
            epoch: 0,
            trainer: 0,
            seq: nextSeq[0],
            base: version + 5,
            batches: [],
            grads: { w: new Float32Array(3) },
            lr: 0.5,
          }),
        ).rejects.toThrow(/computed on version/);
      }
    } finally {
      await system.shutdown();
    }
  });

  it('counts one version per update: every trainer once per round it has batches in', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rng = new Xoshiro128Float(seed, 4);
      const s = roundSchedule(1 + rng.below(100), 1 + rng.below(5), 1 + rng.below(6));
      let updates = 0;
      for (let t = 0; t < s.trainers; t++)
        for (let k = 0; k < s.numRounds; k++)
          if (k * s.trainers * s.localSteps + t * s.localSteps < s.numBatches) updates++;
      expect(versionsPerEpoch(s, 'async')).toBe(updates);
      expect(versionsPerEpoch(s, 'aggregate')).toBe(s.numRounds);
    }
  });
});

describe('async updates over NATS', () => {
  const specFor = (name: string, staleness: number, epochs: number) =>
    launchedSpec(graphDir, join(tmp, name), {
      name,
      'sampling.batchSize': 64,
      'train.epochs': epochs,
      'train.sync': 'async',
      'train.staleness': staleness,
      'train.checkpointEvery': 0,
      'eval.maxNodes': 400,
      'cluster.trainers': 3,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': nats.url(),
    });

  it('bound 0: every batch applied exactly once on every shard, none stale', async () => {
    const r = await runOverNats(specFor('async-b0', 0, 1), 'async-b0');
    const d = r.distributed;
    expect(d.sync).toBe('async');
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated + d.batches_missing).toBe(0);
    expect(d.max_staleness).toBe(0);
    // One version per update: every batch its own update with localSteps 1.
    expect(d.rounds).toBe(d.batches_planned);
  }, 60_000);

  it('bound 2: staleness never above it, exactly once, sane accuracy', async () => {
    const r = await runOverNats(specFor('async-b2', 2, 3), 'async-b2');
    const d = r.distributed;
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated + d.batches_missing).toBe(0);
    expect(d.max_staleness).toBeLessThanOrEqual(2);
    // 4 classes: chance is about 0.25.
    expect(r.test.accuracy).toBeGreaterThan(0.6);
  }, 60_000);
});

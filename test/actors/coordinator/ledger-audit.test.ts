// The exactly-once audit reads every shard's ledger: a batch missing from, or repeated in, shard 1's
// record is caught though shard 0 agrees with the plan — counted by the audit, and in a real job over
// NATS whose second shard reports a ledger with one batch left out.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditLedgers, describeMismatch } from '../../../actors/coordinator/ledger-audit.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import type { RoundEntry } from '../../../actors/protocols.js';
import { runDistributedTraining } from '../../../actors/distributed/distributed-job.js';
import { SamplerActor } from '../../../actors/sampler/sampler-actor.js';
import { TrainerActor } from '../../../actors/trainer/trainer-actor.js';
import type { Handlers } from '../../../runtime/actor.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { metricsOf } from '../../helpers/launched-job.js';
import { natsJobFixture } from '../../helpers/nats-job.js';

const at = { epoch: 0, numBatches: 4, until: 100, subRounds: 1 };
const round = (r: number, batches: number[]): RoundEntry => ({ round: r, batches, epoch: 0 });
const full = { rounds: [round(0, [0, 1]), round(1, [2, 3])] };

describe('auditLedgers', () => {
  it('finds nothing wrong when every shard applied every batch once', () => {
    const r = auditLedgers([full, full, full], at);
    expect(r).toEqual({
      applied: 4,
      missing: 0,
      repeated: 0,
      shards: [0, 1, 2].map(() => ({ missing: 0, repeated: 0 })),
    });
  });

  it("catches a batch left out of shard 1's ledger, and names the shard", () => {
    const omitted = { rounds: [round(0, [0, 1]), round(1, [3])] };
    const r = auditLedgers([full, omitted], at);
    expect(r.applied).toBe(4);
    expect(r.missing).toBe(1);
    expect(r.shards[1]).toEqual({ missing: 1, repeated: 0 });
    expect(describeMismatch(r)).toBe('ps 1: 1 missing, 0 repeated');
  });

  it('catches a corrupted entry of shard 1 (a batch replaced by another, or outside the plan)', () => {
    const swapped = { rounds: [round(0, [0, 1]), round(1, [2, 2])] };
    const r = auditLedgers([full, swapped], at);
    expect(r.shards[1]).toEqual({ missing: 1, repeated: 1 });
    const foreign = { rounds: [round(0, [0, 1]), round(1, [2, 9])] };
    expect(auditLedgers([full, foreign], at).shards[1]).toEqual({ missing: 1, repeated: 1 });
    expect(auditLedgers([full, { rounds: [] }], at).shards[1].missing).toBe(4);
  });

  it('counts only the last sub-round of a round and rounds before `until`', () => {
    const subs = {
      rounds: [round(0, [0, 1]), round(1, [0, 1]), round(2, [2, 3]), round(3, [2, 3])],
    };
    expect(auditLedgers([subs], { ...at, subRounds: 2 }).repeated).toBe(0);
    expect(auditLedgers([subs], { ...at, subRounds: 2, until: 2 }).missing).toBe(2);
  });
});

const nats = natsJobFixture('weft-ledger-audit-', {
  g: { nodes: 600, edges: 4000, featureDim: 8, classes: 3, seed: 13 },
});

/** A shard whose ledger leaves out the first batch of every round it reports. */
class ForgetfulShard extends ParameterServerActor {
  constructor(...args: ConstructorParameters<typeof ParameterServerActor>) {
    super(...args);
    const base = this.handlers.ledger;
    (this as { handlers: Handlers }).handlers = {
      ...this.handlers,
      ledger: {
        ...base,
        fn: async (msg, meta) => {
          const r = (await base.fn(msg, meta)) as { rounds: RoundEntry[] };
          return { rounds: r.rounds.map((e) => ({ ...e, batches: e.batches.slice(1) })) };
        },
      },
    };
  }
}

describe('the coordinator of a job over NATS', () => {
  it("audits shard 1's ledger too: a batch missing there is reported", async () => {
    const job = 'ledger-audit';
    const out = join(nats.tmp, 'run');
    const spec = applyOverrides(defaultJobSpec(), {
      name: job,
      graph: join(nats.tmp, 'g'),
      out,
      'model.hidden': 8,
      'sampling.fanouts': '4,3',
      'sampling.batchSize': 32,
      'train.epochs': 1,
      'train.maxStepsPerEpoch': 4,
      'eval.maxNodes': 64,
      'cluster.trainers': 1,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': nats.url(),
    });
    const system = await ActorSystem.start({ transport: 'nats', nats: { servers: nats.url() } });
    try {
      const cfg = { config: { spec, job }, placement: 'local' as const };
      await system.spawn(ParameterServerActor, { job, role: 'ps', index: 0 }, cfg);
      await system.spawn(ForgetfulShard, { job, role: 'ps', index: 1 }, cfg);
      await system.spawn(SamplerActor, { job, role: 'sampler', index: 0 }, cfg);
      await system.spawn(TrainerActor, { job, role: 'trainer', index: 0 }, cfg);
      const r = await runDistributedTraining(spec, { nats: { servers: nats.url() }, job });
      // Four rounds of one batch each: shard 0 lists them all, shard 1 none.
      expect(r.distributed.batches_planned).toBe(4);
      expect(r.distributed.batches_applied).toBe(4);
      expect(r.distributed.batches_missing).toBe(4);
      expect(r.distributed.batches_repeated).toBe(0);
      const mismatch = metricsOf(out).filter((l) => l.kind === 'ledger-mismatch');
      expect(mismatch).toHaveLength(1);
      expect(String(mismatch[0].detail)).toContain('ps 1: 4 missing, 0 repeated');
      expect(String(mismatch[0].detail)).not.toContain('ps 0');
    } finally {
      await system.shutdown();
    }
  }, 120_000);
});

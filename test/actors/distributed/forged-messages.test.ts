// Forged messages against a launched job (real nats-server, real processes): a client holding the wrong
// role's credentials, and a stranger on a server without permissions, try to load NaN parameters, push
// 1e30 gradients and empty rounds, restart an epoch, change fanouts, shut actors down and make them pull
// a 100 MB payload. Each is refused without effect and counted, and the job ends as an unattacked run.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { headers as makeHeaders, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import type { Role } from '../../../actors/distributed/role-runner.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import {
  ParameterServerProtocol,
  SamplerProtocol,
  TrainerProtocol,
} from '../../../actors/protocols.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import type { Address } from '../../../runtime/address.js';
import type { NatsConfig } from '../../../runtime/nats-connect.js';
import { BLOB_HEADER, formatManifest } from '../../../runtime/transports/nats-blob.js';
import type { NatsTransport } from '../../../runtime/transports/nats.js';
import { atVersion, finish, launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';
import { freePort, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const { tmp, graphDir } = synthGraphFixture('weft-forged-', { seed: 13 });
let openServer: NatsServer;
beforeAll(async () => {
  openServer = await startNatsServer({});
});
afterAll(async () => {
  await openServer?.stop();
});

// Long enough (a few seconds) that the actors are still up when the forgeries have been counted.
const EPOCHS = 2;
const STEPS = 30;

/** A base port with `n` free ports from it (one per process of a launched job). */
async function freePorts(n: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + n > 65535) continue;
    const servers: net.Server[] = [];
    const ok = await (async () => {
      for (let i = 0; i < n; i++) {
        const s = net.createServer();
        const bound = await new Promise<boolean>((r) => {
          s.once('error', () => r(false));
          s.listen(base + i, '127.0.0.1', () => r(true));
        });
        if (!bound) return false;
        servers.push(s);
      }
      return true;
    })();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
}

const specFor = (name: string, extra: Record<string, unknown> = {}) =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': STEPS,
    'train.checkpointEvery': 1,
    ...extra,
  });

let cleanRun: Promise<Map<string, Float32Array>> | undefined;
/** The final parameters of the same job, unattacked. */
function reference(): Promise<Map<string, Float32Array>> {
  cleanRun ??= (async () => {
    const r = await finish(await LaunchedJob.start(specFor('clean')));
    expect(r.distributed.batches_missing).toBe(0);
    return latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!.tensors;
  })();
  return cleanRun;
}

/** The job ended as the unattacked run: every batch applied once, no rollback, the same parameters. */
async function expectUnharmed(name: string, r: Awaited<ReturnType<typeof finish>>): Promise<void> {
  expect(r.epochs).toBe(EPOCHS);
  expect(r.distributed.batches_planned).toBe(EPOCHS * STEPS);
  expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
  expect(r.distributed.batches_missing).toBe(0);
  expect(r.distributed.batches_repeated).toBe(0);
  expect(r.distributed.rollbacks).toBe(0);
  const want = await reference();
  const got = latestCheckpoint(join(tmp, name, 'checkpoints'))!.tensors;
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, values] of want) expect(got.get(key), key).toEqual(values);
}

/** Every forgery the test makes, through a client connected with `nats`; resolves to each outcome. */
async function forge(
  job: LaunchedJob,
  nats: NatsConfig,
  held: Map<string, Float32Array>,
): Promise<Record<string, string>> {
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { ...nats, maxReconnectAttempts: 0 },
  });
  try {
    const at = (role: string): Address => ({ job: job.job, role, index: 0 });
    const ps = system.client(at('ps'), ParameterServerProtocol);
    const trainer = system.client(at('trainer'), TrainerProtocol);
    const sampler = system.client(at('sampler'), SamplerProtocol);
    const quick = { timeoutMs: 5000 };
    // The shard's own tensors, poisoned: right names and lengths, so only the sender is wrong (a
    // sampler's credentials may not pull them: the checkpoint's names stand in).
    const own = await ps.ask('pull', {}, quick).then(
      (r) => Object.entries(r.params),
      () => [...held].filter(([k]) => !k.includes('#')),
    );
    const nan = Object.fromEntries(own.map(([k, v]) => [k, new Float32Array(v.length).fill(NaN)]));
    const huge = Object.fromEntries(
      own.map(([k, v]) => [k, new Float32Array(v.length).fill(1e30)]),
    );
    const optimizer = { kind: 'sgd' as const, lr: 1e6 };
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'applied',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    // Pushes for the round the shard is at (a sampler's credentials may not even ask): unrefused,
    // the empty one would complete it for the only trainer and the other move the model.
    const at0 = await ps.ask('stats', {}, quick).then(
      (s) => s.version,
      () => 0,
    );
    const round = { trainer: 0, epoch: 0, lr: 1e6, round: at0 };
    const results: Record<string, string> = {
      load: await outcome(
        ps.ask('load', { params: nan, version: 0, optimizer, trainers: 1 }, quick),
      ),
      push: await outcome(ps.ask('push', { ...round, batches: [0], grads: huge }, quick)),
      emptyRound: await outcome(ps.ask('push', { ...round, batches: [], grads: {} }, quick)),
      trainEpoch: await outcome(
        trainer.ask(
          'trainEpoch',
          { epoch: 0, numBatches: 1, firstStep: 0, startVersion: 0, attempt: 99 },
          quick,
        ),
      ),
      setFanouts: await outcome(sampler.ask('setFanouts', { epoch: 0, fanouts: [1, 1] }, quick)),
      oversized: await outcome(oversized(system, job.job)),
    };
    for (const role of ['ps', 'trainer', 'sampler']) system.tell(at(role), 'shutdown', {});
    await (system.transport as NatsTransport).nc.flush();
    return results;
  } finally {
    await system.shutdown();
  }
}

/**
 * A `load` whose body is offered as a 100 MB chunked payload: the shard must refuse it from the
 * declared size without asking for one chunk. Resolves once the refusal is back; rejects with it.
 */
async function oversized(system: ActorSystem, job: string): Promise<void> {
  const nc: NatsConnection = (system.transport as NatsTransport).nc;
  const chunkSubject = `weft._blob.${job}.forged.x`;
  let chunkRequests = 0;
  const sub = nc.subscribe(`${chunkSubject}.>`, {
    callback: () => {
      chunkRequests++;
    },
  });
  const h = makeHeaders();
  const manifest = { subject: chunkSubject, id: 'x', bytes: 100 * 1024 * 1024, ttlMs: 5000 };
  h.set(BLOB_HEADER, formatManifest({ ...manifest, chunkBytes: 1024 * 1024 }));
  try {
    const reply = await nc.request(`weft.${job}.ps.0.load`, new Uint8Array(0), {
      headers: h,
      timeout: 5000,
    });
    expect(chunkRequests).toBe(0);
    if (reply.headers?.get('Weft-Error')) throw new Error('refused unread');
  } finally {
    sub.unsubscribe();
  }
}

/** A process's series from its /metrics, by name and labels (`name{label="v",...}`). */
async function scrape(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(weft_[a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

/** The sum of the series of `name` whose labels include `label` (e.g. `reason="sender"`). */
function counter(m: Map<string, number>, name: string, label: string): number {
  let sum = -1;
  for (const [key, v] of m)
    if (key.startsWith(`${name}{`) && key.includes(label)) sum = (sum < 0 ? 0 : sum) + v;
  return sum;
}

/** Polls the refusal counters of ps, trainer and sampler until they reach `want` (or 30 s pass). */
async function refusals(job: LaunchedJob, want: Record<string, number>) {
  const read = async () => {
    const got: Record<string, number> = {};
    for (const role of ['ps', 'trainer', 'sampler'] as Role[]) {
      const url = job.metricsUrlOf(role, 0);
      if (url === undefined) throw new Error(`${role} 0 serves no metrics yet`);
      const m = await scrape(url);
      got[role] = counter(m, 'weft_messages_refused_total', 'reason="sender"');
      if (role === 'ps') got.psDecode = counter(m, 'weft_errors_total', 'kind="decode"');
    }
    return got;
  };
  const until = Date.now() + 30_000;
  let got = await read();
  while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    // A process that has exited serves nothing: what was read last is the answer.
    const now = await read().catch(() => undefined);
    if (!now) break;
    got = now;
  }
  return got;
}

describe('forged messages on a launched job', () => {
  it("are refused by the server's permissions when sent with a sampler's credentials", async () => {
    const held = await reference();
    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('wrong-role'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    let outcomes: Record<string, string> = {};
    const r = await finish(job, () =>
      atVersion(job, 2, async () => {
        outcomes = await forge(job, job.natsConfigFor('sampler'), held);
      }),
    );
    // None reached an actor: the server refuses every publish the role may not make, and tells the
    // sender so: an actor ask fails at once as permission denied, naming the subject, and is not
    // retried; the raw client behind `oversized` gets the server's own words.
    for (const [what, how] of Object.entries(outcomes))
      expect(how, what).toMatch(
        what === 'oversized'
          ? /^RequestError: Permissions Violation for Publish to "weft\.wrong-role\./
          : /^PermissionDeniedError: .* may not publish to "weft\.wrong-role\./,
      );
    // The server recorded each one against the sampler's user, kept in the run's logs.
    const log = readFileSync(join(tmp, 'wrong-role', 'logs', 'nats-server.log'), 'utf8');
    const violation = (kind: string, subject: string) =>
      `${kind} Violation - User "wrong-role-sampler", Subject "${subject}"`;
    for (const verb of ['ps.0.load', 'ps.0.push', 'trainer.0.trainEpoch', 'sampler.0.setFanouts'])
      expect(log).toContain(violation('Publish', `weft.wrong-role.${verb}`));
    for (const role of ['ps', 'trainer', 'sampler'])
      expect(log).toContain(violation('Publish', `weft.wrong-role.${role}.0.shutdown`));
    expect(log).toContain(violation('Subscription', 'weft._blob.wrong-role.forged.x.>'));
    expect(events.filter((e) => e.startsWith('restarting'))).toEqual([]);
    await expectUnharmed('wrong-role', r);
  }, 300_000);

  it('are refused and counted by the actors on a server that lets anyone publish', async () => {
    const held = await reference();
    const metricsPort = await freePorts(4);
    const job = await LaunchedJob.start(
      specFor('open-server', {
        'cluster.nats': openServer.url,
        'runtime.metricsPort': metricsPort,
      }),
    );
    let outcomes: Record<string, string> = {};
    let counted: Record<string, number> = {};
    const r = await finish(job, () =>
      atVersion(job, 2, async () => {
        // A stranger: no credentials, no control secret.
        outcomes = await forge(job, { servers: openServer.url }, held);
        counted = await refusals(job, { ps: 4, trainer: 2, sampler: 2, psDecode: 1 });
      }),
    );
    for (const what of ['load', 'push', 'emptyRound', 'trainEpoch', 'setFanouts'])
      expect(outcomes[what], what).toMatch(/RefusedMessageError: .*control secret/);
    expect(outcomes.oversized).toMatch(/refused unread/);
    // load, push, empty round and shutdown at the shard; trainEpoch and shutdown at the trainer;
    // setFanouts and shutdown at the sampler; the oversized payload as an unreadable message.
    expect(counted).toEqual({ ps: 4, trainer: 2, sampler: 2, psDecode: 1 });
    await expectUnharmed('open-server', r);
  }, 300_000);
});

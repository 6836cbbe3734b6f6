// A job's NATS is closed to strangers and each role may only send its own verbs: a real nats-server
// with the per-role users `weft launch` makes, probed with raw clients; then a launched job on them.
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import {
  jobUsers,
  makeJobCredentials,
  rolePermissions,
  rolePrefixes,
  type JobRole,
} from '../../../actors/distributed/nats-permissions.js';
import { ConfigError } from '../../../runtime/errors.js';
import { PermissionDeniedError } from '../../../runtime/actor-errors.js';
import { silentLogger } from '../../../runtime/actor-log.js';
import { retrying } from '../../../runtime/retry.js';
import { NatsTransport } from '../../../runtime/transports/nats.js';
import { PartitionPeerProtocol } from '../../../actors/sampler/partition-protocol.js';
import { connectNats, natsConnectionOptions } from '../../../runtime/nats-connect.js';
import { finish, launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const JOB = 'perm';
const creds = makeJobCredentials(JOB);
let server: NatsServer;
const open: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer({ auth: { users: jobUsers(JOB, creds) } });
});
afterAll(async () => {
  for (const nc of open) await nc.close();
  await server?.stop();
});

async function as(role: JobRole): Promise<NatsConnection> {
  const nc = await connect(
    natsConnectionOptions({
      servers: server.url,
      ...rolePrefixes(JOB, role),
      ...creds[role],
      maxReconnectAttempts: 0,
    }),
  );
  open.push(nc);
  return nc;
}

/** Subjects `nc` receives on `subject` from now on. */
function listen(nc: NatsConnection, subject: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, {
    callback: (_e, m) => {
      got.push(m.subject);
    },
  });
  return got;
}

const settle = async (...ncs: NatsConnection[]) => {
  for (const nc of ncs) await nc.flush();
  await new Promise((r) => setTimeout(r, 300));
};

describe('per-role NATS permissions', () => {
  it('refuses clients without the credentials of a role', async () => {
    const quick = { servers: server.url, maxReconnectAttempts: 0, connectTimeoutMs: 3000 };
    await expect(connectNats(quick)).rejects.toBeInstanceOf(ConfigError);
    await expect(
      connectNats({ ...quick, user: creds.sampler.user, password: 'guess' }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it("a sampler's credentials neither steer the model nor read it", async () => {
    const ps = await as('ps');
    const trainer = await as('trainer');
    const sampler = await as('sampler');
    const atPs = listen(ps, `weft.${JOB}.ps.>`);
    const atTrainer = listen(trainer, `weft.${JOB}.trainer.>`);
    await ps.flush();
    await trainer.flush();
    // Eavesdropping: the sampler subscribes to the shards' subjects and everyone's replies.
    const overheard = [
      ...listen(sampler, `weft.${JOB}.ps.>`),
      ...listen(sampler, '_INBOX.>'),
      ...listen(sampler, '>'),
    ];
    for (const verb of ['push', 'update', 'load', 'shutdown'])
      sampler.publish(`weft.${JOB}.ps.0.${verb}`);
    sampler.publish(`weft.${JOB}.trainer.0.shutdown`);
    sampler.publish(`weft.${JOB}.trainer.0.trainEpoch`);
    await settle(sampler);
    expect(atPs).toEqual([]);
    expect(atTrainer).toEqual([]);
    // The roles that may: a trainer pushes, the coordinator loads and shuts down.
    trainer.publish(`weft.${JOB}.ps.0.push`);
    const coordinator = await as('coordinator');
    coordinator.publish(`weft.${JOB}.ps.0.load`);
    coordinator.publish(`weft.${JOB}.trainer.0.shutdown`);
    // Not even the coordinator pushes gradients.
    coordinator.publish(`weft.${JOB}.ps.0.push`);
    await settle(trainer, coordinator);
    expect(atPs.sort()).toEqual([`weft.${JOB}.ps.0.load`, `weft.${JOB}.ps.0.push`]);
    expect(atTrainer).toEqual([`weft.${JOB}.trainer.0.shutdown`]);
    expect(overheard).toEqual([]);
  });

  it('lets every role answer what it is asked, on the asker’s private inbox', async () => {
    const sampler = await as('sampler');
    const trainer = await as('trainer');
    sampler.subscribe(`weft.${JOB}.sampler.0.fetch`, {
      callback: (_e, m) => {
        m.respond('batch');
      },
    });
    await sampler.flush();
    const reply = await trainer.request(`weft.${JOB}.sampler.0.fetch`, '', { timeout: 3000 });
    expect(reply.string()).toBe('batch');
    expect(rolePermissions(JOB, 'sampler').publish.allow).not.toContain('_INBOX.>');
  });

  it('lets partition-owning samplers ask each other every peer verb, degree counts included', () => {
    const allowed = rolePermissions(JOB, 'sampler').publish.allow;
    for (const verb of Object.keys(PartitionPeerProtocol))
      expect(allowed).toContain(`weft.${JOB}.sampler.*.${verb}`);
    expect(allowed).toContain(`weft.${JOB}.sampler.*.inDegrees`);
    expect(allowed).toContain(`weft.${JOB}.sampler.*.maxDegrees`);
    expect(allowed).not.toContain(`weft.${JOB}.sampler.*.fetch`);
  });
});

describe('an ask the server refuses to carry', () => {
  it('fails at once as permission denied, and is not retried', async () => {
    const transport = await NatsTransport.connect({
      config: { servers: server.url, ...rolePrefixes(JOB, 'sampler'), ...creds.sampler },
      logger: silentLogger,
    });
    try {
      const ps = { job: JOB, role: 'ps', index: 0 };
      const t0 = Date.now();
      let attempts = 0;
      const error = await retrying('push', () => {
        attempts++;
        return transport.ask(undefined, ps, 'push', { g: 1 }, 30_000);
      }).then(
        () => 'answered',
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect((error as PermissionDeniedError).subject).toBe(`weft.${JOB}.ps.0.push`);
      expect((error as Error).message).toMatch(/may not publish to "weft\.perm\.ps\.0\.push"/);
      expect(attempts).toBe(1);
      // Refused by the server's reply, not by the ask's 30 s timeout.
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      await transport.close();
    }
  }, 60_000);
});

const { tmp, graphDir } = synthGraphFixture('weft-perm-launch-', { seed: 5 });

describe('a launched job on its own authenticated server', () => {
  it('trains, and its server refuses a client without credentials', async () => {
    const spec = launchedSpec(graphDir, join(tmp, 'run'), {
      name: 'perm-launch',
      'train.epochs': 1,
      'train.maxStepsPerEpoch': 4,
    });
    const job = await LaunchedJob.start(spec);
    const r = await finish(job, async () => {
      await expect(
        connectNats({ servers: job.natsUrl, maxReconnectAttempts: 0, connectTimeoutMs: 3000 }),
      ).rejects.toBeInstanceOf(ConfigError);
    });
    expect(r.epochs).toBe(1);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_missing).toBe(0);
  }, 180_000);
});

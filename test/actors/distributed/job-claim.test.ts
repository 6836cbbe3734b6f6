// The job-name claim on a real nats-server: a holder refuses later claimants by name, claimants that
// start together agree on exactly one winner, a release frees the name, and junk on the subject is ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimJob,
  claimSubject,
  JobClaimedError,
  type JobClaim,
} from '../../../actors/distributed/job-claim.js';
import { connectNats } from '../../../runtime/nats-connect.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

let server: NatsServer;
const conns: Awaited<ReturnType<typeof connectNats>>[] = [];
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  for (const nc of conns) await nc.close();
  await server?.stop();
});

async function conn() {
  const nc = await connectNats({ servers: server.url });
  conns.push(nc);
  return nc;
}

describe('job claim', () => {
  it('a held name refuses the next claimant, naming the holder, until it is released', async () => {
    const held = await claimJob(await conn(), 'cora', '/runs/a');
    const refused = await claimJob(await conn(), 'cora', '/runs/b').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JobClaimedError);
    expect((refused as JobClaimedError).holder.id).toBe(held.record.id);
    expect((refused as Error).message).toContain('/runs/a');
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    // Another name is free; so is this one once released.
    (await claimJob(await conn(), 'citeseer', '/runs/c')).release();
    held.release();
    (await claimJob(await conn(), 'cora', '/runs/b')).release();
  });

  it('claimants that start together: exactly one holds the name', async () => {
    for (let round = 0; round < 4; round++) {
      const ncs = await Promise.all([conn(), conn(), conn()]);
      const results = await Promise.allSettled(
        ncs.map((nc, i) => claimJob(nc, `race-${round}`, `/runs/${i}`)),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(JobClaimedError);
      (won[0] as PromiseFulfilledResult<JobClaim>).value.release();
    }
  });

  it('ignores messages on the claim subject that are not claims', async () => {
    const nc = await conn();
    let junk = 0;
    const held = await claimJob(nc, 'junk', '/runs/a', { onJunk: () => junk++ });
    const other = await conn();
    const reply = await other.request(claimSubject('junk'), 'not json', { timeout: 2000 });
    // Answered with the holder's claim; the junk changed nothing.
    expect(JSON.parse(new TextDecoder().decode(reply.data)).state).toBe('held');
    expect(junk).toBe(1);
    await expect(claimJob(await conn(), 'junk', '/runs/b')).rejects.toBeInstanceOf(JobClaimedError);
    held.release();
  });
});

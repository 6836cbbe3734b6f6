// One coordinator per job name on a NATS server: a starting coordinator claims the job's claim
// subject and is refused while another coordinator of the same job holds it (their subjects would cross).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { WeftError } from '../../runtime/errors.js';

/** A coordinator's claim on its job, as it answers anyone asking. */
export interface ClaimRecord {
  /** Random per claim. */
  id: string;
  /** When the claim was made (ms since 1970): among simultaneous claimants the earliest wins. */
  since: number;
  /** 'claiming' during the claim window, then 'held' for the job's life. */
  state: 'claiming' | 'held';
  host: string;
  pid: number;
  runDir: string;
}

/** Another live coordinator owns the job on this NATS server. */
export class JobClaimedError extends WeftError {
  constructor(
    readonly job: string,
    readonly holder: ClaimRecord,
  ) {
    super(
      'job-claimed',
      `job ${JSON.stringify(job)} already has a live coordinator on this NATS server (pid ${holder.pid} on ${holder.host}, run directory ${holder.runDir}); its subjects would cross with this one's: give this job another name, or stop that one first`,
    );
  }
}

export interface JobClaim {
  readonly record: ClaimRecord;
  release(): void;
}

/** The subject a job's coordinators claim (the coordinator's own: docs/operations.md permissions). */
export const claimSubject = (job: string): string => `weft.${job}.coordinator.claim`;

/** How long a claimant listens for other coordinators of its job before it holds the claim. */
export const CLAIM_WINDOW_MS = 1000;

const enc = (r: ClaimRecord) => new TextEncoder().encode(JSON.stringify(r));

/** A claim record from the wire, or undefined when the message is not one (it is ignored). */
function decode(msg: Msg): ClaimRecord | undefined {
  try {
    const r = JSON.parse(new TextDecoder().decode(msg.data)) as Partial<ClaimRecord>;
    const ok =
      typeof r.id === 'string' &&
      typeof r.since === 'number' &&
      (r.state === 'claiming' || r.state === 'held');
    return ok ? (r as ClaimRecord) : undefined;
  } catch {
    return undefined;
  }
}

const earlier = (a: ClaimRecord, b: ClaimRecord) =>
  a.since < b.since || (a.since === b.since && a.id < b.id);

/**
 * Claims job `job` on `nc`: subscribes to its claim subject first, then asks it. Any coordinator
 * that already holds the claim, or an earlier simultaneous claimant, makes this one refuse (a
 * JobClaimedError); two claimants that start together both see each other (each subscribed before
 * asking) and agree on the earliest. The claim is answered until `release`; a message on the
 * subject that is not a claim is ignored and reported to `onJunk`.
 */
export async function claimJob(
  nc: NatsConnection,
  job: string,
  runDir: string,
  opts: { windowMs?: number; onJunk?: () => void } = {},
): Promise<JobClaim> {
  const me: ClaimRecord = {
    id: randomBytes(12).toString('hex'),
    since: Date.now(),
    state: 'claiming',
    host: hostname(),
    pid: process.pid,
    runDir,
  };
  let lostTo: ClaimRecord | undefined;
  const seen = (other: ClaimRecord | undefined) => {
    if (!other || other.id === me.id || me.state === 'held') return;
    if (other.state === 'held' || earlier(other, me)) lostTo ??= other;
  };
  const subject = claimSubject(job);
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const other = decode(msg);
      // Not a claim: answered (who holds the job is no secret) but never taken into account.
      if (!other) opts.onJunk?.();
      seen(other);
      if (msg.reply) msg.respond(enc(me));
    },
  });
  try {
    await nc.flush();
    const replies = await nc.requestMany(subject, enc(me), {
      strategy: 'timer',
      maxWait: opts.windowMs ?? CLAIM_WINDOW_MS,
    });
    for await (const msg of replies) seen(decode(msg));
  } catch (error) {
    sub.unsubscribe();
    throw error;
  }
  if (lostTo) {
    sub.unsubscribe();
    throw new JobClaimedError(job, lostTo);
  }
  me.state = 'held';
  return { record: me, release: () => sub.unsubscribe() };
}

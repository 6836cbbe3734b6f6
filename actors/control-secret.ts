// The job's control secret: where the transport cannot tell who sent a message (a NATS server without
// per-role permissions), `shutdown` is honoured only when it carries the secret the coordinator holds.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../runtime/actor-log.js';
import type { RoleMetrics } from './metrics-catalogue.js';

/** Environment variable holding the secret (`weft launch` sets a fresh one per run). */
export const CONTROL_SECRET_ENV = 'WEFT_CONTROL_SECRET';

/** This process's control secret, undefined when none is set. */
export function controlSecret(): string | undefined {
  return process.env[CONTROL_SECRET_ENV] || undefined;
}

/** A fresh secret for one run of a job. */
export function makeControlSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** What the coordinator sends with `shutdown`. */
export function shutdownMessage(): { secret?: string } {
  const secret = controlSecret();
  return secret ? { secret } : {};
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether to honour a `shutdown`: always without a secret of our own (the server's permissions are
 * then what keeps others from sending it), else only with the same secret. A refusal is logged and
 * counted, never thrown: a forged tell must not fail the actor either.
 */
export function honourShutdown(
  msg: { secret?: string },
  log: Logger,
  metrics: Pick<RoleMetrics<'trainer'>, 'weft_messages_refused_total'>,
): boolean {
  const mine = controlSecret();
  if (mine === undefined) return true;
  if (msg.secret !== undefined && timingSafeEqual(digest(msg.secret), digest(mine))) return true;
  metrics.weft_messages_refused_total.with({ reason: 'sender' }).inc();
  log.warn('shutdown refused: it does not carry the job’s control secret');
  return false;
}

// The job's control secret: where the transport cannot tell who sent a message (a NATS server without
// per-role permissions), verbs that steer the job or change the model are honoured only with it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../runtime/actor-log.js';
import { s } from '../runtime/schema.js';
import type { RoleMetrics } from './metrics-catalogue.js';
import { RefusedMessageError } from './refused-message.js';

/** Environment variable holding the secret (`weft launch` sets a fresh one per run). */
export const CONTROL_SECRET_ENV = 'WEFT_CONTROL_SECRET';

/**
 * The field every guarded verb's request carries (spread into its schema in protocols.ts): the
 * coordinator's control verbs (`load`, `shutdown`, `trainEpoch`, …) and the trainers' updates.
 */
export const secretField = { secret: s.optional(s.string()) };

/** This process's control secret, undefined when none is set. */
export function controlSecret(): string | undefined {
  return process.env[CONTROL_SECRET_ENV] || undefined;
}

/** A fresh secret for one run of a job. */
export function makeControlSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** `msg` with this process's secret attached: how every guarded verb is sent. */
export function sealed<T extends object>(msg: T): T & { secret?: string } {
  const secret = controlSecret();
  return secret ? { ...msg, secret } : msg;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether `msg` comes from a process of this job: always true without a secret of our own (the
 * server's permissions are then what keeps others out), else only with the same secret.
 */
function fromJob(msg: { secret?: string }): boolean {
  const mine = controlSecret();
  if (mine === undefined) return true;
  return msg.secret !== undefined && timingSafeEqual(digest(msg.secret), digest(mine));
}

/** The counter a sender refusal goes to (every actor role has it). */
type SenderCounter = Pick<RoleMetrics<'trainer'>, 'weft_messages_refused_total'>;

/** Throws a counted `sender` refusal unless `msg` carries the job's secret (an ask's check). */
export function requireControlSecret(
  verb: string,
  msg: { secret?: string },
  log: Logger,
  metrics: SenderCounter,
): void {
  if (fromJob(msg)) return;
  metrics.weft_messages_refused_total.with({ reason: 'sender' }).inc();
  const error = new RefusedMessageError(
    'sender',
    verb,
    'it does not carry the job’s control secret',
    'secret',
  );
  log.warn(error.message);
  throw error;
}

/**
 * Whether to honour a `shutdown` (a tell): a refusal is logged and counted, never thrown, since a
 * forged tell must not fail the actor either.
 */
export function honourShutdown(
  msg: { secret?: string },
  log: Logger,
  metrics: SenderCounter,
): boolean {
  if (fromJob(msg)) return true;
  metrics.weft_messages_refused_total.with({ reason: 'sender' }).inc();
  log.warn('shutdown refused: it does not carry the job’s control secret');
  return false;
}

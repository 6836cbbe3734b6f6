// Training that went non-finite, as one typed error with a stable code: a trainer's loss or update, or
// a shard's parameters after an update. The coordinator stops or rolls back the job on the code.
import { RemoteActorError } from '../../runtime/actor-errors.js';
import { WeftError } from '../../runtime/errors.js';
import { firstNonFinite } from './update-check.js';

export const NON_FINITE_CODE = 'non-finite';

/** Where a non-finite value appeared: the loss, the update a trainer pushes, a shard's parameters. */
export type NonFiniteSource = 'loss' | 'update' | 'parameters';

/** A NaN or infinite loss, update or parameter: `detail` says which value, where and when. */
export class NonFiniteTrainingError extends WeftError {
  constructor(
    readonly source: NonFiniteSource,
    readonly detail: string,
  ) {
    super(NON_FINITE_CODE, `non-finite ${source}: ${detail}`);
  }
}

/** The first non-finite element of `tensors` as `name[index] = value`, or undefined when all are finite. */
export function nonFiniteEntry(
  tensors: Iterable<[string, Float32Array]>,
): { name: string; index: number; value: number } | undefined {
  for (const [name, values] of tensors) {
    const index = firstNonFinite(values);
    if (index >= 0) return { name, index, value: values[index] };
  }
  return undefined;
}

/**
 * True when `error` (possibly relayed through trainers as a remote error's code) says training went
 * non-finite: this error, or a shard refusing a trainer's non-finite update.
 */
export function isNonFinite(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof NonFiniteTrainingError) return true;
    if (e instanceof RemoteActorError && isNonFiniteCode(e.remoteCode)) return true;
    e = e.cause;
  }
  return false;
}

function isNonFiniteCode(code: string | undefined): boolean {
  return code === NON_FINITE_CODE || code === 'non_finite';
}

/** The originating message of a (relayed) non-finite error, without the actors it passed through. */
export function nonFiniteDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.lastIndexOf('handler failed: ');
  if (at < 0) return message;
  // "…handler failed: NonFiniteTrainingError: non-finite loss: …" → "non-finite loss: …"
  const rest = message.slice(at + 'handler failed: '.length);
  const colon = rest.indexOf(': ');
  const origin = message.slice(0, at).match(/([^\s:]+\/[^\s:]+\/\d+) "[^"]*": $/)?.[1];
  const text = colon >= 0 ? rest.slice(colon + 2) : rest;
  return origin ? `${text} (${origin})` : text;
}

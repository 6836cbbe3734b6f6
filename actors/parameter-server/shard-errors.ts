// Failures of parameter-server shards, as types with stable codes: the coordinator rolls the job back
// on a lost shard by its code (relayed through trainers as a remote error's code), never by wording.
import { RemoteActorError } from '../../runtime/actor-errors.js';
import { WeftError } from '../../runtime/errors.js';

/** A shard holds no parameters: it was (re)started and the coordinator has not loaded it. */
export class ShardNotLoadedError extends WeftError {
  constructor() {
    super('shard-not-loaded', 'parameter shard not loaded: the coordinator sends load first');
  }
}

/** A push for a round the shard dropped because the coordinator reloaded it (a rollback). */
export class ShardReloadedError extends WeftError {
  constructor(readonly version: number) {
    super('shard-reloaded', `parameter shard reloaded at version ${version}: round abandoned`);
  }
}

/** The shards answered a checkpoint's snapshot at different versions. */
export class ShardVersionsDisagreeError extends WeftError {
  constructor(readonly versions: number[]) {
    super('shard-versions-disagree', `shards disagree on the version: ${versions.join(', ')}`);
  }
}

/**
 * True when `error` (from a trainer's epoch, an evaluation or a snapshot, possibly relayed through
 * several actors) says a shard holds no parameters: it was restarted and lost its slices.
 */
export function isShardLoss(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof ShardNotLoadedError) return true;
    if (e instanceof RemoteActorError && e.remoteCode === 'shard-not-loaded') return true;
    e = e.cause;
  }
  return false;
}

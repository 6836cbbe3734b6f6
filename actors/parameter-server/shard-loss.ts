// Recognising that a parameter-server shard lost its state (its process died and came back empty), which
// the coordinator answers by rolling every shard back to the last consistent checkpoint.

/** What a shard answers before the coordinator loads it (see ShardServerActor). */
export const SHARD_NOT_LOADED = 'parameter shard not loaded';

/** What a shard answers to a push it dropped because the coordinator reloaded it (a rollback). */
export const SHARD_RELOADED = 'parameter shard reloaded';

/**
 * True when `error` (from a trainer's epoch, an evaluation or a snapshot, possibly relayed through
 * several actors) says a shard holds no parameters: it was restarted and lost its slices.
 */
export function isShardLoss(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e.message.includes(SHARD_NOT_LOADED)) return true;
    e = e.cause;
  }
  return false;
}

// A trainer's view of the sharded ID-embedding table: pulls a batch's rows from the shards owning
// them (only those ids travel) and pushes a round's row gradients to their owners, every shard a part.
import type { ActorClient } from '../../runtime/actor.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { gatherByOwner, splitIdsByOwner } from './id-shard.js';
import type { SparseRows } from './sparse-grad-sum.js';
import { EmbeddingShardProtocol } from './embedding-protocol.js';
import { pullUnique } from './unique-ids.js';
import { retrying } from '../../runtime/retry.js';
import { sealed } from '../control-secret.js';

export class ShardedIdTable {
  /** Rows and bytes moved by this trainer (ids included). */
  pulledRows = 0;
  pulledBytes = 0;
  pushedRows = 0;
  pushedBytes = 0;

  constructor(
    private readonly shards: ActorClient<typeof EmbeddingShardProtocol>[],
    readonly dim: number,
    private readonly metrics?: RoleMetrics<'trainer'>,
  ) {}

  /**
   * Rows of `ids` [ids.length × dim] in the order given (repeats allowed); each distinct id travels
   * once, to the one shard owning it.
   */
  pull(ids: Int32Array, create: boolean): Promise<Float32Array> {
    return pullUnique(ids, this.dim, (unique) => this.pullDistinct(unique, create));
  }

  private async pullDistinct(ids: Int32Array, create: boolean): Promise<Float32Array> {
    const P = this.shards.length;
    const parts = splitIdsByOwner(ids, P);
    const rows = await Promise.all(
      parts.map((part, p) =>
        part.ids.length === 0
          ? Promise.resolve(new Float32Array(0))
          : retrying(`pull table rows from emb ${p}`, () =>
              this.shards[p].ask('pull', { ids: part.ids, create }),
            ).then((r) => r.rows),
      ),
    );
    let bytes = ids.byteLength;
    for (const r of rows) bytes += r.byteLength;
    this.pulledRows += ids.length;
    this.pulledBytes += bytes;
    this.metrics?.weft_trainer_param_pull_bytes_total.inc(bytes);
    return gatherByOwner(parts, rows, ids.length, this.dim);
  }

  /**
   * This trainer's part of round `round`: every shard gets its ids' gradients (maybe none, so the
   * round's barrier counts this trainer). `weight` is the number of batches behind the mean.
   */
  async push(
    round: number,
    trainer: number,
    weight: number,
    grads: SparseRows | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const d = this.dim;
    const ids = grads?.ids ?? new Int32Array(0);
    const parts = splitIdsByOwner(ids, this.shards.length);
    await Promise.all(
      parts.map((part, p) => {
        const g = new Float32Array(part.ids.length * d);
        for (let k = 0; k < part.positions.length; k++) {
          const at = part.positions[k] * d;
          g.set(grads!.grads.subarray(at, at + d), k * d);
        }
        this.pushedRows += part.ids.length;
        this.pushedBytes += part.ids.byteLength + g.byteLength;
        this.metrics?.weft_trainer_param_push_bytes_total.inc(part.ids.byteLength + g.byteLength);
        return retrying(`push table round ${round} to emb ${p}`, () =>
          this.shards[p].ask('push', sealed({ round, trainer, weight, ids: part.ids, grads: g }), {
            timeoutMs,
          }),
        );
      }),
    );
  }
}

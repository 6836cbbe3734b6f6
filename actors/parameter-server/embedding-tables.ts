// The coordinator's side of a distributed job's ID-embedding table: loads every table shard (empty,
// or its part of a checkpoint's table) and gathers all parts into one checkpoint, sorted by id.
import type { ActorClient } from '../../runtime/actor.js';
import type { JobSpec } from '../job-spec.js';
import { ownerOf } from './id-shard.js';
import { idTableConfigOf, ID_TABLE_PREFIX } from './id-table-spec.js';
import {
  filterSnapshot,
  mergeSnapshots,
  snapshotFromTensors,
  snapshotTensors,
  type SparseTableConfig,
} from './sparse-table.js';
import type { EmbeddingShardProtocol } from './embedding-protocol.js';
import { retrying } from '../../runtime/retry.js';
import { sealed } from '../control-secret.js';

/** The role of a table shard; it runs in the process of the parameter server with the same index. */
export const EMB_ROLE = 'emb';

export class DistributedIdTables {
  private constructor(
    private readonly spec: JobSpec,
    private readonly table: SparseTableConfig,
    readonly clients: ActorClient<typeof EmbeddingShardProtocol>[],
  ) {}

  /** The job's table shards, or undefined when model.idEmbedding is off. */
  static of(
    spec: JobSpec,
    numClasses: number,
    client: (p: number) => ActorClient<typeof EmbeddingShardProtocol>,
  ): DistributedIdTables | undefined {
    const table = idTableConfigOf(spec, numClasses);
    if (!table) return undefined;
    const clients = Array.from({ length: spec.cluster.parameterServers }, (_, p) => client(p));
    return new DistributedIdTables(spec, table, clients);
  }

  /** Loads every shard at `version`: empty, or with the rows of a checkpoint's table it owns. */
  async load(version: number, tensors?: ReadonlyMap<string, Float32Array>): Promise<void> {
    const whole = tensors
      ? snapshotFromTensors(ID_TABLE_PREFIX, tensors, this.table.optimizer)
      : undefined;
    if (tensors && !whole)
      throw new Error(
        'the checkpoint holds no ID-embedding table (model.idEmbedding was off when it was written)',
      );
    const P = this.clients.length;
    await Promise.all(
      this.clients.map((c, p) =>
        retrying(`load table shard ${p}`, () =>
          c.ask(
            'load',
            sealed({
              table: this.table,
              shard: p,
              shards: P,
              trainers: this.spec.cluster.trainers,
              version,
              barrier: this.spec.train.sync !== 'async',
              ...(whole
                ? { snapshot: filterSnapshot(whole, this.table.dim, (id) => ownerOf(id, P) === p) }
                : {}),
            }),
          ),
        ),
      ),
    );
  }

  /** Every shard's rows as one table in checkpoint tensors; the shards must all be at `version`. */
  async tensors(version: number): Promise<Map<string, Float32Array>> {
    const snaps = await Promise.all(
      this.clients.map((c, p) =>
        retrying(`snapshot table shard ${p}`, () => c.ask('snapshot', {})),
      ),
    );
    if (this.spec.train.sync !== 'async' && snaps.some((s) => s.version !== version))
      throw new Error(
        `table shards at versions ${snaps.map((s) => s.version).join(', ')}, parameters at ${version}`,
      );
    return snapshotTensors(
      ID_TABLE_PREFIX,
      mergeSnapshots(
        snaps.map((s) => s.table),
        this.table.dim,
      ),
    );
  }

  /** Rows held by each shard. */
  async rowCounts(): Promise<number[]> {
    const st = await Promise.all(this.clients.map((c) => c.ask('stats', {})));
    return st.map((s) => s.rows);
  }
}

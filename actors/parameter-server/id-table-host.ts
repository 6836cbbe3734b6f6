// A parameter server's ID-embedding table with its round: row pulls, row gradients summed over the
// trainers of a synchronous round and applied with it, and the table's share of checkpoints.
import type { IdTableSpec } from '../protocols.js';
import { ID_TABLE_PREFIX } from './id-table-spec.js';
import { SparseGradSum } from './sparse-grad-sum.js';
import {
  filterSnapshot,
  snapshotFromTensors,
  snapshotTensors,
  SparseTable,
  type SparseTableSnapshot,
} from './sparse-table.js';

export class IdTableHost {
  readonly table: SparseTable;
  private readonly round: SparseGradSum;
  /** Rows sent and row gradients received, in bytes (ids included). */
  pulledBytes = 0;
  pushedBytes = 0;
  /** Rows pulled for training (with repeats across pulls), and for evaluation (create false). */
  pulledRows = 0;
  peekedRows = 0;

  constructor(readonly spec: IdTableSpec) {
    this.table = new SparseTable(spec);
    this.round = new SparseGradSum(spec.dim);
  }

  pullRows(ids: Int32Array, create: boolean): Float32Array {
    const rows = this.table.pull(ids, create);
    if (create) this.pulledRows += ids.length;
    else this.peekedRows += ids.length;
    this.pulledBytes += rows.byteLength + ids.byteLength;
    return rows;
  }

  /** One trainer's row gradients for the round in progress. */
  addGrads(ids: Int32Array, grads: Float32Array, weight = 1): void {
    this.pushedBytes += ids.byteLength + grads.byteLength;
    this.round.add(ids, grads, weight);
  }

  /** Applies the round's summed row gradients divided by `divisor` (one table step), then clears it. */
  applyRound(divisor: number, lr?: number): void {
    if (this.round.size === 0) {
      this.round.reset();
      return;
    }
    const { ids, grads } = this.round.take(divisor);
    this.table.push(ids, grads, lr);
  }

  /** Drops the round in progress (its parameters were replaced). */
  abandonRound(): void {
    this.round.reset();
  }

  /** The table as checkpoint tensors (sorted by id). */
  tensors(keep?: (id: number) => boolean): Map<string, Float32Array> {
    return snapshotTensors(ID_TABLE_PREFIX, this.table.snapshot(keep));
  }

  snapshot(): SparseTableSnapshot {
    return this.table.snapshot();
  }

  /** Restores the rows a checkpoint holds (those `keep` accepts); throws when it has no table. */
  restore(tensors: ReadonlyMap<string, Float32Array>, keep?: (id: number) => boolean): void {
    const snap = snapshotFromTensors(ID_TABLE_PREFIX, tensors, this.spec.optimizer);
    if (!snap)
      throw new RangeError(
        'the checkpoint holds no ID-embedding table (model.idEmbedding was off when it was written)',
      );
    this.table.restore(keep ? filterSnapshot(snap, this.spec.dim, keep) : snap);
    this.round.reset();
  }
}

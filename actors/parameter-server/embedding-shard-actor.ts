// One shard of the ID-embedding table in a distributed job: the rows whose id hashes to it, created
// on first pull, updated once per synchronous round by the trainers' weighted mean row gradients.
import { Actor, implement } from '../../runtime/actor.js';
import { actorMetrics } from '../actor-metrics.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { ownerOf } from './id-shard.js';
import { IdTableHost } from './id-table-host.js';
import { requireControlSecret } from '../control-secret.js';
import { RefusedMessageError } from '../refused-message.js';
import { firstNonFinite } from './update-check.js';
import { EmbeddingShardProtocol } from './embedding-protocol.js';
import { ShardNotLoadedError, ShardReloadedError } from './shard-errors.js';

interface Contribution {
  weight: number;
  ids: Int32Array;
  grads: Float32Array;
}

export class EmbeddingShardActor extends Actor<Record<string, never>> {
  private host?: IdTableHost;
  private shard = 0;
  private shards = 1;
  private trainers = 1;
  private barrier = true;
  version = 0;
  private pending = new Map<number, Contribution>();
  private waiters: { resolve: (r: { version: number }) => void; reject: (e: Error) => void }[] = [];
  private m!: RoleMetrics<'ps'>;

  override onStart(): void {
    const { job, index } = this.ctx.self;
    // Same labels as the parameter server beside it: one process, one ps index.
    this.m = actorMetrics('ps', { job, index: Number(index) });
  }

  private requireHost(): IdTableHost {
    if (!this.host) throw new ShardNotLoadedError();
    return this.host;
  }

  private checkOwned(ids: Int32Array): void {
    for (let i = 0; i < ids.length; i++)
      if (ownerOf(ids[i], this.shards) !== this.shard)
        throw new RangeError(`id ${ids[i]} belongs to shard ${ownerOf(ids[i], this.shards)}`);
  }

  /** Row gradients: `ids.length` rows of the table's width, finite, or the push is refused whole. */
  private checkRows(ids: Int32Array, grads: Float32Array): void {
    const dim = this.requireHost().table.dim;
    let refusal: RefusedMessageError | undefined;
    if (grads.length !== ids.length * dim)
      refusal = new RefusedMessageError(
        'shape',
        'push',
        `${grads.length} gradient values for ${ids.length} rows of ${dim}`,
        'grads',
      );
    else if (firstNonFinite(grads) >= 0)
      refusal = new RefusedMessageError(
        'non_finite',
        'push',
        `grads[${firstNonFinite(grads)}] is not finite`,
        'grads',
      );
    if (!refusal) return;
    this.m.weft_messages_refused_total.with({ reason: refusal.reason }).inc();
    throw refusal;
  }

  private gauges(): void {
    const t = this.requireHost().table;
    this.m.weft_ps_sparse_rows.set(t.size);
    this.m.weft_ps_sparse_bytes.set(t.bytes());
  }

  /** Applies the round once every trainer contributed: weighted mean in trainer order. */
  private maybeApply(): void {
    const host = this.requireHost();
    if (this.pending.size < this.trainers) return;
    let weight = 0;
    for (const c of this.pending.values()) weight += c.weight;
    const done = this.m.weft_ps_apply_duration_seconds.startTimer();
    for (let t = 0; t < this.trainers; t++) {
      const c = this.pending.get(t)!;
      if (c.weight > 0 && c.ids.length > 0) host.addGrads(c.ids, c.grads, c.weight);
    }
    if (weight > 0) host.applyRound(weight);
    else host.abandonRound();
    done();
    this.version++;
    this.pending.clear();
    this.gauges();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resolve({ version: this.version });
  }

  readonly handlers = implement(EmbeddingShardProtocol, {
    load: (msg) => {
      requireControlSecret('load', msg, this.ctx.log, this.m);
      const { table, shard, shards, trainers, version, barrier, snapshot } = msg;
      const host = new IdTableHost(table);
      if (snapshot) host.table.restore(snapshot);
      this.host = host;
      this.shard = shard;
      this.shards = shards;
      this.trainers = trainers;
      this.barrier = barrier;
      this.version = version;
      this.pending.clear();
      for (const w of this.waiters.splice(0)) w.reject(new ShardReloadedError(version));
      this.gauges();
      return { version, rows: host.table.size };
    },
    pull: ({ ids, create }) => {
      const host = this.requireHost();
      this.checkOwned(ids);
      const rows = host.pullRows(ids, create);
      this.m.weft_ps_pull_requests_total.inc();
      this.m.weft_ps_sparse_rows_pulled_total.inc(ids.length);
      this.m.weft_ps_sent_bytes_total.inc(rows.byteLength);
      if (create) this.gauges();
      return { rows };
    },
    push: (msg) => {
      requireControlSecret('push', msg, this.ctx.log, this.m);
      const { round, trainer, weight, ids, grads } = msg;
      const host = this.requireHost();
      this.checkOwned(ids);
      this.checkRows(ids, grads);
      if (trainer >= this.trainers)
        throw new Error(`trainer ${trainer} is not in this job of ${this.trainers} trainers`);
      this.m.weft_ps_push_requests_total.inc();
      this.m.weft_ps_received_bytes_total.inc(ids.byteLength + grads.byteLength);
      if (!this.barrier) {
        // Async: every update applies at once, as on the dense shards.
        if (weight > 0 && ids.length > 0) {
          host.addGrads(ids, grads);
          host.applyRound(1);
        }
        this.version++;
        this.gauges();
        return { version: this.version };
      }
      if (round === this.version - 1) return { version: this.version };
      if (round !== this.version)
        throw new Error(
          `push for round ${round} but this table shard is at version ${this.version}`,
        );
      return new Promise<{ version: number }>((resolve, reject) => {
        this.waiters.push({ resolve, reject });
        this.pending.set(trainer, { weight, ids, grads });
        this.maybeApply();
      });
    },
    snapshot: () => ({ version: this.version, table: this.requireHost().snapshot() }),
    stats: () => ({
      version: this.version,
      loaded: this.host !== undefined,
      rows: this.host?.table.size ?? 0,
      bytes: this.host?.table.bytes() ?? 0,
      pulledRows: this.host?.pulledRows ?? 0,
      peekedRows: this.host?.peekedRows ?? 0,
      pulledBytes: this.host?.pulledBytes ?? 0,
      pushedBytes: this.host?.pushedBytes ?? 0,
    }),
    hello: () => ({ pid: process.pid }),
  });
}

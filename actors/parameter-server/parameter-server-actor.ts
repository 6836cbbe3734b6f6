// The parameter-server actor: owns a ParameterStore behind a protocol of init / pull / push /
// checkpoint / restore, with synchronous rounds over all trainers (a push returns after its round).
import { Actor, implement } from '../../runtime/actor.js';
import { actorMetrics, paramBytes } from '../actor-metrics.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { ParameterServerProtocol, type OptimizerSpec } from '../protocols.js';
import { latestCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint.js';
import { IdTableHost } from './id-table-host.js';
import { ParameterStore, type ParamMap } from './parameter-store.js';
import { firstNonFinite, RefusedMessageError, requireHeldTensors } from './update-check.js';

export interface ParameterServerConfig {
  /** Trainers contributing to each synchronous round. */
  trainers: number;
}

type Waiter = (r: { version: number; params: Record<string, Float32Array> }) => void;

const toRecord = (m: ParamMap): Record<string, Float32Array> => Object.fromEntries(m);
const toMap = (r: Record<string, Float32Array>): ParamMap => new Map(Object.entries(r));

export class ParameterServerActor extends Actor<ParameterServerConfig> {
  private store?: ParameterStore;
  /** The ID-embedding table (model.idEmbedding), held whole: the embedded job has one server. */
  private idTable?: IdTableHost;
  private waiters: Waiter[] = [];
  pushBytes = 0;
  pullBytes = 0;
  private metrics!: RoleMetrics<'ps'>;

  override onStart(): void {
    const { job, index } = this.ctx.self;
    this.metrics = actorMetrics('ps', { job, index: Number(index) });
  }

  private requireStore(): ParameterStore {
    if (!this.store) throw new Error('parameter server not initialised: send init first');
    return this.store;
  }

  readonly handlers = implement(ParameterServerProtocol, {
    init: ({ params, optimizer, idTable }) => {
      this.store = new ParameterStore(optimizerConfig(optimizer), toMap(params));
      this.idTable = idTable ? new IdTableHost(idTable) : undefined;
      this.waiters = [];
      this.metrics.weft_ps_parameter_version.set(0);
      this.metrics.weft_ps_parameter_bytes.set(
        paramBytes(Object.fromEntries(this.store.snapshot())),
      );
      return { version: 0 };
    },
    pull: () => {
      const store = this.requireStore();
      const params = toRecord(store.copy());
      const bytes = paramBytes(params);
      this.pullBytes += bytes;
      this.metrics.weft_ps_pull_requests_total.inc();
      this.metrics.weft_ps_sent_bytes_total.inc(bytes);
      return { version: store.version, params };
    },
    pullRows: ({ ids, create }) => {
      if (!this.idTable) throw new Error('this parameter server holds no ID-embedding table');
      const rows = this.idTable.pullRows(ids, create);
      this.metrics.weft_ps_sparse_rows_pulled_total.inc(ids.length);
      this.metrics.weft_ps_sent_bytes_total.inc(rows.byteLength);
      this.idTableGauges();
      return { rows };
    },
    push: ({ grads, lr, idGrads }) => {
      const store = this.requireStore();
      try {
        requireHeldTensors('push', 'grads', grads, (k) => store.params.get(k)?.length);
        if (idGrads && firstNonFinite(idGrads.grads) >= 0)
          throw new RefusedMessageError('non_finite', 'push', 'idGrads.grads is not finite');
      } catch (error) {
        if (error instanceof RefusedMessageError)
          this.metrics[`weft_messages_refused_${error.reason}_total`].inc();
        throw error;
      }
      if (idGrads) {
        if (!this.idTable) throw new Error('this parameter server holds no ID-embedding table');
        this.idTable.addGrads(idGrads.ids, idGrads.grads);
        this.metrics.weft_ps_received_bytes_total.inc(idGrads.grads.byteLength);
      }
      const m = this.metrics;
      const bytes = paramBytes(grads);
      this.pushBytes += bytes;
      m.weft_ps_push_requests_total.inc();
      m.weft_ps_received_bytes_total.inc(bytes);
      const trainers = Math.max(1, this.ctx.config.trainers ?? 1);
      return new Promise((resolve) => {
        this.waiters.push(resolve);
        const t0 = performance.now();
        if (store.push(toMap(grads), trainers, lr)) {
          this.idTable?.applyRound(trainers);
          this.idTableGauges();
          m.weft_ps_apply_duration_seconds.observe((performance.now() - t0) / 1000);
          m.weft_ps_parameter_version.set(store.version);
          const reply = { version: store.version, params: toRecord(store.copy()) };
          m.weft_ps_sent_bytes_total.inc(paramBytes(reply.params) * this.waiters.length);
          const ws = this.waiters;
          this.waiters = [];
          for (const w of ws) w(reply);
        }
      });
    },
    checkpoint: async ({ dir, meta, keep }) => {
      const store = this.requireStore();
      const tensors = store.snapshot();
      if (this.idTable) for (const [k, v] of this.idTable.tensors()) tensors.set(k, v);
      const path = await saveCheckpoint(
        dir,
        store.version,
        tensors,
        { ...meta, optimizerSteps: store.stepCounts() },
        keep,
      );
      return { path, version: store.version };
    },
    restore: ({ dir }) => {
      const store = this.requireStore();
      const ckpt = dir.endsWith('checkpoints') ? latestCheckpoint(dir) : readCheckpoint(dir);
      if (!ckpt) throw new Error(`no checkpoint under ${dir}`);
      store.restore(
        ckpt.tensors,
        (ckpt.meta.optimizerSteps ?? {}) as Record<string, number>,
        ckpt.step,
      );
      this.idTable?.restore(ckpt.tensors);
      this.idTableGauges();
      this.metrics.weft_ps_parameter_version.set(store.version);
      return { version: store.version, meta: ckpt.meta };
    },
    stats: () => ({
      version: this.store?.version ?? 0,
      pushBytes: this.pushBytes,
      pullBytes: this.pullBytes,
    }),
  });

  private idTableGauges(): void {
    if (!this.idTable) return;
    this.metrics.weft_ps_sparse_rows.set(this.idTable.table.size);
    this.metrics.weft_ps_sparse_bytes.set(this.idTable.table.bytes());
  }
}

export function optimizerConfig(o: OptimizerSpec) {
  switch (o.kind) {
    case 'sgd':
      return { kind: 'sgd' as const, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay };
    case 'adagrad':
      return { kind: 'adagrad' as const, lr: o.lr, weightDecay: o.weightDecay };
    case 'adamw':
      return { kind: 'adamw' as const, lr: o.lr, weightDecay: o.weightDecay };
    default:
      return { kind: 'adam' as const, lr: o.lr, weightDecay: o.weightDecay };
  }
}

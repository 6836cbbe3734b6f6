// One parameter-server shard of a distributed job: holds some slices of the dense parameters and applies
// synchronous rounds (batch-weighted mean of every trainer's gradient or local-SGD delta), or async updates.
import { Actor, implement } from '../../runtime/actor.js';
import { actorMetrics, paramBytes } from '../actor-metrics.js';
import { honourShutdown, requireControlSecret } from '../control-secret.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { optimizerConfig, scaledLr } from './optimizer-config.js';
import { ParameterStore, type ParamMap } from './parameter-store.js';
import { RefusedMessageError } from '../refused-message.js';
import { requireFinite, requireHeldTensors } from './update-check.js';
import { AsyncBook } from './async-updates.js';
import { applyMeanDelta } from './local-sgd.js';
import { ParameterServerProtocol, type RoundEntry } from '../protocols.js';
import type { Infer } from '../../runtime/schema.js';
import type { SyncMode } from '../plan/round-schedule.js';
import { ShardNotLoadedError, ShardReloadedError } from './shard-errors.js';
import { nonFiniteEntry, NonFiniteTrainingError } from './non-finite.js';

interface Contribution {
  grads: Record<string, Float32Array>;
  batches: number[];
  epoch: number;
}

type Reply = { version: number; params: Record<string, Float32Array> };

/** Rounds kept for `ledger` (enough for any epoch of a test-sized or checkpointed job). */
const LEDGER_LIMIT = 100_000;

/** The job's spec (every launched shard has it) and job id; a shard hosted bare by a test has neither. */
interface ShardConfig {
  spec?: JobSpec;
  job?: string;
}

export class ParameterServerActor extends Actor<ShardConfig> {
  private store?: ParameterStore;
  /** The step size of every update: the job spec's (scaled) learning rate, never a message's. */
  private lr = 0;
  private trainers = 1;
  private mode: SyncMode = 'aggregate';
  /** Async mode: applied updates and their staleness (undefined in synchronous modes). */
  private book?: AsyncBook;
  /** Parameters of the version before the current one: what a restarted trainer recomputes its round from. */
  private previous?: Record<string, Float32Array>;
  private pending = new Map<number, Contribution>();
  private waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private ledgerRounds: RoundEntry[] = [];
  private pushBytes = 0;
  private pullBytes = 0;
  private m!: RoleMetrics<'ps'>;
  /**
   * An update made a parameter NaN or infinite: the shard answers nothing but this error (no pull, push
   * or snapshot hands the values on) until the coordinator loads it again.
   */
  private diverged?: NonFiniteTrainingError;

  override onStart(): void {
    const { job, index } = this.ctx.self;
    this.m = actorMetrics('ps', { job, index: Number(index) });
  }

  private requireStore(): ParameterStore {
    if (!this.store) throw new ShardNotLoadedError();
    if (this.diverged) throw this.diverged;
    return this.store;
  }

  /**
   * After an update (version `round` → the store's): any non-finite parameter marks the shard diverged;
   * returns the error, for the waiters of the round.
   */
  private checkApplied(round: number, epoch: number): NonFiniteTrainingError | undefined {
    const bad = nonFiniteEntry(this.store!.params);
    if (!bad) return undefined;
    const { job, role, index } = this.ctx.self;
    this.diverged = new NonFiniteTrainingError(
      'parameters',
      `${bad.name}[${bad.index}] is ${bad.value} after the update of round ${round} (epoch ${epoch}) on ${job}/${role}/${index}`,
    );
    this.m.weft_ps_parameter_version.set(this.store!.version);
    this.ctx.log.error(this.diverged.message, { error: this.diverged });
    return this.diverged;
  }

  private current(): Reply {
    const store = this.requireStore();
    const params = Object.fromEntries(store.copy());
    const bytes = paramBytes(params);
    this.pullBytes += bytes;
    this.m.weft_ps_sent_bytes_total.inc(bytes);
    return { version: store.version, params };
  }

  /** Applies the round once every trainer contributed: weighted mean in trainer order, one optimizer step. */
  private maybeApply(): void {
    const store = this.requireStore();
    if (this.pending.size < this.trainers) return;
    let weight = 0;
    for (const c of this.pending.values()) weight += c.batches.length;
    const batches: number[] = [];
    const mean: ParamMap = new Map();
    let epoch = 0;
    for (let t = 0; t < this.trainers; t++) {
      const c = this.pending.get(t)!;
      batches.push(...c.batches);
      epoch = c.epoch;
      const w = c.batches.length;
      if (w === 0) continue;
      for (const [key, g] of Object.entries(c.grads)) {
        const acc = mean.get(key);
        if (acc === undefined) {
          const first = new Float32Array(g.length);
          for (let i = 0; i < g.length; i++) first[i] = g[i] * w;
          mean.set(key, first);
        } else for (let i = 0; i < g.length; i++) acc[i] += g[i] * w;
      }
    }
    this.previous = Object.fromEntries(store.copy());
    const round = store.version;
    const applied = this.m.weft_ps_apply_duration_seconds.startTimer();
    if (weight > 0) {
      for (const acc of mean.values()) for (let i = 0; i < acc.length; i++) acc[i] /= weight;
      // Local SGD: the trainers already stepped; their mean delta is added as is.
      if (this.mode === 'local-sgd') applyMeanDelta(store, mean);
      else store.push(mean, 1, this.lr);
    } else store.version++;
    applied();
    this.m.weft_ps_parameter_version.set(store.version);
    this.ledgerRounds.push({ round, batches, epoch });
    if (this.ledgerRounds.length > LEDGER_LIMIT) this.ledgerRounds.shift();
    this.pending.clear();
    const ws = this.waiters;
    this.waiters = [];
    const diverged = this.checkApplied(round, epoch);
    if (diverged) {
      for (const w of ws) w.reject(diverged);
      return;
    }
    const reply = this.current();
    for (const w of ws) w.resolve(reply);
  }

  readonly handlers = implement(ParameterServerProtocol, {
    load: (msg) => {
      requireControlSecret('load', msg, this.ctx.log, this.m);
      const { params, slots, steps, version } = msg;
      // Hyper-parameters are the job spec's when the shard has it; the message's only for a bare shard.
      const { optimizer, trainers, sync, staleness } = this.hyperParameters(msg);
      try {
        requireFinite('load', 'params', params);
        if (slots) requireHeldTensors('load', 'slots', slots, (k) => params[slotOwner(k)]?.length);
      } catch (error) {
        throw this.refused(error);
      }
      const store = new ParameterStore(optimizerConfig(optimizer), new Map(Object.entries(params)));
      // A non-finite rollback lowers the rate by `lrScale` (at most 1: a message never raises it).
      const base = this.ctx.config.spec ? scaledLr(this.ctx.config.spec) : optimizer.lr;
      this.lr = base * (msg.lrScale ?? 1);
      if (slots) {
        const all: ParamMap = new Map(Object.entries(params));
        for (const [k, v] of Object.entries(slots)) all.set(k, v);
        store.restore(all, steps ?? {}, version);
      } else store.version = version;
      this.store = store;
      this.diverged = undefined;
      this.trainers = trainers;
      this.mode = sync ?? 'aggregate';
      // A reload replays the epoch afresh: the record of which async updates were applied starts over.
      this.book = this.mode === 'async' ? new AsyncBook(staleness ?? 0) : undefined;
      this.previous = undefined;
      this.pending.clear();
      // Pushes waiting on a round of the replaced parameters will never complete: fail them now.
      for (const w of this.waiters.splice(0)) w.reject(new ShardReloadedError(version));
      this.ledgerRounds = this.ledgerRounds.filter((r) => r.round < version);
      this.m.weft_ps_parameter_version.set(store.version);
      this.m.weft_ps_parameter_bytes.set(paramBytes(Object.fromEntries(store.snapshot())));
      return { version };
    },
    pull: ({ at }) => {
      const store = this.requireStore();
      this.m.weft_ps_pull_requests_total.inc();
      if (at !== undefined && at === store.version - 1 && this.previous) {
        this.m.weft_ps_sent_bytes_total.inc(paramBytes(this.previous));
        return { version: at, params: this.previous };
      }
      if (at !== undefined && at !== store.version)
        throw new Error(
          `version ${at} is gone: this shard holds ${store.version} (and the one before)`,
        );
      return this.current();
    },
    push: (msg) => {
      requireControlSecret('push', msg, this.ctx.log, this.m);
      const { round, trainer, epoch, batches, grads } = msg;
      const store = this.requireStore();
      if (trainer >= this.trainers)
        throw new Error(`trainer ${trainer} is not in this job of ${this.trainers} trainers`);
      if (this.book) throw new Error('this shard runs async updates: push with `update`');
      this.checkUpdate('push', grads);
      // Already applied (a retry, or a restarted trainer finishing a round the others completed).
      this.m.weft_ps_push_requests_total.inc();
      if (round === store.version - 1) return this.current();
      if (round !== store.version) {
        if (round < store.version) this.m.weft_ps_stale_pushes_rejected_total.inc();
        throw new Error(`push for round ${round} but this shard is at version ${store.version}`);
      }
      const bytes = paramBytes(grads);
      this.pushBytes += bytes;
      this.m.weft_ps_received_bytes_total.inc(bytes);
      return new Promise<Reply>((resolve, reject) => {
        this.waiters.push({ resolve, reject });
        this.pending.set(trainer, { grads, batches, epoch });
        this.maybeApply();
      });
    },
    update: (msg) => {
      requireControlSecret('update', msg, this.ctx.log, this.m);
      const { epoch, trainer, seq, base, batches, grads } = msg;
      const store = this.requireStore();
      const book = this.book;
      if (!book) throw new Error(`this shard runs ${this.mode} rounds: push with \`push\``);
      if (trainer >= this.trainers)
        throw new Error(`trainer ${trainer} is not in this job of ${this.trainers} trainers`);
      this.m.weft_ps_push_requests_total.inc();
      const done = book.seen(epoch, trainer, seq);
      // A retry, or a recomputation after another shard refused: applied once already.
      if (done !== undefined) return { ...this.current(), applied: true, staleness: done };
      if (base > store.version)
        throw new Error(`update computed on version ${base}, this shard holds ${store.version}`);
      this.checkUpdate('update', grads);
      const staleness = store.version - base;
      if (staleness > book.bound) {
        book.rejected++;
        this.m.weft_ps_stale_pushes_rejected_total.inc();
        return { ...this.current(), applied: false, staleness };
      }
      const bytes = paramBytes(grads);
      this.pushBytes += bytes;
      this.m.weft_ps_received_bytes_total.inc(bytes);
      const round = store.version;
      const applied = this.m.weft_ps_apply_duration_seconds.startTimer();
      store.push(new Map(Object.entries(grads)), 1, this.lr);
      applied();
      book.record(epoch, trainer, seq, staleness);
      this.m.weft_ps_update_staleness_versions.observe(staleness);
      this.m.weft_ps_parameter_version.set(store.version);
      this.ledgerRounds.push({ round, batches, epoch, staleness, trainer });
      if (this.ledgerRounds.length > LEDGER_LIMIT) this.ledgerRounds.shift();
      const diverged = this.checkApplied(round, epoch);
      if (diverged) throw diverged;
      return { ...this.current(), applied: true, staleness };
    },
    progress: ({ epoch, trainer }) => {
      this.requireStore();
      return { applied: this.book?.progress(epoch, trainer) ?? 0 };
    },
    snapshot: () => {
      const store = this.requireStore();
      const params: Record<string, Float32Array> = {};
      const slots: Record<string, Float32Array> = {};
      for (const [k, v] of store.snapshot()) {
        if (k.includes('#')) slots[k] = Float32Array.from(v);
        else params[k] = Float32Array.from(v);
      }
      return { version: store.version, params, slots, steps: store.stepCounts() };
    },
    ledger: ({ from }) => {
      // A restarted shard has no record: saying so (not an empty ledger) makes the coordinator roll back.
      // A diverged shard still answers: its record counts the batches a rollback discards.
      if (!this.store) throw new ShardNotLoadedError();
      return { rounds: this.ledgerRounds.filter((r) => r.round >= from) };
    },
    stats: () => ({
      version: this.store?.version ?? 0,
      loaded: this.store !== undefined,
      pushBytes: this.pushBytes,
      pullBytes: this.pullBytes,
      pending: this.pending.size,
      staleRejected: this.book?.rejected ?? 0,
      maxStaleness: this.book?.maxStaleness ?? 0,
    }),
    hello: () => ({ pid: process.pid }),
    shutdown: (msg) => {
      if (honourShutdown(msg, this.ctx.log, this.m)) this.ctx.stopSelf();
    },
  });

  private hyperParameters(msg: Infer<typeof ParameterServerProtocol.load.request>) {
    const spec = this.ctx.config.spec;
    if (!spec) return msg;
    return {
      optimizer: {
        kind: spec.train.optimizer,
        lr: spec.train.lr,
        momentum: spec.train.momentum,
        weightDecay: spec.train.weightDecay,
      },
      trainers: spec.cluster.trainers,
      sync: spec.train.sync,
      staleness: spec.train.staleness,
    };
  }

  /** A trainer's gradients (or local-SGD deltas): only tensors this shard holds, whole and finite. */
  private checkUpdate(verb: string, grads: Record<string, Float32Array>): void {
    const params = this.requireStore().params;
    try {
      requireHeldTensors(verb, 'grads', grads, (k) => params.get(k)?.length);
    } catch (error) {
      throw this.refused(error);
    }
  }

  private refused(error: unknown): unknown {
    if (error instanceof RefusedMessageError) {
      this.m.weft_messages_refused_total.with({ reason: error.reason }).inc();
      this.ctx.log.warn(error.message, { error });
    }
    return error;
  }
}

/** `w#m` → `w`: the parameter an optimizer slot belongs to. */
function slotOwner(key: string): string {
  const at = key.indexOf('#');
  return at < 0 ? key : key.slice(0, at);
}

// The one declaration of every Weft metric (name, type, unit, help, buckets, exporting roles) and
// its registration on a prom-client registry as typed handles bound to one actor's job/role/index.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WeftError } from '../runtime/errors.js';
import { IDENTITY_LABELS, MetricsRegistry } from '../runtime/metrics.js';

/** Actor roles; every metric is exported by one or more of them. */
export const ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The labels every Weft series carries: which job (`weft_job`, so Prometheus's own `job` stays the
 * scrape job's), which role, which replica of the role.
 */
export const LABEL_NAMES = IDENTITY_LABELS;

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricUnit =
  | 'seconds'
  | 'bytes'
  | 'unix seconds'
  | 'count'
  | 'ratio'
  | 'dimensionless'
  | 'boolean'
  | 'versions'
  | 'epochs'
  | 'batches'
  | 'neighbours';

/** A label beyond job/role/index with every value it may take (a small, fixed set). */
export interface MetricDimension {
  readonly name: 'kind' | 'reason' | 'split' | 'metric' | 'hop' | 'backend';
  readonly values: readonly string[];
}

export interface MetricDecl {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: MetricUnit;
  readonly roles: readonly Role[];
  readonly help: string;
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
  /** Gauges only: the value set at registration, so the series exists before the first update. */
  readonly initial?: number;
  /**
   * One series per member of a fixed set (error kind, evaluation metric, ...). Counters and
   * histograms get every combination at zero from registration.
   */
  readonly labels?: readonly MetricDimension[];
  /**
   * 'any': its role/index labels name the actor the series is about, of any role, while only
   * `roles` export it (the coordinator counts every actor's restarts; an actor cannot count its
   * own, and a copy at 0 from the actor itself would be a second, wrong series).
   */
  readonly about?: 'any';
}

/** Hops of the sampler's fanout gauge: as many as model.layers allows (its bound in job-spec.ts). */
export const MAX_HOPS = 6;
/** Evaluation metrics with a series per split; `setEvalMetrics` maps result keys onto them. */
export const EVAL_METRICS = ['accuracy', 'macro_f1', 'auc', 'mrr', 'hits_at_10', 'loss'] as const;
export const EVAL_SPLITS = ['val', 'test'] as const;
/** Error kinds: the `kind` label of weft_errors_total. */
export const ERROR_KINDS = [
  'timeout',
  'transport',
  'decode',
  'handler',
  'worker_exit',
  'nonfinite',
  'checkpoint',
  'input',
  'other',
] as const;
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** Why an actor refused a message on arrival: the `reason` label of weft_messages_refused_total. */
export const REFUSAL_REASONS = ['non_finite', 'shape', 'sender'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type EvalMetric = (typeof EVAL_METRICS)[number];
export type EvalSplit = (typeof EVAL_SPLITS)[number];
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type Backend = (typeof BACKENDS)[number];

const STEP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const RPC_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
] as const;
const APPLY_BUCKETS_S = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1] as const;
const CHECKPOINT_BUCKETS_S = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800] as const;
const EVAL_BUCKETS_S = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

const EVERY = ROLES;

// Helpers keep each declaration on a line or two; the `const` type parameters keep the literal
// names and roles, from which RoleMetrics<R> derives each role's typed handles.
function counter<const N extends string, const R extends readonly Role[]>(
  name: N,
  roles: R,
  unit: MetricUnit,
  help: string,
) {
  return { name, type: 'counter', unit, roles, help } as const;
}
function gauge<const N extends string, const R extends readonly Role[]>(
  name: N,
  roles: R,
  unit: MetricUnit,
  help: string,
  initial?: number,
) {
  return { name, type: 'gauge', unit, roles, help, initial } as const;
}
function histogram<const N extends string, const R extends readonly Role[]>(
  name: N,
  roles: R,
  buckets: readonly number[],
  help: string,
  unit: MetricUnit = 'seconds',
) {
  return { name, type: 'histogram', unit, roles, help, buckets } as const;
}

/** A declaration with one series per member of fixed label sets. */
function labelled<const D extends { type: MetricType }, const L extends readonly MetricDimension[]>(
  decl: D,
  labels: L,
) {
  return { ...decl, labels } as const;
}

const HOPS = ['0', '1', '2', '3', '4', '5'] as const;

const ERROR_HELP: Record<ErrorKind, string> = {
  timeout: 'an ask got no reply within its timeout',
  transport: 'a NATS publish, request or connection failed (no responders included)',
  decode: 'a message was malformed and rejected at the boundary',
  handler: "an actor's message handler threw",
  worker_exit: 'a worker thread or child process exited unexpectedly',
  nonfinite: 'a loss or gradient was NaN or infinite',
  checkpoint: 'writing or loading a checkpoint failed',
  input: 'graph or input data was unreadable or malformed at run time',
  other: 'any error of no other kind',
};

const REFUSAL_HELP: Record<RefusalReason, string> = {
  non_finite: 'held a NaN or infinite value in a pushed or loaded tensor',
  shape: 'named a tensor the shard does not hold, or gave it the wrong number of elements',
  sender:
    'lacked the job’s control secret (a control verb such as load, shutdown or trainEpoch, or a push)',
};

const listing = (help: Record<string, string>) =>
  Object.entries(help)
    .map(([k, v]) => `\`${k}\` (${v})`)
    .join('; ');

/** Every Weft metric. Order here is the order in docs/metrics.md. */
export const METRIC_CATALOGUE = [
  // Every actor
  gauge(
    'weft_actor_up',
    EVERY,
    'boolean',
    '1 while the actor runs; 0 once it drains before exit.',
    1,
  ),
  gauge(
    'weft_actor_heartbeat_timestamp_seconds',
    EVERY,
    'unix seconds',
    "Unix time of the actor's last heartbeat to the coordinator.",
  ),
  {
    ...counter(
      'weft_actor_restarts_total',
      ['coordinator'],
      'count',
      "Restarts of an actor, counted by the job's coordinator (its supervisor in weft train) under the restarted actor's role and index; every actor's series exists at 0 from the job's start.",
    ),
    about: 'any',
  },
  counter(
    'weft_nats_reconnects_total',
    EVERY,
    'count',
    "Reconnections of the actor's NATS connection after it was lost.",
  ),
  labelled(
    counter('weft_errors_total', EVERY, 'count', `Errors by kind: ${listing(ERROR_HELP)}.`),
    [{ name: 'kind', values: ERROR_KINDS }],
  ),
  labelled(
    counter(
      'weft_messages_refused_total',
      EVERY,
      'count',
      `Messages refused on arrival, nothing of them applied, by reason: the message ${listing(REFUSAL_HELP)}.`,
    ),
    [{ name: 'reason', values: REFUSAL_REASONS }],
  ),
  gauge(
    'weft_process_memory_limit_bytes',
    EVERY,
    'bytes',
    "Memory the actor's process may use before it is killed: its cgroup's limit (a container's memory limit), else the machine's memory. Compare with process_resident_memory_bytes.",
  ),
  gauge(
    'weft_graph_loaded_bytes',
    EVERY,
    'bytes',
    'Bytes of graph arrays the actor loaded into memory: the whole graph, its own part with cluster.partitions, or 0 (a parameter server, a launched coordinator, a trainer of a partitioned job, a thread given a graph already in shared memory).',
  ),

  // Trainer
  counter('weft_trainer_steps_total', ['trainer'], 'count', 'Mini-batch steps completed.'),
  histogram(
    'weft_trainer_step_duration_seconds',
    ['trainer'],
    STEP_BUCKETS_S,
    'Wall time of one step: sample or dequeue, gather, forward, backward and parameter sync.',
  ),
  counter(
    'weft_trainer_seeds_total',
    ['trainer'],
    'count',
    'Seed nodes (or seed edges) trained on.',
  ),
  gauge('weft_trainer_epoch', ['trainer'], 'epochs', 'Epoch the trainer is in (0-based).'),
  gauge(
    'weft_trainer_loss',
    ['trainer'],
    'dimensionless',
    'Training loss of the latest mini-batch; NaN when it was not finite.',
  ),
  gauge(
    'weft_trainer_learning_rate',
    ['trainer'],
    'dimensionless',
    'Learning rate of the latest update.',
  ),
  counter(
    'weft_trainer_sample_seconds_total',
    ['trainer'],
    'seconds',
    "Step time spent sampling in the trainer's own thread (inline hand-off only).",
  ),
  counter(
    'weft_trainer_gather_seconds_total',
    ['trainer'],
    'seconds',
    "Step time spent gathering features in the trainer's own thread.",
  ),
  counter(
    'weft_trainer_queue_wait_seconds_total',
    ['trainer'],
    'seconds',
    "Step time spent waiting for a batch from the samplers' queue.",
  ),
  counter(
    'weft_trainer_compute_seconds_total',
    ['trainer'],
    'seconds',
    'Step time spent in forward and backward passes.',
  ),
  counter(
    'weft_trainer_sync_seconds_total',
    ['trainer'],
    'seconds',
    'Step time spent pulling parameters from and pushing updates to the parameter servers.',
  ),
  gauge(
    'weft_trainer_queue_depth',
    ['trainer'],
    'batches',
    "Batches ready in the trainer's input queue when it last dequeued.",
    0,
  ),
  gauge(
    'weft_trainer_queue_capacity',
    ['trainer'],
    'batches',
    "Capacity of the trainer's input queue (sampling.prefetch).",
  ),
  counter(
    'weft_trainer_param_pull_bytes_total',
    ['trainer'],
    'bytes',
    'Parameter bytes pulled from the parameter servers.',
  ),
  counter(
    'weft_trainer_param_push_bytes_total',
    ['trainer'],
    'bytes',
    'Update bytes pushed to the parameter servers.',
  ),
  histogram(
    'weft_trainer_param_pull_duration_seconds',
    ['trainer'],
    RPC_BUCKETS_S,
    'Latency of one parameter pull, all shards together.',
  ),
  histogram(
    'weft_trainer_param_push_duration_seconds',
    ['trainer'],
    RPC_BUCKETS_S,
    'Latency of one update push, all shards together.',
  ),
  gauge(
    'weft_trainer_parameter_staleness_versions',
    ['trainer'],
    'versions',
    'Parameter versions applied on the servers since the version the latest update was computed on.',
    0,
  ),
  gauge(
    'weft_trainer_parameter_staleness_bound_versions',
    ['trainer'],
    'versions',
    'Largest staleness the job allows (+Inf when unbounded); the staleness alert compares against it.',
  ),
  labelled(
    gauge(
      'weft_trainer_backend',
      ['trainer'],
      'boolean',
      '1 for the TensorFlow.js backend in use (label `backend`), 0 for the others.',
    ),
    [{ name: 'backend', values: BACKENDS }],
  ),
  gauge(
    'weft_trainer_kernels_native',
    ['trainer'],
    'boolean',
    '1 when the native kernels (N-API addon) run the matmuls and aggregations, 0 on the wasm fallback.',
  ),

  // Sampler
  counter(
    'weft_sampler_batches_total',
    ['sampler'],
    'count',
    'Mini-batches sampled and handed to trainers.',
  ),
  counter('weft_sampler_seeds_total', ['sampler'], 'count', 'Seed nodes (or edges) sampled from.'),
  counter(
    'weft_sampler_sampled_edges_total',
    ['sampler'],
    'count',
    'Edges in the sampled blocks, all hops together.',
  ),
  counter(
    'weft_sampler_sampled_nodes_total',
    ['sampler'],
    'count',
    'Unique nodes in the sampled blocks, all hops together.',
  ),
  histogram(
    'weft_sampler_batch_duration_seconds',
    ['sampler'],
    STEP_BUCKETS_S,
    'Time to sample one mini-batch and gather its features.',
  ),
  counter(
    'weft_sampler_batch_bytes_total',
    ['sampler'],
    'bytes',
    'Bytes of batches handed over (queue records or NATS replies).',
  ),
  counter(
    'weft_sampler_queue_full_seconds_total',
    ['sampler'],
    'seconds',
    'Time spent blocked on a full queue: samplers ahead of the trainer.',
  ),
  counter(
    'weft_sampler_remote_requests_total',
    ['sampler'],
    'count',
    'Neighbour expansions asked of the sampler owning another partition.',
  ),
  counter(
    'weft_sampler_remote_nodes_expanded_total',
    ['sampler'],
    'count',
    'Frontier nodes whose neighbours another partition read (cluster.partitions).',
  ),
  counter(
    'weft_sampler_remote_feature_rows_total',
    ['sampler'],
    'count',
    'Feature rows received from the samplers owning other partitions.',
  ),
  counter(
    'weft_sampler_remote_feature_bytes_total',
    ['sampler'],
    'bytes',
    'Bytes of feature rows received from other partitions.',
  ),
  counter(
    'weft_sampler_remote_bytes_total',
    ['sampler'],
    'bytes',
    'Bytes of every array exchanged with other partitions (ids, offsets, degrees, rows, labels).',
  ),
  labelled(
    gauge(
      'weft_sampler_fanout',
      ['sampler'],
      'neighbours',
      'Neighbours sampled per node at hop `hop` (seeds are hop 0), set for the hops the model has; adaptive sampling raises it when validation stalls.',
    ),
    [{ name: 'hop', values: HOPS }],
  ),

  // Parameter server
  counter('weft_ps_pull_requests_total', ['ps'], 'count', 'Parameter pulls served.'),
  counter('weft_ps_push_requests_total', ['ps'], 'count', 'Updates received.'),
  counter('weft_ps_sent_bytes_total', ['ps'], 'bytes', 'Parameter bytes sent in pull replies.'),
  counter('weft_ps_received_bytes_total', ['ps'], 'bytes', 'Update bytes received in pushes.'),
  histogram(
    'weft_ps_apply_duration_seconds',
    ['ps'],
    APPLY_BUCKETS_S,
    'Time to apply one update with the optimizer.',
  ),
  gauge(
    'weft_ps_parameter_version',
    ['ps'],
    'versions',
    "Version of the shard's parameters (updates applied).",
    0,
  ),
  gauge(
    'weft_ps_parameter_bytes',
    ['ps'],
    'bytes',
    'Bytes of parameters and optimizer state held.',
  ),
  gauge(
    'weft_ps_sparse_rows',
    ['ps'],
    'count',
    "Rows created in the shard's sparse embedding tables.",
    0,
  ),
  gauge(
    'weft_ps_sparse_bytes',
    ['ps'],
    'bytes',
    "Bytes of the shard's sparse embedding tables: rows, optimizer slots and id index (capacity).",
    0,
  ),
  counter(
    'weft_ps_sparse_rows_pulled_total',
    ['ps'],
    'count',
    'Sparse embedding rows sent in row pulls (only the rows a batch needs).',
  ),
  counter(
    'weft_ps_stale_pushes_rejected_total',
    ['ps'],
    'count',
    'Updates rejected because they were staler than the bound.',
  ),
  histogram(
    'weft_ps_update_staleness_versions',
    ['ps'],
    [0, 1, 2, 4, 8, 16, 32, 64],
    'Async updates: versions the shard advanced between the one an update was computed on and its application (never above train.staleness).',
    'versions',
  ),

  // Coordinator
  gauge('weft_coordinator_epoch', ['coordinator'], 'epochs', 'Epoch of the job (0-based).', 0),
  gauge('weft_coordinator_actors_expected', ['coordinator'], 'count', 'Actors the job is made of.'),
  gauge(
    'weft_coordinator_actors_healthy',
    ['coordinator'],
    'count',
    'Actors whose heartbeat arrived within the timeout.',
  ),
  counter('weft_checkpoints_total', ['coordinator'], 'count', 'Checkpoints completed.'),
  histogram(
    'weft_checkpoint_duration_seconds',
    ['coordinator'],
    CHECKPOINT_BUCKETS_S,
    'Time to write one consistent checkpoint, all shards together.',
  ),
  gauge(
    'weft_checkpoint_last_success_timestamp_seconds',
    ['coordinator'],
    'unix seconds',
    'Unix time the latest checkpoint completed.',
  ),
  gauge(
    'weft_checkpoint_last_success_epoch',
    ['coordinator'],
    'epochs',
    'Epoch of the latest checkpoint (the epoch the job started from until one completes).',
    0,
  ),
  gauge(
    'weft_checkpoint_interval_epochs',
    ['coordinator'],
    'epochs',
    'Epochs between checkpoints (train.checkpointEvery; +Inf when only the end is saved).',
  ),
  counter('weft_eval_runs_total', ['coordinator', 'trainer'], 'count', 'Evaluations completed.'),
  histogram(
    'weft_eval_duration_seconds',
    ['coordinator', 'trainer'],
    EVAL_BUCKETS_S,
    'Time of one evaluation pass.',
  ),
  labelled(
    gauge(
      'weft_eval_result',
      ['coordinator', 'trainer'],
      'dimensionless',
      'Latest evaluation result `metric` (a ratio; the loss unbounded) on split `split` (val or test), set by the actor that ran the evaluation, once the metric has been computed.',
    ),
    [
      { name: 'split', values: EVAL_SPLITS },
      { name: 'metric', values: EVAL_METRICS },
    ],
  ),
] as const;

type Decl = (typeof METRIC_CATALOGUE)[number];
/** The name of any catalogued metric. */
export type MetricName = Decl['name'];
type DeclsOf<R extends Role> = Decl extends infer D
  ? D extends { roles: readonly (infer X)[] }
    ? R extends X
      ? D
      : never
    : never
  : never;

export interface CounterHandle {
  inc(amount?: number): void;
}
export interface GaugeHandle {
  set(value: number): void;
  inc(amount?: number): void;
  dec(amount?: number): void;
  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(): void;
}
export interface HistogramHandle {
  observe(value: number): void;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(): () => number;
}
type HandleOf<T extends MetricType> = T extends 'counter'
  ? CounterHandle
  : T extends 'gauge'
    ? GaugeHandle
    : HistogramHandle;

/** The label values that pick one series of a metric with `labels`. */
export type DimensionValues<L extends readonly MetricDimension[]> = {
  readonly [M in L[number] as M['name']]: M['values'][number];
};

/** A metric with dimension labels: `with({ kind: 'timeout' })` is the handle of one series. */
export interface LabelledHandle<V, H> {
  with(values: V): H;
}

type DeclHandle<D> = D extends { type: infer T extends MetricType }
  ? D extends { labels: infer L extends readonly MetricDimension[] }
    ? LabelledHandle<DimensionValues<L>, HandleOf<T>>
    : HandleOf<T>
  : never;

/** Typed handles of every metric role R exports, keyed by metric name. */
export type RoleMetrics<R extends Role> = {
  readonly [D in DeclsOf<R> as D['name']]: DeclHandle<D>;
};
type HandleFor<N extends MetricName> = DeclHandle<Extract<Decl, { name: N }>>;

/** Which actor a handle is bound to: `index` is the replica number within its role. */
export interface ActorLabels {
  job: string;
  role: Role;
  index: number | string;
}

const BY_NAME: ReadonlyMap<string, MetricDecl> = new Map(
  (METRIC_CATALOGUE as readonly MetricDecl[]).map((d) => [d.name, d]),
);

/** Looks up a metric's declaration; undefined for names outside the catalogue. */
export function metricDecl(name: string): MetricDecl | undefined {
  return BY_NAME.get(name);
}

/** The declarations role `role` exports, in catalogue order. */
export function metricsOfRole(role: Role): MetricDecl[] {
  return (METRIC_CATALOGUE as readonly MetricDecl[]).filter((d) => d.roles.includes(role));
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The prom-client class of each metric type (histograms also take their bucket bounds). */
const METRIC_CLASSES: Record<
  MetricDecl['type'],
  new (config: {
    name: string;
    help: string;
    labelNames: string[];
    registers: Registry[];
    buckets?: number[];
  }) => AnyMetric
> = { counter: Counter, gauge: Gauge, histogram: Histogram };

/**
 * Where metrics are registered: the runtime's per-thread MetricsRegistry (its factories check the
 * naming and label rules again) or a bare prom-client Registry.
 */
export type MetricsTarget = MetricsRegistry | Registry;

// A registry may hold several actors of one process (an embedded job runs them all), so a metric
// already registered under its name is reused and only a new label set is bound.
function labelNamesOf(decl: MetricDecl): string[] {
  return [...LABEL_NAMES, ...(decl.labels ?? []).map((l) => l.name)];
}

function metricOn(target: MetricsTarget, decl: MetricDecl): AnyMetric {
  const labelNames = labelNamesOf(decl);
  if (target instanceof MetricsRegistry) {
    switch (decl.type) {
      case 'counter':
        return target.counter(decl.name, decl.help, { labelNames: labelNames as never });
      case 'gauge':
        return target.gauge(decl.name, decl.help, { labelNames: labelNames as never });
      case 'histogram':
        return target.histogram(decl.name, decl.help, {
          labelNames: labelNames as never,
          buckets: [...(decl.buckets ?? STEP_BUCKETS_S)],
        });
    }
  }
  const registry = target;
  const existing = registry.getSingleMetric(decl.name) as
    (AnyMetric & { type?: string; labelNames?: string[] }) | undefined;
  if (existing) {
    const labels = existing.labelNames ?? [];
    if (existing.type !== decl.type || labels.join(',') !== labelNames.join(',')) {
      throw new WeftError(
        'metrics',
        `metric ${decl.name} is already registered as a ${existing.type} with labels [${labels.join(', ')}]; the catalogue declares a ${decl.type} with labels [${labelNames.join(', ')}]`,
      );
    }
    return existing;
  }
  const config = { name: decl.name, help: decl.help, labelNames, registers: [registry] };
  const buckets = decl.type === 'histogram' ? [...(decl.buckets ?? STEP_BUCKETS_S)] : undefined;
  return new METRIC_CLASSES[decl.type]({ ...config, ...(buckets ? { buckets } : {}) });
}

type Labels = Record<string, string>;
type AnyHandle = CounterHandle | GaugeHandle | HistogramHandle;

function bindSeries(metric: AnyMetric, decl: MetricDecl, labels: Labels): AnyHandle {
  switch (decl.type) {
    case 'counter': {
      const c = metric as Counter<string>;
      c.inc(labels, 0);
      return { inc: (amount = 1) => c.inc(labels, amount) };
    }
    case 'gauge': {
      const g = metric as Gauge<string>;
      if (decl.initial !== undefined) g.set(labels, decl.initial);
      return {
        set: (value: number) => g.set(labels, value),
        inc: (amount = 1) => g.inc(labels, amount),
        dec: (amount = 1) => g.dec(labels, amount),
        setToCurrentTime: () => g.set(labels, Date.now() / 1000),
      };
    }
    case 'histogram': {
      const h = metric as Histogram<string>;
      h.zero(labels);
      return {
        observe: (value: number) => h.observe(labels, value),
        startTimer: () => {
          const startNs = process.hrtime.bigint();
          return () => {
            const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
            h.observe(labels, seconds);
            return seconds;
          };
        },
      };
    }
  }
}

/** Every combination of a declaration's dimension values (one empty combination without any). */
function combinations(dims: readonly MetricDimension[]): Labels[] {
  let out: Labels[] = [{}];
  for (const d of dims) out = out.flatMap((c) => d.values.map((v) => ({ ...c, [d.name]: v })));
  return out;
}

/**
 * A handle of one metric for one actor. With dimension labels, counters and histograms bind every
 * combination at once (so each series exists at zero), gauges theirs on first use; a value outside
 * the declared set throws.
 */
function bind(
  metric: AnyMetric,
  decl: MetricDecl,
  labels: Labels,
): AnyHandle | LabelledHandle<Labels, AnyHandle> {
  const dims = decl.labels ?? [];
  if (dims.length === 0) return bindSeries(metric, decl, labels);
  const series = new Map<string, AnyHandle>();
  const keyOf = (values: Labels) => dims.map((d) => values[d.name]).join('\u0000');
  const child = (values: Labels): AnyHandle => {
    const key = keyOf(values);
    let h = series.get(key);
    if (!h) {
      for (const d of dims) {
        if (!d.values.includes(values[d.name])) {
          throw new WeftError(
            'metrics',
            `${decl.name}: ${d.name} '${values[d.name]}' is not one of ${d.values.join(', ')}`,
          );
        }
      }
      h = bindSeries(metric, decl, { ...labels, ...values });
      series.set(key, h);
    }
    return h;
  };
  if (decl.type !== 'gauge') for (const c of combinations(dims)) child(c);
  return { with: child };
}

function labelValues(labels: ActorLabels): Labels {
  if (!(ROLES as readonly string[]).includes(labels.role)) {
    throw new WeftError('metrics', `unknown role '${labels.role}'; roles: ${ROLES.join(', ')}`);
  }
  return { weft_job: labels.job, role: labels.role, index: String(labels.index) };
}

function actorOf(
  target: MetricsTarget,
  actor: { job: string; index: number | string } | undefined,
): { job: string; index: number | string } {
  if (actor) return actor;
  const identity = target instanceof MetricsRegistry ? target.identity : {};
  if (identity.job === undefined || identity.index === undefined) {
    throw new WeftError(
      'metrics',
      'no job and index for the metric labels: pass them, or register on a MetricsRegistry whose identity has them',
    );
  }
  return { job: identity.job, index: identity.index };
}

/**
 * Registers every metric of `role` on `target` (reusing metrics already there) and returns
 * handles bound to this actor's job/role/index; on the runtime's MetricsRegistry the job and
 * index default to its identity. Counters and histograms start at zero, so rates and increases
 * are defined from the first scrape.
 */
export function registerRoleMetrics<R extends Role>(
  target: MetricsTarget,
  role: R,
  actor?: { job: string; index: number | string },
): RoleMetrics<R> {
  const labels = labelValues({ ...actorOf(target, actor), role });
  const handles: Record<string, unknown> = {};
  for (const decl of metricsOfRole(role)) {
    handles[decl.name] = bind(metricOn(target, decl), decl, labels);
  }
  return handles as RoleMetrics<R>;
}

/**
 * A handle to one metric for any actor: what a supervisor uses to count a child's restarts
 * under the child's own role and index.
 */
export function metricHandle<N extends MetricName>(
  target: MetricsTarget,
  name: N,
  actor: ActorLabels,
): HandleFor<N> {
  const decl = BY_NAME.get(name);
  if (!decl) throw new WeftError('metrics', `metric ${name} is not in the catalogue`);
  if (!decl.roles.includes(actor.role) && decl.about !== 'any') {
    throw new WeftError('metrics', `metric ${name} is not exported by role ${actor.role}`);
  }
  return bind(metricOn(target, decl), decl, labelValues(actor)) as HandleFor<N>;
}

type FanoutHandles = Pick<RoleMetrics<'sampler'>, 'weft_sampler_fanout'>;

/** Sets the per-hop fanout series from a fanout list (seeds' hop first). */
export function setFanouts(metrics: FanoutHandles, fanouts: readonly number[]): void {
  if (fanouts.length > MAX_HOPS) {
    throw new WeftError('metrics', `${fanouts.length} hops exceed the ${MAX_HOPS} fanout series`);
  }
  for (let h = 0; h < fanouts.length; h++)
    metrics.weft_sampler_fanout.with({ hop: HOPS[h] }).set(fanouts[h]);
}

/** Maps a result key such as 'hits@10', 'Macro-F1' or 'val_auc' onto the catalogue's spelling. */
export function evalMetricKey(key: string): string {
  return key
    .toLowerCase()
    .replace(/@/g, '_at_')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

type EvalHandles = Pick<RoleMetrics<'coordinator'>, 'weft_eval_result'>;

/**
 * Sets the evaluation results of one split from a result object ({accuracy, auc, 'hits@10', ...});
 * returns the keys that have no series, which the caller may log.
 */
export function setEvalMetrics(
  metrics: EvalHandles,
  split: EvalSplit,
  values: Record<string, number | null | undefined>,
): string[] {
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'number') continue;
    const metric = evalMetricKey(key);
    if ((EVAL_METRICS as readonly string[]).includes(metric))
      metrics.weft_eval_result.with({ split, metric: metric as EvalMetric }).set(value);
    else unknown.push(key);
  }
  return unknown;
}

type BackendHandles = Pick<RoleMetrics<'trainer'>, 'weft_trainer_backend'>;

/** Sets the backend series: 1 for the backend in use, 0 for the others. */
export function setBackend(metrics: BackendHandles, backend: Backend): void {
  for (const b of BACKENDS)
    metrics.weft_trainer_backend.with({ backend: b }).set(b === backend ? 1 : 0);
}

/**
 * The error kind of a thrown value, from its WeftError `code` (e.g. 'actor-timeout' -> timeout);
 * anything unrecognised counts as 'other'.
 */
export function errorKindOf(err: unknown): ErrorKind {
  const code = err instanceof WeftError ? err.code.toLowerCase() : '';
  if (code === '') return 'other';
  if ((ERROR_KINDS as readonly string[]).includes(code.replace(/-/g, '_'))) {
    return code.replace(/-/g, '_') as ErrorKind;
  }
  if (code.includes('timeout')) return 'timeout';
  if (code.includes('nats') || code.includes('transport') || code.includes('responder')) {
    return 'transport';
  }
  if (code.includes('codec') || code.includes('decode') || code.includes('message')) {
    return 'decode';
  }
  if (code.includes('checkpoint')) return 'checkpoint';
  if (code.includes('nan') || code.includes('finite')) return 'nonfinite';
  if (code.includes('worker') || code.includes('exit') || code.includes('crash')) {
    return 'worker_exit';
  }
  if (code === 'config' || code.includes('input') || code.includes('format')) return 'input';
  return 'other';
}

type ErrorHandles = Pick<RoleMetrics<'trainer'>, 'weft_errors_total'>;

/** Counts one error under its kind (a kind name or a thrown value). */
export function countError(metrics: ErrorHandles, errOrKind: unknown): ErrorKind {
  const kind =
    typeof errOrKind === 'string' && (ERROR_KINDS as readonly string[]).includes(errOrKind)
      ? (errOrKind as ErrorKind)
      : errorKindOf(errOrKind);
  metrics.weft_errors_total.with({ kind }).inc();
  return kind;
}

const SECTIONS: readonly { title: string; prefixes: readonly string[]; intro: string }[] = [
  {
    title: 'Every actor',
    prefixes: [
      'weft_actor_',
      'weft_nats_',
      'weft_errors_',
      'weft_messages_',
      'weft_process_',
      'weft_graph_',
    ],
    intro:
      'Exported by the coordinator, parameter servers, samplers and trainers alike. Errors carry their `kind` and refused messages their `reason`; every kind and reason exists at 0 from the start, so `increase()` sees the first one.',
  },
  {
    title: 'Trainer',
    prefixes: ['weft_trainer_'],
    intro:
      'A step splits into sample, gather, queue wait, compute and sync; the `*_seconds_total` counters add up to the step time, so their rates divided by the rate of `weft_trainer_step_duration_seconds_sum` are the shares of a step.',
  },
  {
    title: 'Sampler',
    prefixes: ['weft_sampler_'],
    intro:
      'One fanout series per hop (label `hop`), exported only for the hops the model has, by the samplers alone; adaptive sampling moves them.',
  },
  {
    title: 'Parameter server',
    prefixes: ['weft_ps_'],
    intro: 'Per shard; a job with P shards has P series of each.',
  },
  {
    title: 'Coordinator, checkpoints and evaluation',
    prefixes: ['weft_coordinator_', 'weft_checkpoint', 'weft_eval_'],
    intro:
      'Evaluation results are exported by whichever actor runs evaluation: the coordinator in a distributed job, the trainer in an embedded one. A series (labels `split` and `metric`) exists only once its metric has been computed.',
  },
];

function unitSuffixOk(d: MetricDecl): boolean {
  const base = d.type === 'counter' ? d.name.replace(/_total$/, '') : d.name;
  if (d.unit === 'seconds' || d.unit === 'unix seconds') return base.endsWith('_seconds');
  if (d.unit === 'bytes') return base.endsWith('_bytes');
  return !base.endsWith('_seconds') && !base.endsWith('_bytes');
}

/**
 * Problems with a declaration under the naming rules (weft_ prefix, snake case, `_total` exactly
 * on counters, the base-unit suffix matching the unit); empty when it conforms.
 */
export function namingProblems(d: MetricDecl): string[] {
  const out: string[] = [];
  if (!/^weft_[a-z0-9]+(_[a-z0-9]+)*$/.test(d.name))
    out.push('must be weft_ followed by snake_case');
  if (d.type === 'counter' && !d.name.endsWith('_total')) out.push('counters end in _total');
  if (d.type !== 'counter' && d.name.endsWith('_total')) out.push('only counters end in _total');
  if (d.type === 'histogram' && !d.buckets?.length) out.push('histograms declare buckets');
  if (d.type !== 'gauge' && d.initial !== undefined) out.push('only gauges take an initial value');
  if (!unitSuffixOk(d)) out.push(`name suffix does not match unit '${d.unit}'`);
  if (d.roles.length === 0) out.push('no role exports it');
  return out;
}

/** docs/metrics.md, generated from the catalogue (`npx tsx scripts/gen-docs.ts` rewrites it). */
export function metricsDoc(): string {
  const all = METRIC_CATALOGUE as readonly MetricDecl[];
  const lines: string[] = [
    '# Metrics',
    '',
    '<!-- Generated from actors/metrics-catalogue.ts by `npx tsx scripts/gen-docs.ts`; edit the catalogue, not this file. -->',
    '',
    `Every Weft process serves \`/metrics\` in the Prometheus text format. All ${all.length} metrics below are declared once, in \`actors/metrics-catalogue.ts\`; \`deploy/prometheus/rules.yml\` and \`deploy/grafana/weft.json\` use only these names (a test checks it).`,
    '',
    'Conventions:',
    '',
    '- Names start with `weft_`, use base units (seconds, bytes, Unix seconds) named in the suffix, and counters end in `_total`.',
    "- Every series carries `weft_job` (the job spec's `name`), `role` (`coordinator`, `ps`, `sampler`, `trainer`) and `index` (the replica within its role). `job` and `instance` stay Prometheus's own (the scrape job and the address), so no `honor_labels` is needed.",
    '- A breakdown over a small fixed set is a label of one metric, not a metric per member: `kind` (errors), `reason` (refused messages), `split` and `metric` (evaluation results), `hop` (fanouts), `backend`. Nothing is labelled per node, per batch or per message.',
    "- Counters and histograms exist at zero from the actor's start, every label value included (a supervisor's restart counter too, for every actor of the job); gauges marked with an initial value exist from the start too, the others from their first update.",
    '',
    "Register a role's metrics with `registerRoleMetrics(registry, role, { job, index })`; the result holds one typed handle per metric, keyed by its name.",
    '',
  ];
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  for (const section of SECTIONS) {
    const decls = all.filter((d) => section.prefixes.some((p) => d.name.startsWith(p)));
    lines.push(`## ${section.title}`, '', section.intro, '');
    lines.push('| metric | type | unit | roles | meaning |', '|---|---|---|---|---|');
    for (const d of decls) {
      let meaning = d.help;
      if (d.buckets) meaning += ` Buckets: ${d.buckets.join(', ')}.`;
      if (d.initial !== undefined) meaning += ` Starts at ${d.initial}.`;
      for (const l of d.labels ?? []) meaning += ` Label \`${l.name}\`: ${l.values.join(', ')}.`;
      const roles = d.roles.length === ROLES.length ? 'all' : d.roles.join(', ');
      lines.push(`| \`${d.name}\` | ${d.type} | ${d.unit} | ${roles} | ${cell(meaning)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

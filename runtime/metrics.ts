// Prometheus metrics for one thread: a prom-client registry that enforces the house rules (names under
// weft_, base units, _total for counters, a closed set of labels) and carries the thread's identity.
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { isMainThread } from 'node:worker_threads';
import { WeftError } from './errors.js';

/**
 * Who reports a series: the Weft job, the actor's role and its replica. The job is `weft_job`, not
 * `job`, because `job` is Prometheus's own target label (the scrape job's name).
 */
export const IDENTITY_LABELS = ['weft_job', 'role', 'index'] as const;
/**
 * What a series is about, for the few metrics with one series per member of a fixed, small set
 * (error kind, refusal reason, evaluation split and metric, fanout hop, compute backend).
 */
export const DIMENSION_LABELS = ['kind', 'reason', 'split', 'metric', 'hop', 'backend'] as const;
/** The only label names a Weft metric may use. */
export const METRIC_LABELS = [...IDENTITY_LABELS, ...DIMENSION_LABELS] as const;
export type MetricLabel = (typeof METRIC_LABELS)[number];

/** Who is reporting: becomes the weft_job/role/index labels of every series of a registry. */
export interface MetricsIdentity {
  job?: string;
  role?: string;
  index?: number | string;
}

/** A metric definition breaks the naming or label rules: `metric` names it. */
export class MetricDefinitionError extends WeftError {
  readonly metric: string;
  constructor(metric: string, message: string) {
    super('metric-definition', `metric '${metric}': ${message}`);
    this.metric = metric;
  }
}

/** Name segments that mean a non-base unit: Prometheus wants seconds and bytes. */
const NON_BASE_UNITS = new Set([
  'ms',
  'msec',
  'millis',
  'milliseconds',
  'us',
  'microseconds',
  'ns',
  'nanoseconds',
  'minutes',
  'hours',
  'days',
  'kb',
  'mb',
  'gb',
  'kib',
  'mib',
  'gib',
  'kilobytes',
  'megabytes',
  'gigabytes',
  'percent',
]);

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const NAME_PATTERN = /^weft_[a-z][a-z0-9_]*[a-z0-9]$/;

type LabelledCounter = Counter<MetricLabel>;
type LabelledGauge = Gauge<MetricLabel>;

/** Options of a counter or gauge: its labels, and a function that sets its value when scraped. */
interface Collected<M> {
  labelNames?: MetricLabel[];
  collect?: (this: M) => void | Promise<void>;
}

/** Options of a histogram: its labels and bucket bounds. */
interface Bucketed {
  labelNames?: MetricLabel[];
  buckets?: number[];
}

/** What define hands to prom-client's Counter, Gauge or Histogram constructor. */
interface MetricConfig {
  name: string;
  help: string;
  labelNames: MetricLabel[];
  registers: Registry[];
  collect?: () => void | Promise<void>;
  buckets?: number[];
}

/** Throws MetricDefinitionError unless `name` and `labelNames` follow the rules for a metric of `type`. */
export function checkMetricDefinition(
  name: string,
  type: 'counter' | 'gauge' | 'histogram',
  labelNames: readonly string[],
): void {
  if (!NAME_PATTERN.test(name) || name.includes('__')) {
    throw new MetricDefinitionError(
      name,
      'names are weft_ followed by lower-case words joined by single underscores',
    );
  }
  const segments = name.split('_');
  for (const s of segments) {
    if (NON_BASE_UNITS.has(s)) {
      throw new MetricDefinitionError(name, `'${s}' is not a base unit; use seconds or bytes`);
    }
  }
  const endsTotal = name.endsWith('_total');
  if (type === 'counter' && !endsTotal)
    throw new MetricDefinitionError(name, 'counter names end in _total');
  if (type !== 'counter' && endsTotal)
    throw new MetricDefinitionError(name, `a ${type} name must not end in _total`);
  if (type === 'histogram' && /_(bucket|count|sum)$/.test(name)) {
    throw new MetricDefinitionError(
      name,
      'histogram names must not end in _bucket, _count or _sum',
    );
  }
  for (const l of labelNames) {
    if (!(METRIC_LABELS as readonly string[]).includes(l)) {
      throw new MetricDefinitionError(
        name,
        `label '${l}' is not allowed; labels are limited to ${METRIC_LABELS.join(', ')}`,
      );
    }
  }
}

function identityLabels(identity: MetricsIdentity): Record<string, string> {
  const out: Record<string, string> = {};
  if (identity.job !== undefined) out.weft_job = String(identity.job);
  if (identity.role !== undefined) out.role = String(identity.role);
  if (identity.index !== undefined) out.index = String(identity.index);
  return out;
}

export interface MetricsRegistryOptions {
  /** Also collect prom-client's default process_* and nodejs_* metrics (once per process: main thread). */
  defaultMetrics?: boolean;
}

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * One thread's metrics. Factories are get-or-create: asking twice for the same name returns the same
 * metric (so modules can declare what they use), and a clash of type or labels throws.
 */
export class MetricsRegistry {
  /** The underlying prom-client registry. */
  readonly registry: Registry;
  private identityValue: MetricsIdentity;

  constructor(identity: MetricsIdentity = {}, options: MetricsRegistryOptions = {}) {
    this.registry = new Registry();
    this.identityValue = { ...identity };
    this.registry.setDefaultLabels(identityLabels(identity));
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // These three are gauges named like counters, which promtool flags; the per-type gauges
      // (nodejs_active_handles{type=…}, …) that prom-client also exports carry the same numbers.
      for (const n of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(n);
    }
  }

  get identity(): MetricsIdentity {
    return { ...this.identityValue };
  }

  /** Sets (or changes) job/role/index for every series of this registry. */
  setIdentity(identity: MetricsIdentity): void {
    this.identityValue = { ...this.identityValue, ...identity };
    this.registry.setDefaultLabels(identityLabels(this.identityValue));
  }

  counter(name: string, help: string, options: Collected<LabelledCounter> = {}): LabelledCounter {
    return this.define(Counter, 'counter', name, help, options);
  }

  gauge(name: string, help: string, options: Collected<LabelledGauge> = {}): LabelledGauge {
    return this.define(Gauge, 'gauge', name, help, options);
  }

  /** `buckets` in the metric's base unit (seconds, bytes); default prom-client's latency buckets. */
  histogram(name: string, help: string, options: Bucketed = {}): Histogram<MetricLabel> {
    return this.define(Histogram, 'histogram', name, help, options);
  }

  /**
   * The metric `name`, registered once per registry: the one already there when its type and labels
   * match (else MetricDefinitionError), or a new one that follows the house rules.
   */
  private define<M>(
    Metric: new (config: MetricConfig) => M,
    type: 'counter' | 'gauge' | 'histogram',
    name: string,
    help: string,
    options: Collected<M> & Bucketed,
  ): M {
    const { labelNames = [], ...extra } = options;
    const existing = this.existing(name, type, labelNames);
    if (existing) return existing as M;
    checkMetricDefinition(name, type, labelNames);
    const config: MetricConfig = { name, help, labelNames, registers: [this.registry] };
    if (extra.collect !== undefined) config.collect = extra.collect as MetricConfig['collect'];
    if (extra.buckets !== undefined) config.buckets = extra.buckets;
    return new Metric(config);
  }

  private existing(name: string, type: string, labelNames: readonly string[]): unknown {
    const m = this.registry.getSingleMetric(name) as
      { type?: string; labelNames?: string[]; constructor: { name: string } } | undefined;
    if (m === undefined) return undefined;
    const mType =
      m instanceof Counter
        ? 'counter'
        : m instanceof Gauge
          ? 'gauge'
          : m instanceof Histogram
            ? 'histogram'
            : 'other';
    const sameLabels =
      (m.labelNames ?? []).length === labelNames.length &&
      labelNames.every((l) => (m.labelNames ?? []).includes(l));
    if (mType !== type || !sameLabels) {
      throw new MetricDefinitionError(
        name,
        `already registered as a ${mType} with labels [${(m.labelNames ?? []).join(', ')}]`,
      );
    }
    return m;
  }

  /** Every metric with its current values (what a thread sends to be merged). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON() as Promise<MetricsSnapshot>;
  }

  /** Text exposition format of this registry alone. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Drops every metric (tests; a restarted component). */
  clear(): void {
    this.registry.clear();
    this.registry.setDefaultLabels(identityLabels(this.identityValue));
  }
}

let threadRegistry: MetricsRegistry | null = null;

/**
 * This thread's registry, created on first use. The main thread's also collects the default process
 * metrics (process_*, nodejs_*): they describe the process, so only one thread reports them.
 */
export function threadMetrics(identity?: MetricsIdentity): MetricsRegistry {
  if (threadRegistry === null) {
    threadRegistry = new MetricsRegistry(identity ?? {}, { defaultMetrics: isMainThread });
  } else if (identity !== undefined) {
    threadRegistry.setIdentity(identity);
  }
  return threadRegistry;
}

// Merges the metrics of every thread of a process into one exposition: worker threads answer collection
// requests on a BroadcastChannel with their registry's JSON; the main thread's hub aggregates by labels.
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import { threadMetrics, type MetricsRegistry, type MetricsSnapshot } from './metrics.js';

/** The channel every thread of a process uses for metrics; one per process (channels are per process). */
export const METRICS_CHANNEL = 'weft-metrics';

type HubMessage =
  | { type: 'who' }
  | { type: 'collect'; id: number }
  | { type: 'hello'; thread: number }
  | { type: 'bye'; thread: number }
  | { type: 'metrics'; id: number; thread: number; metrics: MetricsSnapshot };

/** A thread's side: answers the hub's requests with this thread's registry until stopped. */
export interface MetricsReporter {
  readonly registry: MetricsRegistry;
  /** Says goodbye (the hub forgets this thread) and closes the channel. */
  stop(): void;
}

/**
 * Starts answering metric collection requests from this thread (call once in each worker thread that
 * records metrics). Does not keep the thread alive.
 */
export function startMetricsReporter(registry: MetricsRegistry = threadMetrics()): MetricsReporter {
  const channel = new BroadcastChannel(METRICS_CHANNEL);
  channel.unref();
  const hello = () => channel.postMessage({ type: 'hello', thread: threadId } satisfies HubMessage);
  channel.onmessage = (event) => {
    const m = (event as { data: HubMessage }).data;
    if (m.type === 'who') hello();
    else if (m.type === 'collect') {
      registry.snapshot().then(
        (metrics) => {
          channel.postMessage({
            type: 'metrics',
            id: m.id,
            thread: threadId,
            metrics,
          } satisfies HubMessage);
        },
        () => {
          // A failing collect callback: answer nothing; the hub uses this thread's last snapshot.
        },
      );
    }
  };
  hello();
  let stopped = false;
  return {
    registry,
    stop() {
      if (stopped) return;
      stopped = true;
      channel.postMessage({ type: 'bye', thread: threadId } satisfies HubMessage);
      channel.close();
    },
  };
}

interface Member {
  last: MetricsSnapshot | null;
  misses: number;
}

export interface MetricsHubOptions {
  /** The main thread's own registry, merged with the workers'; default threadMetrics(). */
  registry?: MetricsRegistry;
  /** How long a collection waits for threads to answer (ms); late threads count with their last answer. */
  timeoutMs?: number;
  /** Collections a thread may miss in a row before it is forgotten (it died without saying goodbye). */
  maxMisses?: number;
}

/** The main thread's side: collects every reporting thread's metrics and merges them. */
export class MetricsHub {
  readonly registry: MetricsRegistry;
  private readonly channel: BroadcastChannel;
  private readonly members = new Map<number, Member>();
  private readonly timeoutMs: number;
  private readonly maxMisses: number;
  private nextId = 1;
  private pending: { id: number; answers: Map<number, MetricsSnapshot>; check: () => void } | null =
    null;
  private closed = false;

  constructor(options: MetricsHubOptions = {}) {
    this.registry = options.registry ?? threadMetrics();
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxMisses = options.maxMisses ?? 3;
    this.channel = new BroadcastChannel(METRICS_CHANNEL);
    this.channel.unref();
    this.channel.onmessage = (event) => this.onMessage((event as { data: HubMessage }).data);
    this.channel.postMessage({ type: 'who' } satisfies HubMessage);
  }

  /** Threads currently known to report. */
  get threads(): number[] {
    return [...this.members.keys()];
  }

  private onMessage(m: HubMessage): void {
    if (m.type === 'hello') {
      if (!this.members.has(m.thread)) this.members.set(m.thread, { last: null, misses: 0 });
    } else if (m.type === 'bye') {
      this.members.delete(m.thread);
      this.pending?.check();
    } else if (m.type === 'metrics') {
      const member = this.members.get(m.thread) ?? { last: null, misses: 0 };
      member.last = m.metrics;
      member.misses = 0;
      this.members.set(m.thread, member);
      if (this.pending !== null && this.pending.id === m.id) {
        this.pending.answers.set(m.thread, m.metrics);
        this.pending.check();
      }
    }
  }

  /** Asks every thread for its metrics and waits for the answers (or the timeout). */
  private async gather(): Promise<MetricsSnapshot[]> {
    while (this.pending !== null) await new Promise((r) => setTimeout(r, 1));
    const id = this.nextId++;
    const answers = new Map<number, MetricsSnapshot>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.timeoutMs);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      const check = () => {
        for (const t of this.members.keys()) if (!answers.has(t)) return;
        finish();
      };
      this.pending = { id, answers, check };
      this.channel.postMessage({ type: 'collect', id } satisfies HubMessage);
      if (this.members.size === 0) {
        // Nobody known yet: give threads that are starting up a moment to answer.
        clearTimeout(timer);
        setTimeout(finish, Math.min(50, this.timeoutMs));
      }
    });
    this.pending = null;
    const out: MetricsSnapshot[] = [];
    for (const [t, member] of this.members) {
      const fresh = answers.get(t);
      if (fresh !== undefined) {
        out.push(fresh);
        continue;
      }
      member.misses++;
      if (member.misses > this.maxMisses) this.members.delete(t);
      else if (member.last !== null) out.push(member.last);
    }
    return out;
  }

  /** The merged registry: this thread's metrics plus every worker's, summed where labels coincide. */
  async collect(): Promise<ReturnType<typeof AggregatorRegistry.aggregate>> {
    if (this.closed) throw new Error('metrics hub is closed');
    // Workers first, own registry last: prom-client hands counters out by reference (they keep moving)
    // and histograms as copies, so a snapshot taken before the wait would mix two moments.
    const workers = await this.gather();
    const own = await this.registry.snapshot();
    // Series with equal labels from several threads are summed. prom-client's own per-metric aggregators
    // ('omit' for process_start_time_seconds, …) are meant for cluster copies of process metrics; here
    // only the main thread reports those, so summing keeps them intact.
    const all = [own, ...workers].map((snapshot) =>
      snapshot.map((m) => ({ ...m, aggregator: 'sum' as const })),
    );
    return AggregatorRegistry.aggregate(all);
  }

  /** The merged metrics in the Prometheus text exposition format. */
  async metrics(): Promise<string> {
    return (await this.collect()).metrics();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
  }
}

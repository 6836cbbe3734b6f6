// Exports shared-memory queue endpoint counters (records, bytes, waits, time blocked) as weft_queue_*
// Prometheus counters of a thread's registry, summed over the endpoints observed in that thread.
import type { MetricsRegistry } from './metrics.js';
import { ShmProducer, type ShmConsumer, type ShmEndpointStats } from './shm-queue.js';

interface SideState {
  live: Set<ShmProducer | ShmConsumer>;
  /** Final counts of endpoints no longer observed, so the counters never go down. */
  retired: ShmEndpointStats;
}

const states = new WeakMap<MetricsRegistry, { produced: SideState; consumed: SideState }>();

function emptyStats(): ShmEndpointStats {
  return { records: 0, payloadBytes: 0, waits: 0, waitMs: 0 };
}

function total(side: SideState): ShmEndpointStats {
  const t = { ...side.retired };
  for (const e of side.live) {
    const s = e.stats();
    t.records += s.records;
    t.payloadBytes += s.payloadBytes;
    t.waits += s.waits;
    t.waitMs += s.waitMs;
  }
  return t;
}

function register(
  metrics: MetricsRegistry,
  side: SideState,
  prefix: 'producer' | 'consumer',
): void {
  const verb = prefix === 'producer' ? 'produced' : 'consumed';
  const counters: [string, string, (s: ShmEndpointStats) => number][] = [
    [
      `weft_queue_${verb}_records_total`,
      `Records ${verb} through shared-memory queues.`,
      (s) => s.records,
    ],
    [
      `weft_queue_${verb}_bytes_total`,
      `Payload bytes ${verb} through shared-memory queues.`,
      (s) => s.payloadBytes,
    ],
    [
      `weft_queue_${prefix}_waits_total`,
      `Times a queue ${prefix} blocked (${prefix === 'producer' ? 'ring full' : 'ring empty'}).`,
      (s) => s.waits,
    ],
    [
      `weft_queue_${prefix}_wait_seconds_total`,
      `Time queue ${prefix}s spent blocked.`,
      (s) => s.waitMs / 1000,
    ],
  ];
  for (const [name, help, pick] of counters) {
    metrics.counter(name, help, {
      collect() {
        // Counters here mirror the endpoints' own tallies: set the value on each scrape.
        this.reset();
        this.inc(pick(total(side)));
      },
    });
  }
}

/**
 * Reports this endpoint's counters in `metrics` (usually threadMetrics()). Returns a function that
 * stops observing it; its counts up to then stay in the totals.
 */
export function observeShmQueue(
  metrics: MetricsRegistry,
  endpoint: ShmProducer | ShmConsumer,
): () => void {
  let state = states.get(metrics);
  if (state === undefined) {
    state = {
      produced: { live: new Set(), retired: emptyStats() },
      consumed: { live: new Set(), retired: emptyStats() },
    };
    states.set(metrics, state);
    register(metrics, state.produced, 'producer');
    register(metrics, state.consumed, 'consumer');
  }
  const side = endpoint instanceof ShmProducer ? state.produced : state.consumed;
  side.live.add(endpoint);
  return () => {
    if (!side.live.delete(endpoint)) return;
    const s = endpoint.stats();
    side.retired.records += s.records;
    side.retired.payloadBytes += s.payloadBytes;
    side.retired.waits += s.waits;
    side.retired.waitMs += s.waitMs;
  };
}

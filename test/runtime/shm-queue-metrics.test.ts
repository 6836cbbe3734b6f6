// Queue endpoint counters exported as weft_queue_* Prometheus counters, summed per thread and kept
// after an endpoint stops being observed.
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../runtime/metrics.js';
import { ShmQueue } from '../../runtime/shm-queue.js';
import { observeShmQueue } from '../../runtime/shm-queue-metrics.js';

function value(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} missing from:\n${text}`);
  return Number(m[1]);
}

describe('observeShmQueue', () => {
  it('exports records, bytes and waits of producers and the consumer', async () => {
    const metrics = new MetricsRegistry({ job: 'j', role: 'trainer', index: 0 });
    const q = ShmQueue.create({ capacityBytes: 256, producers: 'multi' });
    const p1 = q.producer();
    const p2 = q.producer();
    const c = q.consumer();
    const stop1 = observeShmQueue(metrics, p1);
    observeShmQueue(metrics, p2);
    observeShmQueue(metrics, c);
    p1.push(new Uint8Array(10));
    p2.push(new Uint8Array(30));
    expect(() => c.pop()).not.toThrow();
    let text = await metrics.text();
    expect(value(text, 'weft_queue_produced_records_total')).toBe(2);
    expect(value(text, 'weft_queue_produced_bytes_total')).toBe(40);
    expect(value(text, 'weft_queue_consumed_records_total')).toBe(1);
    expect(value(text, 'weft_queue_consumed_bytes_total')).toBe(10);
    expect(() => c.pop({ timeoutMs: 1 })).not.toThrow(); // the second record is there
    expect(() => c.pop({ timeoutMs: 1 })).toThrow(); // now empty: one wait, timed out
    stop1();
    p1.push(new Uint8Array(5)); // not observed any more
    text = await metrics.text();
    expect(value(text, 'weft_queue_produced_records_total')).toBe(2);
    expect(value(text, 'weft_queue_consumer_waits_total')).toBe(1);
    expect(value(text, 'weft_queue_consumer_wait_seconds_total')).toBeGreaterThan(0);
    expect(value(text, 'weft_queue_producer_waits_total')).toBe(0);
    expect(text).toMatch(
      /weft_queue_produced_records_total\{weft_job="j",role="trainer",index="0"\} 2/,
    );
  });
});

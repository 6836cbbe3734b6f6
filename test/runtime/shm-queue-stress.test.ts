// Stress tests of the shared-memory queue across real worker threads: millions of checksummed records
// of random sizes, nothing lost or duplicated, order kept per producer, backpressure and close mid-stream.
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../runtime/worker-spawn.js';
import { ShmQueue } from '../../runtime/shm-queue.js';
import type { ProducerJob } from './fixtures/shm-queue-producer.js';
import { StreamChecker } from './fixtures/shm-queue-records.js';

const producerUrl = new URL('./fixtures/shm-queue-producer.ts', import.meta.url);
const consumerUrl = new URL('./fixtures/shm-queue-consumer.ts', import.meta.url);

interface ProducerReport {
  producer: number;
  committed: number;
  payloadBytes: number;
  closed: boolean;
  stats: { waits: number };
}

interface ConsumerReport {
  records: number;
  payloadBytes: number;
  badSum: number;
  badLength: number;
  outOfOrder: number;
  unknownProducer: number;
  perProducer: number[];
}

function reply<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.once('message', (m: T) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited with code ${code} before replying`)));
  });
}

function startProducers(
  queue: ShmQueue,
  count: number,
  job: Omit<ProducerJob, 'handle' | 'producer' | 'seed'>,
  seed: number,
): Promise<ProducerReport>[] {
  const out: Promise<ProducerReport>[] = [];
  for (let p = 0; p < count; p++) {
    const w = spawnWorker(producerUrl, {
      workerData: { ...job, handle: queue.handle, producer: p, seed: seed * 131 + p + 1 },
    });
    out.push(reply<ProducerReport>(w));
  }
  return out;
}

function expectClean(c: ConsumerReport): void {
  expect(c.badSum).toBe(0);
  expect(c.badLength).toBe(0);
  expect(c.outOfOrder).toBe(0);
  expect(c.unknownProducer).toBe(0);
}

describe('shm queue across threads', () => {
  it('single producer -> blocking consumer: 2M small records plus large ones, all intact and in order', async () => {
    const queue = ShmQueue.create({
      capacityBytes: 1 << 20,
      producers: 'single',
      name: 'stress-spsc',
    });
    const consumer = spawnWorker(consumerUrl, {
      workerData: { handle: queue.handle, producers: 1, holdRecords: 3 },
    });
    const consumed = reply<ConsumerReport>(consumer);
    const records = 2_000_000;
    const [produced] = await Promise.all(
      startProducers(
        queue,
        1,
        { records, maxSmallBytes: 200, largeEvery: 5000, maxLargeBytes: 200_000, wait: 'sync' },
        1,
      ),
    );
    queue.close();
    const c = await consumed;
    expectClean(c);
    expect(produced.committed).toBe(records);
    expect(c.records).toBe(records);
    expect(c.perProducer).toEqual([records]);
    expect(c.payloadBytes).toBe(produced.payloadBytes);
  });

  it('3 producers -> async consumer on this thread: 1.2M records, per-producer order, none lost or duplicated', async () => {
    const producers = 3;
    const perProducer = 400_000;
    const queue = ShmQueue.create({
      capacityBytes: 1 << 19,
      producers: 'multi',
      name: 'stress-mpsc',
    });
    const consumer = queue.consumer();
    const u8 = new Uint8Array(queue.buffer);
    const i32 = new Int32Array(queue.buffer);
    const checker = new StreamChecker(producers);
    const reports = startProducers(
      queue,
      producers,
      {
        records: perProducer,
        maxSmallBytes: 160,
        largeEvery: 20_000,
        maxLargeBytes: 100_000,
        wait: 'async',
      },
      2,
    );
    const all = Promise.all(reports).then((r) => {
      queue.close();
      return r;
    });
    for await (const r of consumer) {
      checker.check(u8, i32, r.offset, r.byteLength);
      r.release();
    }
    const produced = await all;
    const c = checker.summary();
    expectClean(c);
    expect(c.records).toBe(producers * perProducer);
    expect(c.perProducer).toEqual(new Array(producers).fill(perProducer));
    expect(c.payloadBytes).toBe(produced.reduce((s, p) => s + p.payloadBytes, 0));
    expect(consumer.drained).toBe(true);
    expect(queue.usedBytes).toBe(0);
  });

  for (const mode of ['single', 'multi'] as const) {
    it(`backpressure (${mode}): 4 KiB ring, records up to its largest payload, wrap and skip`, async () => {
      const queue = ShmQueue.create({ capacityBytes: 4096, producers: mode, name: `tiny-${mode}` });
      const producers = mode === 'single' ? 1 : 2;
      const consumer = spawnWorker(consumerUrl, {
        workerData: { handle: queue.handle, producers, holdRecords: 0 },
      });
      const consumed = reply<ConsumerReport>(consumer);
      const records = 20_000;
      const produced = await Promise.all(
        startProducers(
          queue,
          producers,
          // Every 3rd record is drawn up to the ring's largest payload (capped by the producer).
          { records, maxSmallBytes: 1500, largeEvery: 3, maxLargeBytes: 4096, wait: 'sync' },
          3,
        ),
      );
      queue.close();
      const c = await consumed;
      expectClean(c);
      expect(c.records).toBe(records * producers);
      expect(c.perProducer).toEqual(new Array(producers).fill(records));
      expect(c.payloadBytes).toBe(produced.reduce((s, p) => s + p.payloadBytes, 0));
      // The ring was full often enough that producers had to block.
      expect(produced.reduce((s, p) => s + p.stats.waits, 0)).toBeGreaterThan(0);
    });
  }

  for (const mode of ['single', 'multi'] as const) {
    it(`close mid-stream (${mode}): blocked producers wake with QueueClosedError, committed records drain`, async () => {
      const queue = ShmQueue.create({
        capacityBytes: 64 * 1024,
        producers: mode,
        name: `close-${mode}`,
      });
      const producers = mode === 'single' ? 1 : 3;
      const reports = startProducers(
        queue,
        producers,
        {
          records: 0,
          untilClosed: true,
          maxSmallBytes: 3000,
          largeEvery: 0,
          maxLargeBytes: 0,
          wait: mode === 'single' ? 'sync' : 'async',
        },
        4,
      );
      // Read part of the stream, then stop reading so producers block on the full ring, then close.
      const consumer = queue.consumer();
      const u8 = new Uint8Array(queue.buffer);
      const i32 = new Int32Array(queue.buffer);
      const checker = new StreamChecker(producers);
      for (let k = 0; k < 2000; k++) {
        const r = await consumer.popAsync({ timeoutMs: 30_000 });
        expect(r).not.toBeNull();
        checker.check(u8, i32, r!.offset, r!.byteLength);
        r!.release();
      }
      // Wait until the ring is nearly full, i.e. every producer is blocked for space.
      while (queue.usedBytes < 64 * 1024 - 3100 - 32) await new Promise((r) => setTimeout(r, 5));
      queue.close();
      const produced = await Promise.all(reports);
      for (const p of produced) expect(p.closed).toBe(true);
      let r;
      while ((r = await consumer.popAsync({ timeoutMs: 30_000 })) !== null) {
        checker.check(u8, i32, r.offset, r.byteLength);
        r.release();
      }
      const c = checker.summary();
      expectClean(c);
      expect(c.perProducer).toEqual(produced.map((p) => p.committed));
      expect(c.records).toBe(produced.reduce((s, p) => s + p.committed, 0));
      expect(consumer.drained).toBe(true);
      expect(queue.usedBytes).toBe(0);
    });
  }
});

// Single-thread tests of the shared-memory queue against a simple FIFO model (many seeds, random sizes,
// random release order), plus its limits and errors: too large, closed, timeouts, roles, stale views.
import { describe, expect, it } from 'vitest';
import {
  SHM_QUEUE_HEADER_BYTES,
  ShmQueue,
  shmRecordBytes,
  type ShmRecord,
} from '../../runtime/shm-queue.js';
import {
  QueueClosedError,
  QueueRecordTooLargeError,
  QueueTimeoutError,
  QueueUsageError,
} from '../../runtime/shm-queue-errors.js';
import { XorShift32 } from './fixtures/shm-queue-records.js';

function payload(tag: number, n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (tag * 31 + i * 7) & 0xff;
  return a;
}

function matches(r: ShmRecord, expected: Uint8Array): boolean {
  if (r.byteLength !== expected.length) return false;
  const b = r.bytes;
  for (let i = 0; i < b.length; i++) if (b[i] !== expected[i]) return false;
  return true;
}

describe('ShmQueue in one thread', () => {
  for (const mode of ['single', 'multi'] as const) {
    it(`matches a FIFO model over random sizes, capacities and release orders (${mode}, 40 seeds)`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const rng = new XorShift32(seed * 7919);
        const capacityBytes = 64 + 8 * rng.below(200);
        const q = ShmQueue.create({ capacityBytes, producers: mode });
        const p = q.producer();
        const c = q.consumer();
        const model: { tag: number; data: Uint8Array }[] = [];
        const held: ShmRecord[] = [];
        let nextTag = 0;
        for (let step = 0; step < 3000; step++) {
          const op = rng.below(10);
          if (op < 5) {
            const n = rng.below(q.maxPayloadBytes + 1);
            const data = payload(nextTag, n);
            if (p.tryPush(data, nextTag)) model.push({ tag: nextTag++, data });
          } else if (op < 8) {
            const r = c.tryPop();
            if (r === null) {
              // Empty now: only possible if everything pushed has been popped.
              expect(model.length).toBe(0);
              continue;
            }
            const m = model.shift()!;
            expect(r.tag).toBe(m.tag);
            expect(matches(r, m.data)).toBe(true);
            expect(r.offset % 8).toBe(0);
            held.push(r);
          } else if (held.length > 0) {
            const k = rng.below(held.length);
            held[k].release();
            held.splice(k, 1);
          }
        }
        for (const r of held) r.release();
        q.close();
        for (let r = c.pop(); r !== null; r = c.pop()) {
          const m = model.shift()!;
          expect(r.tag).toBe(m.tag);
          expect(matches(r, m.data)).toBe(true);
          r.release();
        }
        expect(model.length).toBe(0);
        expect(c.drained).toBe(true);
        expect(q.usedBytes).toBe(0);
        expect(p.stats().records).toBe(nextTag);
        expect(c.stats().records).toBe(nextTag);
      }
    });
  }

  it('holds a record of the largest payload whatever the ring offset, after the consumer catches up', () => {
    for (let shift = 0; shift < 30; shift++) {
      const q = ShmQueue.create({ capacityBytes: 256 });
      const p = q.producer();
      const c = q.consumer();
      // Move the ring offset by `shift` records of 0 bytes (8 bytes each).
      for (let k = 0; k < shift; k++) {
        p.push(new Uint8Array(0));
        c.pop()!.release();
      }
      const big = payload(shift, q.maxPayloadBytes);
      let pushed = p.tryPush(big, 1);
      if (!pushed) {
        // A skip was written at the end of the ring; once the consumer passes it the record fits.
        expect(c.tryPop()).toBeNull();
        pushed = p.tryPush(big, 1);
      }
      expect(pushed).toBe(true);
      const r = c.pop()!;
      expect(r.tag).toBe(1);
      expect(matches(r, big)).toBe(true);
      r.release();
    }
  });

  it('rejects a record larger than the ring can ever hold with a clear error', () => {
    const q = ShmQueue.create({ capacityBytes: 1024, name: 'small' });
    const p = q.producer();
    expect(q.maxPayloadBytes).toBe(1024 - 16);
    expect(() => p.reserve(1024 - 15)).toThrow(QueueRecordTooLargeError);
    expect(() => p.push(new Uint8Array(5000))).toThrow(/'small'.*5000 bytes exceeds.*1008/);
    expect(() => p.tryPush(new Uint8Array(5000))).toThrow(QueueRecordTooLargeError);
    // Nothing was claimed by the failed attempts.
    expect(q.usedBytes).toBe(0);
  });

  it('reports full rings: tryPush false, reserve times out, then space returns on release', () => {
    const q = ShmQueue.create({ capacityBytes: 128 });
    const p = q.producer();
    const c = q.consumer();
    expect(p.tryPush(new Uint8Array(100))).toBe(true);
    expect(p.tryPush(new Uint8Array(8))).toBe(false);
    expect(() => p.reserve(8, { timeoutMs: 5 })).toThrow(QueueTimeoutError);
    const r = c.pop()!;
    expect(p.tryPush(new Uint8Array(8))).toBe(false); // not released yet
    r.release();
    expect(p.tryPush(new Uint8Array(8))).toBe(true);
    expect(p.stats().waits).toBe(1);
  });

  it('pop times out on an empty open queue and returns null once closed and drained', async () => {
    const q = ShmQueue.create({ capacityBytes: 256 });
    const p = q.producer();
    const c = q.consumer();
    expect(() => c.pop({ timeoutMs: 5 })).toThrow(QueueTimeoutError);
    await expect(c.popAsync({ timeoutMs: 5 })).rejects.toThrow(QueueTimeoutError);
    p.push([new Uint8Array([1, 2]), new Uint8Array([3])], { tag: 9 });
    q.close();
    expect(q.closed).toBe(true);
    expect(() => p.push(new Uint8Array(1))).toThrow(QueueClosedError);
    const r = c.pop()!;
    expect([...r.bytes]).toEqual([1, 2, 3]);
    expect(r.tag).toBe(9);
    r.release();
    expect(c.pop()).toBeNull();
    expect(await c.popAsync()).toBeNull();
    expect(c.drained).toBe(true);
  });

  it('lets a reservation made before close commit, and the consumer waits for it', () => {
    const q = ShmQueue.create({ capacityBytes: 256, producers: 'multi' });
    const p = q.producer();
    const c = q.consumer();
    const res = p.reserve(16, { tag: 5 });
    q.close();
    expect(c.tryPop()).toBeNull();
    expect(c.drained).toBe(false);
    res.view(Float64Array)[0] = 2.5;
    res.view(Float64Array)[1] = -1;
    res.commit();
    const r = c.pop()!;
    expect([...r.view(Float64Array)]).toEqual([2.5, -1]);
    r.release();
    expect(c.pop()).toBeNull();
  });

  it('skips aborted reservations', () => {
    const q = ShmQueue.create({ capacityBytes: 256, producers: 'multi' });
    const p = q.producer();
    const c = q.consumer();
    const a = p.reserve(24);
    const b = p.reserve(8, { tag: 2 });
    b.view(Uint8Array).fill(7);
    b.commit();
    expect(c.tryPop()).toBeNull(); // blocked behind the open reservation a
    a.abort();
    const r = c.pop()!;
    expect(r.tag).toBe(2);
    expect([...r.bytes]).toEqual(new Array(8).fill(7));
    r.release();
    expect(q.usedBytes).toBe(0);
  });

  it('gives typed views at 8-aligned offsets in place, and refuses stale or misaligned ones', () => {
    const q = ShmQueue.create({ capacityBytes: 1024 });
    const p = q.producer();
    const c = q.consumer();
    const res = p.reserve(40);
    res.view(Int32Array, 0, 2).set([7, -8]);
    res.view(Float32Array, 8, 2).set([1.5, 2.5]);
    res.view(BigInt64Array, 16, 1)[0] = -5n;
    res.view(Float64Array, 24, 2).set([Math.PI, Math.E]);
    res.commit();
    expect(() => res.bytes).toThrow(QueueUsageError);
    const r = c.pop()!;
    expect(r.buffer).toBe(q.buffer);
    expect(r.offset).toBeGreaterThanOrEqual(SHM_QUEUE_HEADER_BYTES);
    expect([...r.view(Int32Array, 0, 2)]).toEqual([7, -8]);
    expect([...r.view(Float32Array, 8, 2)]).toEqual([1.5, 2.5]);
    expect(r.view(BigInt64Array, 16, 1)[0]).toBe(-5n);
    expect([...r.view(Float64Array, 24)]).toEqual([Math.PI, Math.E]);
    expect(r.view(Float64Array, 24).buffer).toBe(q.buffer); // a view, not a copy
    expect(() => r.view(Float64Array, 4, 1)).toThrow(/aligned/);
    expect(() => r.view(Int32Array, 0, 11)).toThrow(QueueUsageError);
    r.release();
    expect(() => r.bytes).toThrow(/released/);
  });

  it('enforces one consumer and, in single mode, one producer', () => {
    const q = ShmQueue.create({ capacityBytes: 256, producers: 'single' });
    const c = q.consumer();
    expect(() => ShmQueue.attach(q.handle).consumer()).toThrow(/already has a consumer/);
    c.dispose();
    q.consumer().dispose();
    const p = q.producer();
    expect(() => q.producer()).toThrow(/already has a producer/);
    p.dispose();
    q.producer();
    const m = ShmQueue.create({ capacityBytes: 256, producers: 'multi' });
    m.producer();
    m.producer();
  });

  it('hands over the consumer: records popped but not released by a disposed consumer are gone', () => {
    const q = ShmQueue.create({ capacityBytes: 256 });
    const p = q.producer();
    p.push(new Uint8Array([1]));
    p.push(new Uint8Array([2]));
    const c1 = q.consumer();
    expect(c1.pop()!.bytes[0]).toBe(1);
    c1.dispose();
    const c2 = ShmQueue.attach(q.handle).consumer();
    expect(c2.pop()!.bytes[0]).toBe(2);
  });

  it('validates options and handles', () => {
    expect(() => ShmQueue.create({ capacityBytes: 0 })).toThrow(QueueUsageError);
    expect(() => ShmQueue.create({ capacityBytes: 2 ** 30 })).toThrow(/exceeds/);
    expect(ShmQueue.create({ capacityBytes: 1 }).capacityBytes).toBe(64);
    expect(ShmQueue.create({ capacityBytes: 100 }).capacityBytes).toBe(104);
    expect(() =>
      ShmQueue.attach({ kind: 'weft-shm-queue', sab: new SharedArrayBuffer(512), name: 'x' }),
    ).toThrow(/not a shared-memory queue/);
    const h = structuredClone(ShmQueue.create({ capacityBytes: 256, name: 'cloned' }).handle);
    expect(ShmQueue.attach(h).name).toBe('cloned');
    expect(shmRecordBytes(0)).toBe(8);
    expect(shmRecordBytes(9)).toBe(24);
  });

  it('wakes a blocked async consumer on close and ends its iteration', async () => {
    const q = ShmQueue.create({ capacityBytes: 256 });
    const c = q.consumer();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const r of c) {
        seen.push(r.bytes[0]);
        r.release();
      }
    })();
    const p = q.producer();
    await p.pushAsync(new Uint8Array([4]));
    await new Promise((r) => setTimeout(r, 1));
    await p.pushAsync(new Uint8Array([5]));
    q.close();
    await loop;
    expect(seen).toEqual([4, 5]);
  });
});

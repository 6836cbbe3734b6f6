// Batch records: random sets of named typed arrays round-trip through the queue and decode in place as
// 8-aligned views of the ring (no copies); malformed headers fail with BatchFormatError.
import { describe, expect, it } from 'vitest';
import { ShmQueue } from '../../runtime/shm-queue.js';
import { BatchFormatError } from '../../runtime/shm-queue-errors.js';
import {
  BATCH_RECORD_TAG,
  batchByteLength,
  decodeBatch,
  encodeBatch,
  pushBatch,
  pushBatchAsync,
  readBatch,
  reserveBatch,
  type BatchArray,
  type BatchArrays,
  type BatchDType,
} from '../../runtime/shm-queue-batch.js';
import { XorShift32 } from './fixtures/shm-queue-records.js';

const DTYPES: BatchDType[] = [
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
  'bigint64',
  'biguint64',
];

function randomArray(rng: XorShift32, dtype: BatchDType, n: number): BatchArray {
  switch (dtype) {
    case 'int8':
      return Int8Array.from({ length: n }, () => rng.next() | 0);
    case 'uint8':
      return Uint8Array.from({ length: n }, () => rng.next());
    case 'int16':
      return Int16Array.from({ length: n }, () => rng.next() | 0);
    case 'uint16':
      return Uint16Array.from({ length: n }, () => rng.next());
    case 'int32':
      return Int32Array.from({ length: n }, () => rng.next() | 0);
    case 'uint32':
      return Uint32Array.from({ length: n }, () => rng.next());
    case 'float32':
      return Float32Array.from({ length: n }, () => (rng.next() / 2 ** 32) * 100 - 50);
    case 'float64':
      return Float64Array.from({ length: n }, () => (rng.next() / 2 ** 32) * 1e9 - 5e8);
    case 'bigint64':
      return BigInt64Array.from({ length: n }, () => BigInt(rng.next() | 0) * 4294967311n);
    case 'biguint64':
      return BigUint64Array.from({ length: n }, () => BigInt(rng.next()) * 4294967311n);
  }
}

function randomBatch(rng: XorShift32): BatchArrays {
  const out: BatchArrays = {};
  const fields = rng.below(7);
  for (let k = 0; k < fields; k++) {
    const dtype = DTYPES[rng.below(DTYPES.length)];
    const name = rng.below(4) === 0 ? `größe_${k}` : `f${k}_${dtype}`;
    out[name] = randomArray(rng, dtype, rng.below(40));
  }
  return out;
}

function expectSame(got: BatchArrays, want: BatchArrays): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const name of Object.keys(want)) {
    expect(got[name].constructor).toBe(want[name].constructor);
    expect(Array.from(got[name] as ArrayLike<number | bigint>)).toEqual(
      Array.from(want[name] as ArrayLike<number | bigint>),
    );
  }
}

describe('batch records', () => {
  it('round-trip random batches through a queue as zero-copy, 8-aligned views (200 seeds)', () => {
    const q = ShmQueue.create({ capacityBytes: 16 * 1024 });
    const p = q.producer();
    const c = q.consumer();
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new XorShift32(seed);
      const batch = randomBatch(rng);
      pushBatch(p, batch);
      const r = c.pop()!;
      expect(r.tag).toBe(BATCH_RECORD_TAG);
      expect(r.byteLength).toBe(batchByteLength(batch));
      const got = readBatch(r);
      expectSame(got, batch);
      for (const v of Object.values(got)) {
        expect(v.buffer).toBe(q.buffer);
        expect(v.byteOffset % 8).toBe(0);
      }
      r.release();
    }
  });

  it('writes a batch in place with reserveBatch (no staging copy) and reads it back', async () => {
    const q = ShmQueue.create({ capacityBytes: 4096 });
    const p = q.producer();
    const c = q.consumer();
    const b = reserveBatch<{ ids: Int32Array; x: Float32Array; ts: BigInt64Array }>(p, {
      ids: { dtype: 'int32', length: 5 },
      x: { dtype: 'float32', length: 3 },
      ts: { dtype: 'bigint64', length: 2 },
    });
    expect(b.arrays.ids.buffer).toBe(q.buffer);
    b.arrays.ids.set([1, 2, 3, 4, 5]);
    b.arrays.x.set([0.5, 1.5, -2]);
    b.arrays.ts.set([10n, -20n]);
    b.commit();
    await pushBatchAsync(p, { only: new Float64Array([9]) });
    const r = c.pop()!;
    const got = readBatch<{ ids: Int32Array; x: Float32Array; ts: BigInt64Array }>(r);
    expect([...got.ids]).toEqual([1, 2, 3, 4, 5]);
    expect([...got.x]).toEqual([0.5, 1.5, -2]);
    expect([...got.ts]).toEqual([10n, -20n]);
    r.release();
    const r2 = c.pop()!;
    expect([...(readBatch(r2).only as Float64Array)]).toEqual([9]);
  });

  it('encodes into plain buffers and rejects misaligned or short targets', () => {
    const batch = { a: new Uint8Array([1, 2, 3]), b: new Float64Array([4]) };
    const n = batchByteLength(batch);
    const target = new Uint8Array(n);
    expect(encodeBatch(target, batch)).toBe(n);
    expectSame(decodeBatch(target), batch);
    expect(() => encodeBatch(new Uint8Array(new ArrayBuffer(n + 8), 4, n), batch)).toThrow(
      /aligned/,
    );
    expect(() => encodeBatch(new Uint8Array(n - 1), batch)).toThrow(/smaller/);
    expect(() =>
      encodeBatch(new Uint8Array(64), { bad: new Uint8ClampedArray(2) as never }),
    ).toThrow(BatchFormatError);
  });

  it('rejects corrupted headers instead of reading outside the record', () => {
    const batch = { ids: new Int32Array([1, 2, 3]) };
    const good = new Uint8Array(batchByteLength(batch));
    encodeBatch(good, batch);
    const badMagic = good.slice();
    badMagic[0] ^= 0xff;
    expect(() => decodeBatch(badMagic)).toThrow(/magic/);
    const badOffset = good.slice();
    new DataView(badOffset.buffer).setUint32(8, 4096, true);
    expect(() => decodeBatch(badOffset)).toThrow(/\[ids\].*outside/);
    const badLength = good.slice();
    new DataView(badLength.buffer).setUint32(12, 1000, true);
    expect(() => decodeBatch(badLength)).toThrow(BatchFormatError);
    const badCount = good.slice();
    new DataView(badCount.buffer).setUint32(4, 1000, true);
    expect(() => decodeBatch(badCount)).toThrow(/overruns/);
    const badDtype = good.slice();
    new DataView(badDtype.buffer).setUint16(16, 99, true);
    expect(() => decodeBatch(badDtype)).toThrow(/dtype/);
    expect(() => decodeBatch(new Uint8Array(4))).toThrow(/no batch/);
  });
});

// The wire codec: random nested values with every typed-array kind round-trip with type and bits intact,
// typed arrays cost their raw bytes plus a constant, and decoding gives views when aligned, copies otherwise.
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decode,
  encode,
  isTypedArray,
  isViewInto,
  TYPED_ARRAY_EXTENSION,
  type TypedArray,
} from '../../runtime/codec.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const KINDS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

/** A typed array with random bytes, often a view at an odd element offset inside a larger buffer. */
function randomTypedArray(next: () => number): TypedArray {
  const cls = KINDS[Math.floor(next() * KINDS.length)];
  const length = Math.floor(next() * next() * 400);
  const lead = Math.floor(next() * 3);
  const bytes = new Uint8Array((length + lead + 1) * cls.BYTES_PER_ELEMENT);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
  return new cls(bytes.buffer, lead * cls.BYTES_PER_ELEMENT, length) as TypedArray;
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return Math.floor(next() * 2 ** 31) - 2 ** 30;
    case 1:
      return next() * 1e9 - 5e8;
    case 2:
      return 'text-' + Math.floor(next() * 1e6).toString(36);
    case 3:
      return next() < 0.5;
    case 4:
      return null;
    case 5:
      return randomTypedArray(next);
    case 6:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
    case 7: {
      const out: Record<string, unknown> = {};
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++) out[`k${i}`] = randomValue(next, depth + 1);
      return out;
    }
    default:
      return BigInt(Math.floor(next() * 2 ** 40)) * 1_000_000n;
  }
}

/** Same shape, same typed-array classes, same bytes. */
function sameValue(a: unknown, b: unknown, path = 'value'): void {
  if (isTypedArray(a)) {
    expect(isTypedArray(b), path).toBe(true);
    const tb = b as TypedArray;
    expect(tb.constructor, path).toBe(a.constructor);
    expect(tb.length, path).toBe(a.length);
    const ba = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const bb = Buffer.from(tb.buffer, tb.byteOffset, tb.byteLength);
    expect(Buffer.compare(ba, bb), path).toBe(0);
    return;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b), path).toBe(true);
    expect((b as unknown[]).length, path).toBe(a.length);
    a.forEach((v, i) => sameValue(v, (b as unknown[])[i], `${path}[${i}]`));
    return;
  }
  if (a !== null && typeof a === 'object') {
    expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a).sort());
    for (const [k, v] of Object.entries(a))
      sameValue(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(b, path).toStrictEqual(a);
}

function typedArraysIn(value: unknown, out: TypedArray[] = []): TypedArray[] {
  if (isTypedArray(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => typedArraysIn(v, out));
  else if (value !== null && typeof value === 'object')
    Object.values(value).forEach((v) => typedArraysIn(v, out));
  return out;
}

/** `bytes` copied so that it starts `offset` bytes into a fresh buffer. */
function placedAt(bytes: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(bytes.length + offset + 8);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.length);
}

describe('codec', () => {
  it('round-trips random nested values with typed arrays of every kind (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = rng(seed);
      const value = { root: randomValue(next, 0), extra: randomTypedArray(next) };
      const bytes = encode(value);
      sameValue(value, decode(placedAt(bytes, 0)), `seed ${seed}`);
    }
  });

  it('decodes aligned typed arrays as views into the received bytes', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = rng(seed * 7);
      const value = [
        randomTypedArray(next),
        { a: randomTypedArray(next), s: 'x'.repeat(seed % 13) },
        randomTypedArray(next),
      ];
      const received = placedAt(encode(value), 8 * (seed % 4));
      const arrays = typedArraysIn(decode(received));
      expect(arrays).toHaveLength(3);
      for (const array of arrays) expect(isViewInto(array, received)).toBe(true);
    }
  });

  it('copies (with correct values) when the bytes arrive at an offset misaligned for the element type', () => {
    for (const offset of [1, 2, 3, 4, 5, 6, 7]) {
      const f64 = Float64Array.from({ length: 33 }, (_, i) => i * 1.25 - 7);
      const i16 = Int16Array.from({ length: 9 }, (_, i) => i - 4);
      const u8 = Uint8Array.from({ length: 5 }, (_, i) => i * 50);
      const received = placedAt(encode({ f64, i16, u8 }), offset);
      const back = decode<{ f64: Float64Array; i16: Int16Array; u8: Uint8Array }>(received);
      sameValue({ f64, i16, u8 }, back);
      expect(isViewInto(back.u8, received)).toBe(true); // bytes are always aligned
      expect(isViewInto(back.f64, received)).toBe(offset % 8 === 0);
      expect(isViewInto(back.i16, received)).toBe(offset % 2 === 0);
    }
  });

  it('costs the raw element bytes plus a constant, not per-element encoding', () => {
    for (const length of [0, 1, 1000, 250_000]) {
      const f64 = new Float64Array(length).map((_, i) => Math.sin(i));
      const bytes = encode(f64);
      expect(bytes.length).toBeGreaterThanOrEqual(8 * length);
      expect(bytes.length).toBeLessThanOrEqual(8 * length + 16);
      expect(bytes[0]).toBe(0xc9);
      expect(bytes[5]).toBe(TYPED_ARRAY_EXTENSION);
    }
  });

  it('keeps NaN payloads, -0, infinities and 64-bit integer extremes bit for bit', () => {
    const f64 = new Float64Array([
      NaN,
      -0,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
    ]);
    const f32 = new Float32Array([NaN, -0, 3.4e38, -1.5e-45]);
    const i64 = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]);
    const u64 = new BigUint64Array([0n, 2n ** 64n - 1n]);
    sameValue({ f64, f32, i64, u64 }, decode(encode({ f64, f32, i64, u64 })));
  });

  it('round-trips the plain msgpack values around typed arrays', () => {
    const value = {
      big: 2n ** 62n,
      small: 2 ** 40,
      neg: -12345,
      text: 'grüße ✓',
      list: [1, 'two', null, true],
      nested: { deep: { deeper: [new Uint8Array([1, 2, 3])] } },
      map: new Map([['a', 1]]),
      missing: undefined,
    };
    const back = decode<typeof value>(encode(value));
    expect(back.big).toBe(2n ** 62n);
    expect(back.small).toBe(2 ** 40);
    expect(back.text).toBe('grüße ✓');
    expect(back.list).toEqual([1, 'two', null, true]);
    expect(Array.from(back.nested.deep.deeper[0])).toEqual([1, 2, 3]);
    // msgpack has one map type: a Map with string keys arrives as a plain object.
    expect(back.map).toEqual({ a: 1 });
    expect('missing' in back && back.missing).toBe(undefined);
  });

  it('rejects malformed typed-array extensions with CodecError', () => {
    const bytes = Uint8Array.from(encode(new Float32Array([1, 2, 3])));
    bytes[6] = 200; // unknown kind code
    expect(() => decode(bytes)).toThrow(CodecError);
    const odd = Uint8Array.from(encode(new Float32Array([1, 2, 3])));
    // Shrink the extension length by one byte: 11 element bytes is not a whole number of floats.
    odd[4] -= 1;
    expect(() => decode(odd.subarray(0, odd.length - 1))).toThrow(CodecError);
    expect(() => decode(Uint8Array.from([0xc9, 0, 0, 0, 20, TYPED_ARRAY_EXTENSION, 7]))).toThrow(
      CodecError,
    );
  });

  it('decodes an empty buffer as undefined', () => {
    expect(decode(new Uint8Array(0))).toBeUndefined();
  });
});

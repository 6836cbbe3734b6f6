// float16 conversion (every half pattern round-trips, rounding to nearest) and feature gather: float16
// and int8 stores decode close to the float32 values; ids outside the graph are rejected.
import { describe, expect, it } from 'vitest';
import { float16Table, toFloat16Bits } from '../../graph-store/float16.js';
import { gatherFloat16, gatherFloat32, gatherInt8 } from '../../graph-store/feature-gather.js';
import { Xoshiro128Float } from '../../runtime/prng.js';

describe('float16', () => {
  it('round-trips every finite half value exactly', () => {
    const t = float16Table();
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(t[h])) continue;
      expect(toFloat16Bits(t[h])).toBe(h);
    }
    expect(t[0x3c00]).toBe(1);
    expect(t[0x7bff]).toBe(65504);
    expect(t[0xc000]).toBe(-2);
  });

  it('rounds to the nearest half', () => {
    const t = float16Table();
    const rng = new Xoshiro128Float(3);
    for (let i = 0; i < 5000; i++) {
      const x = (rng.next() - 0.5) * 2 ** (rng.below(30) - 15);
      const h = toFloat16Bits(x);
      const err = Math.abs(t[h] - x);
      // No neighbour of h is closer.
      for (const d of [-1, 1]) {
        const n = (h + d) & 0xffff;
        if ((n & 0x7c00) === 0x7c00 || (n ^ h) & 0x8000) continue;
        expect(err).toBeLessThanOrEqual(Math.abs(t[n] - x) + 1e-30);
      }
    }
  });
});

describe('gather', () => {
  const rows = 50;
  const dim = 64;
  const rng = new Xoshiro128Float(9);
  const f32 = new Float32Array(rows * dim).map(() => rng.normal() * 3);
  const f16 = Uint16Array.from(f32, (x) => toFloat16Bits(x));
  const i8 = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let k = 0; k < dim; k++) m = Math.max(m, Math.abs(f32[r * dim + k]));
    scales[r] = m / 127;
    for (let k = 0; k < dim; k++) i8[r * dim + k] = Math.round(f32[r * dim + k] / scales[r]);
  }
  const ids = [7, 0, 49, 7, 13];

  it('float32 copies the rows at the offset', () => {
    const out = new Float32Array(3 + ids.length * dim).fill(-99);
    gatherFloat32(f32, dim, ids, ids.length, out, 3);
    expect(out[0]).toBe(-99);
    ids.forEach((id, i) =>
      expect(Array.from(out.subarray(3 + i * dim, 3 + (i + 1) * dim))).toEqual(
        Array.from(f32.subarray(id * dim, (id + 1) * dim)),
      ),
    );
  });

  it('float16 and int8 are close to float32', () => {
    const a = new Float32Array(ids.length * dim);
    const b = new Float32Array(ids.length * dim);
    const c = new Float32Array(ids.length * dim);
    gatherFloat32(f32, dim, ids, ids.length, a, 0);
    gatherFloat16(f16, dim, ids, ids.length, b, 0);
    gatherInt8({ values: i8, scales }, dim, ids, ids.length, c, 0);
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) * 2 ** -11 + 1e-7);
      const s = scales[ids[Math.floor(i / dim)]];
      expect(Math.abs(c[i] - a[i])).toBeLessThanOrEqual(s / 2 + 1e-6);
    }
  });

  it('rejects ids outside the store and short buffers', () => {
    const out = new Float32Array(dim);
    expect(() => gatherFloat32(f32, dim, [rows], 1, out, 0)).toThrow(RangeError);
    expect(() => gatherFloat16(f16, dim, [-1], 1, out, 0)).toThrow(RangeError);
    expect(() => gatherInt8({ values: i8, scales }, dim, [0, 1], 2, out, 0)).toThrow(RangeError);
  });

  it('writes nothing when a later id is bad', () => {
    const out = new Float32Array(3 * dim).fill(7);
    expect(() => gatherFloat32(f32, dim, [0, 1, rows], 3, out, 0)).toThrow(/node id 50/);
    expect(() => gatherFloat16(f16, dim, [2, -1, 0], 3, out, 0)).toThrow(/node id -1/);
    expect(() => gatherInt8({ values: i8, scales }, dim, [3, 4, 99], 3, out, 0)).toThrow(/99/);
    expect(out.every((v) => v === 7)).toBe(true);
  });
});

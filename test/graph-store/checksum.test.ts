// XXH32 against published test vectors, and incremental hashing equal to one-shot hashing for any split.
import { describe, expect, it } from 'vitest';
import { Xxh32, checksumArray, checksumBytes } from '../../graph-store/checksum.js';
import { Xoshiro128Float } from '../../runtime/prng.js';

const enc = new TextEncoder();

describe('XXH32', () => {
  it('matches the reference digests', () => {
    expect(checksumBytes(enc.encode(''))).toBe('xxh32:02cc5d05');
    expect(checksumBytes(enc.encode('a'))).toBe('xxh32:550d7456');
    expect(checksumBytes(enc.encode('abc'))).toBe('xxh32:32d153ff');
    expect(checksumBytes(enc.encode('Nobody inspects the spammish repetition'))).toBe(
      'xxh32:e2293b2f',
    );
  });

  it('gives the same digest however the bytes are split', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Xoshiro128Float(seed);
      const n = rng.below(300);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.below(256);
      const whole = new Xxh32().update(data).digest();
      const h = new Xxh32();
      let pos = 0;
      while (pos < n) {
        const take = 1 + rng.below(40);
        h.update(data.subarray(pos, Math.min(n, pos + take)));
        pos += take;
      }
      expect(h.digest()).toBe(whole);
      // Unaligned views hash like aligned copies.
      if (n > 3)
        expect(new Xxh32().update(data.subarray(1)).digest()).toBe(
          new Xxh32().update(data.slice(1)).digest(),
        );
    }
  });

  it('detects a single flipped bit', () => {
    const a = new Uint32Array(1000).map((_, i) => i * 2654435761);
    const before = checksumArray(a);
    a[500] ^= 1 << 7;
    expect(checksumArray(a)).not.toBe(before);
  });
});

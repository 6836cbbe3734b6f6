// Byte-level number parsing against Number() on random decimal text, and node id parsing edge cases.
import { describe, expect, it } from 'vitest';
import { Xoshiro128Float } from '../../runtime/prng.js';
import { parseIdBytes, parseNumberBytes } from '../../graph-store/text-blocks.js';

const enc = new TextEncoder();
const num = (s: string): number => {
  const b = enc.encode(`#${s}#`);
  return parseNumberBytes(b, 1, b.length - 1);
};
const id = (s: string): number => {
  const b = enc.encode(s);
  return parseIdBytes(b, 0, b.length);
};

describe('parseNumberBytes', () => {
  it('equals Number() on random decimals', () => {
    const rng = new Xoshiro128Float(21);
    for (let i = 0; i < 20_000; i++) {
      const intPart = String(rng.below(10 ** (1 + rng.below(9))));
      const frac =
        rng.next() < 0.7
          ? '.' + String(rng.below(10 ** (1 + rng.below(9)))).padStart(1 + rng.below(3), '0')
          : '';
      const exp = rng.next() < 0.1 ? `e${rng.below(40) - 20}` : '';
      const sign = rng.next() < 0.3 ? '-' : '';
      const s = `${sign}${intPart}${frac}${exp}`;
      expect(num(s), s).toBe(Number(s));
    }
  });

  it('accepts blanks and rejects non-numbers', () => {
    expect(num(' 12.5\r')).toBe(12.5);
    expect(num('1e3')).toBe(1000);
    expect(num('.5')).toBe(0.5);
    for (const bad of ['', ' ', 'abc', '1.2.3', '0x10', 'Infinity', '1e', '--1', '1 2'])
      expect(num(bad), bad).toBeNaN();
  });
});

describe('parseIdBytes', () => {
  it('parses ids and classifies errors', () => {
    expect(id('0')).toBe(0);
    expect(id(' 4294967294 ')).toBe(4294967294);
    expect(id('4294967295')).toBe(-3);
    expect(id('-3')).toBe(-2);
    expect(id('1.5')).toBe(-1);
    expect(id('x')).toBe(-1);
    expect(id('')).toBe(-1);
  });
});

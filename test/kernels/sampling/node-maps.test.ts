// The samplers' id tables against Map/Set references: the direct global->local map across batches and
// its refill, the keyed (id, group) map through growth, the per-batch pair set.
import { describe, expect, it } from 'vitest';
import { KeyedNodeMap } from '../../../kernels/sampling/keyed-node-map.js';
import { DirectNodeMap } from '../../../kernels/sampling/node-map.js';
import { PairSet } from '../../../kernels/sampling/pair-set.js';
import { TestRng } from './random-graph.js';

describe('DirectNodeMap', () => {
  it('forgets every entry at the next batch without clearing, including across the refill', () => {
    const m = new DirectNodeMap(10);
    const put = (u: number, l: number): void => void (m.slot[u] = m.base + l);
    const get = (u: number): number => m.slot[u] - m.base;
    m.begin(0);
    put(3, 0);
    put(7, 1);
    expect(get(3)).toBe(0);
    expect(get(4)).toBeLessThan(0);
    m.begin(2);
    expect(get(3)).toBeLessThan(0);
    expect(get(7)).toBeLessThan(0);
    put(7, 0);
    // Force the wrap-around refill.
    m.begin(0x3fffffff);
    expect(m.base).toBe(0);
    expect(get(7)).toBeLessThan(0);
  });
});

describe('KeyedNodeMap', () => {
  it('matches a Map over (id, group) keys through growth and many batches', () => {
    const rng = new TestRng(81);
    const m = new KeyedNodeMap(16);
    for (let batch = 0; batch < 30; batch++) {
      m.begin();
      const ref = new Map<string, number>();
      const ids = new Int32Array(5000);
      const groups = new Int32Array(5000);
      let n = 0;
      const steps = 1 + rng.int(3000);
      for (let s = 0; s < steps; s++) {
        const id = rng.int(300);
        const g = rng.int(4);
        m.reserve(n + 1, ids, groups);
        const l = m.findOrInsert(id, g, n);
        const want = ref.get(`${id}/${g}`);
        if (want === undefined) {
          expect(l).toBe(n);
          ref.set(`${id}/${g}`, n);
          ids[n] = id;
          groups[n] = g;
          n++;
        } else {
          expect(l).toBe(want);
        }
      }
    }
  });
});

describe('PairSet', () => {
  it('matches a Set of ordered pairs and empties between batches', () => {
    const rng = new TestRng(82);
    const s = new PairSet(4);
    for (let batch = 0; batch < 20; batch++) {
      const size = 1 + rng.int(500);
      s.reset(size);
      const ref = new Set<string>();
      for (let i = 0; i < size; i++) {
        const a = rng.int(50);
        const b = rng.int(50);
        s.add(a, b);
        ref.add(`${a},${b}`);
      }
      for (let a = 0; a < 50; a++) {
        for (let b = 0; b < 50; b++) {
          if (s.has(a, b) !== ref.has(`${a},${b}`)) throw new Error(`pair ${a},${b}`);
        }
      }
    }
  });
});

// Properties of the sparse ID-embedding table: deterministic lazy rows, row updates equal to dense
// Adagrad / Adam on the touched rows only, duplicates summed, snapshots round-trip; and id sharding.
import { describe, expect, it } from 'vitest';
import { Adagrad } from '../../../kernels/optim/adagrad.js';
import { Adam } from '../../../kernels/optim/adam.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import {
  gatherByOwner,
  ownerOf,
  splitIdsByOwner,
} from '../../../actors/parameter-server/id-shard.js';
import {
  filterSnapshot,
  mergeSnapshots,
  snapshotFromTensors,
  snapshotTensors,
  SparseTable,
  type SparseOptimizerKind,
} from '../../../actors/parameter-server/sparse-table.js';
import { SparseGradSum } from '../../../actors/parameter-server/sparse-grad-sum.js';
import { pullUnique, uniqueIds } from '../../../actors/parameter-server/unique-ids.js';

const table = (optimizer: SparseOptimizerKind, dim = 4, seed = 7) =>
  new SparseTable({ dim, optimizer, lr: 0.1, seed, initScale: 0.05 });

function randomIds(rng: Mulberry32, n: number, range: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = Math.floor(rng.next() * range);
  return ids;
}
function randomGrads(rng: Mulberry32, n: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = rng.next() * 2 - 1;
  return g;
}

describe('SparseTable', () => {
  it('creates rows lazily with a value that depends only on (seed, id)', () => {
    for (let seed = 0; seed < 10; seed++) {
      const rng = new Mulberry32(seed + 100);
      const ids = randomIds(rng, 50, 100_000);
      const a = table('adagrad', 8, seed);
      const b = table('lazy-adam', 8, seed);
      expect(a.size).toBe(0);
      const ra = a.pull(ids);
      // Another table pulls the same ids in reverse order, one at a time: same rows.
      for (let i = ids.length - 1; i >= 0; i--) {
        const r = b.pull(ids.subarray(i, i + 1));
        expect(Array.from(r)).toEqual(Array.from(ra.subarray(i * 8, i * 8 + 8)));
      }
      expect(a.size).toBe(new Set(ids).size);
      for (const v of ra) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
      expect(new Set(ra).size).toBeGreaterThan(ra.length / 2);
      // A different seed gives different rows.
      expect(Array.from(table('adagrad', 8, seed + 1).pull(ids))).not.toEqual(Array.from(ra));
    }
  });

  it('gives absent rows as the unseen row (zeros) without creating them when create=false', () => {
    const t = table('adagrad');
    const ids = Int32Array.of(5, 9);
    const peek = t.pull(ids, false);
    expect(t.size).toBe(0);
    expect(Array.from(peek)).toEqual(new Array(peek.length).fill(0));
    const created = t.pull(ids);
    expect(t.size).toBe(2);
    expect(created.some((v) => v !== 0)).toBe(true);
    // Once created, a row reads the same either way.
    expect(Array.from(t.pull(ids, false))).toEqual(Array.from(created));
  });

  for (const kind of ['adagrad', 'lazy-adam'] as const) {
    it(`${kind}: equals a dense reference on touched rows and leaves the rest alone`, () => {
      for (let seed = 0; seed < 8; seed++) {
        const rng = new Mulberry32(seed);
        const dim = 1 + (seed % 5);
        const t = table(kind, dim, seed);
        const universe = randomIds(rng, 40, 1000);
        t.pull(universe);
        // Dense reference: each row its own parameter with its own optimizer state.
        const ref = new Map<number, { p: Float32Array; st: ReturnType<Adam['createState']> }>();
        const opt =
          kind === 'adagrad'
            ? new Adagrad({ lr: 0.1 })
            : new Adam({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
        for (const id of universe)
          if (!ref.has(id)) ref.set(id, { p: t.pull(Int32Array.of(id)), st: opt.createState(dim) });
        for (let step = 0; step < 6; step++) {
          const ids = randomIds(rng, 12, universe.length).map((k) => universe[k]);
          const grads = randomGrads(rng, ids.length * dim);
          const before = t.snapshot();
          t.push(ids, grads);
          // Reference: sum the duplicates, then one dense step per touched row.
          const summed = new Map<number, Float32Array>();
          ids.forEach((id, i) => {
            const g = summed.get(id) ?? new Float32Array(dim);
            for (let j = 0; j < dim; j++) g[j] += grads[i * dim + j];
            summed.set(id, g);
          });
          for (const [id, g] of summed) {
            const r = ref.get(id)!;
            opt.step(r.p, g, r.st);
          }
          const after = t.snapshot();
          for (let k = 0; k < after.ids.length; k++) {
            const id = after.ids[k];
            const row = after.rows.subarray(k * dim, k * dim + dim);
            if (summed.has(id)) {
              const want = ref.get(id)!.p;
              for (let j = 0; j < dim; j++) expect(row[j]).toBeCloseTo(want[j], 6);
            } else {
              expect(Array.from(row)).toEqual(
                Array.from(before.rows.subarray(k * dim, k * dim + dim)),
              );
              for (const name of Object.keys(after.slots))
                expect(Array.from(after.slots[name].subarray(k * dim, k * dim + dim))).toEqual(
                  Array.from(before.slots[name].subarray(k * dim, k * dim + dim)),
                );
              expect(after.steps[k]).toBe(before.steps[k]);
            }
          }
        }
      }
    });
  }

  it('sums the duplicates of an id in one push', () => {
    const rng = new Mulberry32(3);
    const a = table('lazy-adam', 3);
    const b = table('lazy-adam', 3);
    const g = randomGrads(rng, 9);
    a.push(Int32Array.of(4, 4, 8), g);
    const merged = Float32Array.of(g[0] + g[3], g[1] + g[4], g[2] + g[5], g[6], g[7], g[8]);
    b.push(Int32Array.of(4, 8), merged);
    expect(Array.from(a.pull(Int32Array.of(4, 8)))).toEqual(
      Array.from(b.pull(Int32Array.of(4, 8))),
    );
    expect(a.snapshot().steps).toEqual(Int32Array.of(1, 1));
  });

  it('round-trips through snapshot, checkpoint tensors and restore, and continues identically', () => {
    for (const kind of ['adagrad', 'lazy-adam'] as const) {
      const rng = new Mulberry32(11);
      const a = table(kind, 5);
      for (let s = 0; s < 5; s++) {
        const ids = randomIds(rng, 30, 500);
        a.pull(ids);
        a.push(ids, randomGrads(rng, ids.length * 5));
      }
      const tensors = snapshotTensors('emb', a.snapshot());
      const b = table(kind, 5);
      b.restore(snapshotFromTensors('emb', tensors, kind)!, a.updates);
      expect(b.size).toBe(a.size);
      const ids = randomIds(rng, 30, 600);
      const g = randomGrads(rng, ids.length * 5);
      a.push(ids, g);
      b.push(ids, g);
      const sa = a.snapshot();
      const sb = b.snapshot();
      expect(sb.ids).toEqual(sa.ids);
      expect(sb.rows).toEqual(sa.rows);
      expect(sb.steps).toEqual(sa.steps);
      for (const name of Object.keys(sa.slots)) expect(sb.slots[name]).toEqual(sa.slots[name]);
      expect(snapshotFromTensors('other', tensors, kind)).toBeUndefined();
    }
  });

  it('merges shard snapshots into the whole table and splits it back', () => {
    const rng = new Mulberry32(5);
    const whole = table('adagrad', 2);
    const ids = randomIds(rng, 200, 10_000);
    whole.pull(ids);
    whole.push(ids, randomGrads(rng, 400));
    const snap = whole.snapshot();
    const parts = [0, 1, 2].map((p) => filterSnapshot(snap, 2, (id) => ownerOf(id, 3) === p));
    const merged = mergeSnapshots(parts, 2);
    expect(merged.ids).toEqual(snap.ids);
    expect(merged.rows).toEqual(snap.rows);
    expect(merged.slots.sum).toEqual(snap.slots.sum);
    expect(whole.bytes()).toBeGreaterThan(whole.size * 2 * 4 * 2);
  });
});

describe('id sharding', () => {
  it('gives every id exactly one owner and spreads ids evenly', () => {
    for (const P of [1, 2, 3, 4, 7]) {
      const counts = new Array<number>(P).fill(0);
      let outside = 0;
      let unstable = 0;
      for (let id = 0; id < 70_000; id++) {
        const p = ownerOf(id, P);
        if (p !== ownerOf(id, P)) unstable++;
        if (!(p >= 0 && p < P)) outside++;
        else counts[p]++;
      }
      expect(outside + unstable).toBe(0);
      for (const c of counts)
        expect(Math.abs(c - 70_000 / P)).toBeLessThan(0.03 * (70_000 / P) + 50);
    }
  });

  it('splits a batch by owner and gathers the rows back in batch order', () => {
    const rng = new Mulberry32(9);
    for (let seed = 0; seed < 5; seed++) {
      const ids = randomIds(rng, 100, 5000);
      const t = table('adagrad', 3);
      const direct = t.pull(ids);
      const parts = splitIdsByOwner(ids, 3);
      let total = 0;
      parts.forEach((part, p) => {
        total += part.ids.length;
        for (const id of part.ids) expect(ownerOf(id, 3)).toBe(p);
      });
      expect(total).toBe(ids.length);
      const rows = parts.map((part) => t.pull(part.ids));
      expect(gatherByOwner(parts, rows, ids.length, 3)).toEqual(direct);
    }
  });
});

describe('uniqueIds / pullUnique', () => {
  it('fetches each distinct id once and expands rows to the list order', async () => {
    const rng = new Mulberry32(21);
    for (let seed = 0; seed < 10; seed++) {
      const ids = randomIds(rng, 60, 40);
      const { unique, inverse } = uniqueIds(ids);
      expect(new Set(unique).size).toBe(unique.length);
      for (let i = 0; i < ids.length; i++) expect(unique[inverse[i]]).toBe(ids[i]);
      const t = table('adagrad', 3, seed);
      let asked = 0;
      const rows = await pullUnique(ids, 3, (u) => {
        asked += u.length;
        return Promise.resolve(t.pull(u));
      });
      expect(asked).toBe(unique.length);
      expect(rows).toEqual(table('adagrad', 3, seed).pull(ids));
    }
  });
});

describe('SparseGradSum', () => {
  it('sums repeated ids in first-seen order and divides on take', () => {
    const s = new SparseGradSum(2);
    s.add(Int32Array.of(3, 1, 3), Float32Array.of(1, 2, 3, 4, 5, 6));
    s.add(Int32Array.of(1), Float32Array.of(10, 10));
    const r = s.take(2);
    expect(Array.from(r.ids)).toEqual([3, 1]);
    expect(Array.from(r.grads)).toEqual([3, 4, 6.5, 7]);
    expect(s.size).toBe(0);
    s.add(Int32Array.of(9), Float32Array.of(1, 1));
    expect(Array.from(s.take().grads)).toEqual([1, 1]);
  });
});

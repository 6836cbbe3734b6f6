// Optimizers against float64 implementations of their update equations over several steps, the
// sparse-row variants against dense updates restricted to the touched rows, and state round trips.

import { describe, expect, it } from 'vitest';
import { Sgd } from '../../../kernels/optim/sgd.js';
import { Adam, AdamW, LazyAdam } from '../../../kernels/optim/adam.js';
import { Adagrad } from '../../../kernels/optim/adagrad.js';
import { createOptimizer, coalesceRows } from '../../../kernels/optim/index.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';

type Ref = (p: Float64Array, g: Float64Array, t: number) => void;

function sgdRef(lr: number, mu: number, damp: number, nesterov: boolean, wd: number): Ref {
  let buf: Float64Array | null = null;
  return (p, g) => {
    const d = p.map((x, i) => g[i] + wd * x);
    if (mu !== 0) {
      buf = buf === null ? d.slice() : buf.map((b, i) => mu * b + (1 - damp) * d[i]);
      for (let i = 0; i < p.length; i++) p[i] -= lr * (nesterov ? d[i] + mu * buf[i] : buf[i]);
    } else for (let i = 0; i < p.length; i++) p[i] -= lr * d[i];
  };
}

function adamRef(
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
  decoupled: boolean,
): Ref {
  let m: Float64Array | null = null;
  let v: Float64Array | null = null;
  return (p, g, t) => {
    m ??= new Float64Array(p.length);
    v ??= new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      let gi = g[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else gi += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const mh = m[i] / (1 - b1 ** t);
      const vh = v[i] / (1 - b2 ** t);
      p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  };
}

function adagradRef(lr: number, eps: number, init: number, wd: number, decay: number): Ref {
  let s: Float64Array | null = null;
  return (p, g, t) => {
    s ??= new Float64Array(p.length).fill(init);
    const clr = lr / (1 + (t - 1) * decay);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + wd * p[i];
      s[i] += gi * gi;
      p[i] -= (clr * gi) / (Math.sqrt(s[i]) + eps);
    }
  };
}

const cases: [string, () => { opt: Sgd | Adam | Adagrad; ref: Ref }][] = [
  ['sgd', () => ({ opt: new Sgd({ lr: 0.1 }), ref: sgdRef(0.1, 0, 0, false, 0) })],
  [
    'sgd momentum + wd + dampening',
    () => ({
      opt: new Sgd({ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
      ref: sgdRef(0.05, 0.9, 0.1, false, 0.01),
    }),
  ],
  [
    'sgd nesterov',
    () => ({
      opt: new Sgd({ lr: 0.05, momentum: 0.8, nesterov: true }),
      ref: sgdRef(0.05, 0.8, 0, true, 0),
    }),
  ],
  ['adam', () => ({ opt: new Adam({ lr: 0.01 }), ref: adamRef(0.01, 0.9, 0.999, 1e-8, 0, false) })],
  [
    'adam + L2',
    () => ({
      opt: new Adam({ lr: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.1 }),
      ref: adamRef(0.01, 0.8, 0.99, 1e-8, 0.1, false),
    }),
  ],
  [
    'adamw',
    () => ({
      opt: new AdamW({ lr: 0.01, weightDecay: 0.05 }),
      ref: adamRef(0.01, 0.9, 0.999, 1e-8, 0.05, true),
    }),
  ],
  [
    'adagrad',
    () => ({
      opt: new Adagrad({ lr: 0.1, initialAccumulator: 0.1, weightDecay: 0.01, lrDecay: 0.05 }),
      ref: adagradRef(0.1, 1e-10, 0.1, 0.01, 0.05),
    }),
  ],
];

describe('dense optimizers', () => {
  for (const [name, make] of cases) {
    it(`${name} follows its update equations for 12 steps`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const rng = new Mulberry32(seed);
        const { opt, ref } = make();
        const n = 1 + rng.int(50);
        const p = randomArray(rng, n);
        const p64 = Float64Array.from(p);
        const state = opt.createState(n);
        for (let t = 1; t <= 12; t++) {
          const g = randomArray(rng, n, 2);
          opt.step(p, g, state);
          ref(p64, Float64Array.from(g), t);
        }
        expect(state.step).toBe(12);
        expect(maxRelErr(p, p64), `${name} seed ${seed}`).toBeLessThan(2e-5);
      }
    });
  }

  it('continues identically from a copied state (checkpoint and restore)', () => {
    const rng = new Mulberry32(4);
    const opt = new Adam({ lr: 0.01 });
    const a = randomArray(rng, 20);
    const grads = Array.from({ length: 6 }, () => randomArray(rng, 20));
    const s = opt.createState(20);
    for (const g of grads.slice(0, 3)) opt.step(a, g, s);
    const b = a.slice();
    const restored = {
      step: s.step,
      slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, v.slice()])),
    };
    for (const g of grads.slice(3)) {
      opt.step(a, g, s);
      opt.step(b, g, restored);
    }
    expect(maxRelErr(a, b)).toBe(0);
  });

  it('createOptimizer builds each kind and rejects a bad learning rate', () => {
    expect(createOptimizer({ kind: 'adamw', lr: 1e-3 }).kind).toBe('adamw');
    expect(createOptimizer({ kind: 'sgd', lr: 1e-3, momentum: 0.9 }).slotNames).toEqual([
      'momentum',
    ]);
    expect(createOptimizer({ kind: 'adagrad', lr: 1e-2 }).slotNames).toEqual(['sum']);
    expect(() => createOptimizer({ kind: 'adam', lr: 0 })).toThrow(/lr/);
    expect(() => new Sgd({ lr: 1, nesterov: true })).toThrow(/nesterov/);
  });
});

describe('sparse-row optimizers', () => {
  for (const [name, make] of [
    [
      'lazy adam',
      () => ({
        opt: new LazyAdam({ lr: 0.01 }),
        ref: () => adamRef(0.01, 0.9, 0.999, 1e-8, 0, false),
      }),
    ],
    [
      'sparse adagrad',
      () => ({ opt: new Adagrad({ lr: 0.1 }), ref: () => adagradRef(0.1, 1e-10, 0, 0, 0) }),
    ],
  ] as const) {
    it(`${name} updates only the rows it is given, each like a dense update of that row`, () => {
      const rng = new Mulberry32(8);
      const [numRows, w] = [30, 4];
      const table = randomArray(rng, numRows * w);
      const before = table.slice();
      const opt = make().opt;
      const state = opt.createState(numRows, w);
      // Per-row float64 references: lazy slots mean a row's state advances only when it is touched.
      const refs = new Map<number, { p: Float64Array; f: Ref }>();
      const touched = new Set<number>();
      for (let t = 1; t <= 8; t++) {
        const rows = Int32Array.from({ length: 5 }, () => rng.int(numRows));
        const g = randomArray(rng, rows.length * w);
        opt.stepRows(table, w, rows, g, state);
        const c = coalesceRows(rows, g, w);
        for (let k = 0; k < c.rows.length; k++) {
          const r = c.rows[k];
          touched.add(r);
          if (!refs.has(r))
            refs.set(r, {
              p: Float64Array.from(before.subarray(r * w, r * w + w)),
              f: make().ref(),
            });
          const ref = refs.get(r)!;
          ref.f(ref.p, Float64Array.from(c.grads.subarray(k * w, k * w + w)), t);
        }
      }
      for (let r = 0; r < numRows; r++) {
        const got = table.subarray(r * w, r * w + w);
        if (!touched.has(r)) expect(maxRelErr(got, before.subarray(r * w, r * w + w))).toBe(0);
        else expect(maxRelErr(got, refs.get(r)!.p), `row ${r}`).toBeLessThan(2e-5);
      }
    });
  }

  it('coalesces repeated rows by summing their gradients', () => {
    const c = coalesceRows(
      new Int32Array([3, 1, 3]),
      new Float32Array([1, 2, 10, 20, 100, 200]),
      2,
    );
    expect(Array.from(c.rows)).toEqual([3, 1]);
    expect(Array.from(c.grads)).toEqual([101, 202, 10, 20]);
  });
});

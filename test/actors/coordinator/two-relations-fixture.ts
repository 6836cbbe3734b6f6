// A typed graph with two timestamped user→item relations for the eval.relations tests: bought is
// learnable (users buy items of their own class, which both types' features show), viewed is random
// (any item, the low ids most often); and viewed's popularity baseline computed by hand.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mulberry32 } from '../../../runtime/prng.js';

export const USERS = 240;
export const ITEMS = 40;
export const PER_USER = 5;

export interface Edge {
  user: number;
  item: number;
  t: number;
}

/** Distinct (user, item) pairs, PER_USER per user, at distinct times from `times`. */
function edgesOf(pick: (u: number, rng: Mulberry32) => number, rng: Mulberry32, times: number[]) {
  const out: Edge[] = [];
  for (let u = 0; u < USERS; u++) {
    const seen = new Set<number>();
    while (seen.size < PER_USER) seen.add(pick(u, rng));
    for (const item of seen) out.push({ user: u, item, t: times[out.length] });
  }
  return out;
}

/** A permutation of 1..n: every edge of a relation at its own time, so the split is unambiguous. */
function shuffledTimes(n: number, rng: Mulberry32): number[] {
  const t = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [t[i], t[j]] = [t[j], t[i]];
  }
  return t;
}

/** Writes the tables and graph.yaml into `dir`; returns the viewed edges. */
export function writeGraph(dir: string): { viewed: Edge[] } {
  const rng = new Mulberry32(5);
  const users = ['uid,a,b'];
  for (let u = 0; u < USERS; u++) {
    const f = [0, 1].map((k) => (k === u % 2 ? 1 : 0) + 0.4 * (rng.next() - 0.5));
    users.push(`u${u},${f.map((x) => x.toFixed(3)).join(',')}`);
  }
  const items = ['iid,a,b'];
  for (let i = 0; i < ITEMS; i++) items.push(`i${i},${i % 2 === 0 ? '1,0' : '0,1'}`);
  const n = USERS * PER_USER;
  // Bought: an item of the user's class; viewed: any item, most often the low ids.
  const bought = edgesOf((u) => 2 * rng.int(ITEMS / 2) + (u % 2), rng, shuffledTimes(n, rng));
  const viewed = edgesOf(() => Math.floor(ITEMS * rng.next() ** 2), rng, shuffledTimes(n, rng));
  const csv = (edges: Edge[]) =>
    ['user,item,t', ...edges.map((e) => `u${e.user},i${e.item},${e.t}`)].join('\n') + '\n';
  writeFileSync(join(dir, 'users.csv'), users.join('\n') + '\n');
  writeFileSync(join(dir, 'items.csv'), items.join('\n') + '\n');
  writeFileSync(join(dir, 'bought.csv'), csv(bought));
  writeFileSync(join(dir, 'viewed.csv'), csv(viewed));
  writeFileSync(
    join(dir, 'graph.yaml'),
    `nodes:
  - { type: user, file: users.csv, id: uid, features: [a, b] }
  - { type: item, file: items.csv, id: iid, features: [a, b] }
edges:
  - { file: bought.csv, relation: bought, src: user, dst: item, srcColumn: user, dstColumn: item, timestamp: t }
  - { file: viewed.csv, relation: viewed, src: user, dst: item, srcColumn: user, dstColumn: item, timestamp: t }
`,
  );
  return { viewed };
}

/** Expected reciprocal rank and hits@1 of a rank uniform in [best, worst] (ties in random order). */
function averaged(best: number, worst: number): { rr: number; hit1: number } {
  let rr = 0;
  for (let r = best; r <= worst; r++) rr += 1 / r;
  const span = worst - best + 1;
  return { rr: rr / span, hit1: best === 1 ? 1 / span : 0 };
}

/**
 * The popularity baseline of the newest 10 % of `edges` (the test split), each ranked among every
 * item by its count as a destination among the earlier edges, the source's own items filtered out.
 */
export function popularityByHand(edges: Edge[]): { mrr: number; hits1: number } {
  const byTime = [...edges].sort((a, b) => a.t - b.t);
  const numTest = Math.floor(edges.length * 0.1);
  const before = byTime.slice(0, byTime.length - numTest);
  const test = byTime.slice(byTime.length - numTest);
  const pop = new Array<number>(ITEMS).fill(0);
  for (const e of before) pop[e.item]++;
  let mrr = 0;
  let hits1 = 0;
  for (const p of test) {
    const known = new Set(edges.filter((e) => e.user === p.user).map((e) => e.item));
    let above = 0;
    let level = 0;
    for (let c = 0; c < ITEMS; c++) {
      if (known.has(c)) continue;
      if (pop[c] > pop[p.item]) above++;
      else if (pop[c] === pop[p.item]) level++;
    }
    const a = averaged(above + 1, above + 1 + level);
    mrr += a.rr;
    hits1 += a.hit1;
  }
  return { mrr: mrr / test.length, hits1: hits1 / test.length };
}

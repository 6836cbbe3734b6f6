// The marketplace's planted signals: off, the graph is the one older versions wrote (same checksums);
// cold members have one or two applications, all late; drifting members' later applications go to
// another industry than their earlier ones.
import { describe, expect, it } from 'vitest';
import { generateMarketplace } from '../../graph-store/synth-marketplace.js';

const applied = (g: ReturnType<typeof generateMarketplace>) =>
  g.relations.find((r) => r.rel === 'applied')!.csr;

describe('marketplace planted signals', () => {
  it('leaves the graph unchanged when off', () => {
    const a = generateMarketplace({ members: 500, seed: 4 });
    const b = generateMarketplace({ members: 500, seed: 4, coldMembers: 0, intentDrift: 0 });
    expect(Array.from(applied(b).indices)).toEqual(Array.from(applied(a).indices));
    expect(Array.from(applied(b).timestamps!)).toEqual(Array.from(applied(a).timestamps!));
  });

  it('gives cold members few, late applications', () => {
    const base = generateMarketplace({ members: 2000, seed: 5 });
    const g = generateMarketplace({ members: 2000, seed: 5, coldMembers: 0.3 });
    const deg = (c: ReturnType<typeof applied>) =>
      Array.from({ length: 2000 }, (_, m) => c.indptr[m + 1] - c.indptr[m]);
    const few = (d: number[]) => d.filter((x) => x <= 2).length;
    expect(few(deg(applied(g)))).toBeGreaterThan(few(deg(applied(base))) + 250);
    const ts = applied(g).timestamps!;
    const sorted = Float64Array.from(ts).sort();
    const late = sorted[Math.floor(sorted.length * 0.5)];
    // Members with at most two applications are mostly cold: most of their applications are late.
    let lateShare = 0;
    let n = 0;
    const c = applied(g);
    for (let m = 0; m < 2000; m++)
      if (c.indptr[m + 1] - c.indptr[m] <= 2)
        for (let e = c.indptr[m]; e < c.indptr[m + 1]; e++, n++) lateShare += ts[e] > late ? 1 : 0;
    expect(lateShare / n).toBeGreaterThan(0.6);
  });

  it('drifts intent: later applications share fewer skills with the member than earlier ones', () => {
    const lateOverlap = (drift: number) => {
      const g = generateMarketplace({ members: 3000, seed: 6, intentDrift: drift });
      const c = applied(g);
      const rel = (name: string) => g.relations.find((r) => r.rel === name)!.csr;
      const hasSkill = rel('has_skill');
      const requires = rel('requires');
      const jobOffset = g.offsets[1];
      const overlapOf = (m: number, job: number) => {
        const mine = new Set(hasSkill.indices.subarray(hasSkill.indptr[m], hasSkill.indptr[m + 1]));
        let n = 0;
        for (let e = requires.indptr[job]; e < requires.indptr[job + 1]; e++)
          n += mine.has(requires.indices[e]) ? 1 : 0;
        return n;
      };
      let early = 0;
      let late = 0;
      for (let m = 0; m < 3000; m++) {
        const lo = c.indptr[m];
        const hi = c.indptr[m + 1];
        const half = Math.floor((hi - lo) / 2);
        if (half < 2) continue;
        // Rows are in time order: the first half are the earlier applications.
        for (let e = lo; e < lo + half; e++) early += overlapOf(m, c.indices[e] - jobOffset);
        for (let e = hi - half; e < hi; e++) late += overlapOf(m, c.indices[e] - jobOffset);
      }
      return late / early;
    };
    const still = lateOverlap(0);
    expect(still).toBeGreaterThan(0.9);
    expect(lateOverlap(0.8)).toBeLessThan(still - 0.2);
  });
});

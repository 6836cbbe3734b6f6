// Cold members of the synthetic marketplace: a chosen share whose applications all come after every
// other member's, so a time split leaves them none in training; the rest of the graph is unchanged.

import { describe, expect, it } from 'vitest';
import { generateMarketplace } from '../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../runtime/errors.js';

function applied(g: ReturnType<typeof generateMarketplace>) {
  return g.relations.find((r) => r.rel === 'applied')!.csr;
}

describe('marketplace cold members', () => {
  it('stamps a share of members after everyone else and leaves the rest as it was', () => {
    const plain = generateMarketplace({ members: 2000, seed: 3 });
    const cold = generateMarketplace({ members: 2000, seed: 3, coldMembers: 0.1 });
    const a = applied(plain);
    const c = applied(cold);
    // Same members, same jobs applied to; only the times of some rows moved.
    expect(Array.from(c.indptr)).toEqual(Array.from(a.indptr));
    let newestWarm = 0;
    let oldestCold = Infinity;
    let coldRows = 0;
    let sameJobs = true;
    for (let m = 0; m < 2000; m++) {
      const lo = c.indptr[m];
      const hi = c.indptr[m + 1];
      const jobs = (x: typeof a) => Array.from(x.indices.subarray(lo, hi)).sort((p, q) => p - q);
      if (jobs(c).join() !== jobs(a).join()) sameJobs = false;
      const moved = c.timestamps![lo] !== a.timestamps![lo] || c.indices[lo] !== a.indices[lo];
      if (moved) coldRows++;
      for (let p = lo; p < hi; p++) {
        if (moved) oldestCold = Math.min(oldestCold, c.timestamps![p]);
        else newestWarm = Math.max(newestWarm, c.timestamps![p]);
      }
    }
    expect(sameJobs).toBe(true);
    expect(coldRows).toBeGreaterThan(150);
    expect(coldRows).toBeLessThan(250);
    expect(oldestCold).toBeGreaterThan(newestWarm);
    // Everything else is drawn as before.
    expect(cold.labels).toEqual(plain.labels);
    expect(cold.latent.member).toEqual(plain.latent.member);
    const hasSkill = (g: typeof plain) => g.relations.find((r) => r.rel === 'has_skill')!.csr;
    expect(hasSkill(cold).indices).toEqual(hasSkill(plain).indices);
  });

  it('refuses a share outside [0, 0.5], naming the flag', () => {
    expect(() => generateMarketplace({ members: 100, seed: 1, coldMembers: 0.7 })).toThrow(
      ConfigError,
    );
    expect(() => generateMarketplace({ members: 100, seed: 1, coldMembers: -0.1 })).toThrow(
      /--cold-members|must be in \[0, 0.5\]/,
    );
  });
});

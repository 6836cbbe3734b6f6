// The marketplace's sparse cold profiles (`coldProfileSkills`): cold members list only N skills as
// edges, while their applications and their content still follow the whole profile; a bad value is
// refused naming its flag.
import { describe, expect, it } from 'vitest';
import {
  generateMarketplace,
  type MarketplaceGraph,
  type MarketplaceOptions,
} from '../../graph-store/synth-marketplace.js';
import { configErrorOf } from '../helpers/config-error.js';
import { marketplaceFeatures } from '../helpers/marketplace-features.js';

const BASE: MarketplaceOptions = { members: 1200, seed: 9, coldMembers: 0.2, memberContent: 1 };

function relation(g: MarketplaceGraph, rel: string) {
  return g.relations.find((r) => r.rel === rel)!.csr;
}

/** Every member's has_skill row. */
function skillRows(g: MarketplaceGraph): number[][] {
  const { indptr, indices } = relation(g, 'has_skill');
  return Array.from({ length: g.sizes.members }, (_, m) =>
    Array.from(indices.subarray(indptr[m], indptr[m + 1])),
  );
}

describe('marketplace sparse cold profiles', () => {
  const full = generateMarketplace(BASE);

  it('leaves cold members without skill edges and every other array as it was', () => {
    const sparse = generateMarketplace({ ...BASE, coldProfileSkills: 0 });
    const before = skillRows(full);
    const after = skillRows(sparse);
    const emptied = after.filter((row) => row.length === 0).length;
    // Every member has at least one skill in full, so the empty rows are exactly the cold members.
    expect(before.every((row) => row.length >= 1)).toBe(true);
    expect(emptied / BASE.members).toBeGreaterThan(0.15);
    expect(emptied / BASE.members).toBeLessThan(0.25);
    for (let m = 0; m < BASE.members; m++)
      if (after[m].length > 0) expect(after[m]).toEqual(before[m]);
    // The reverse relation follows: as many skill→member edges as member→skill.
    expect(relation(sparse, 'rev_has_skill').indices.length).toBe(
      relation(sparse, 'has_skill').indices.length,
    );
    for (const rel of ['applied', 'works_at', 'requires'])
      expect(Array.from(relation(sparse, rel).indices), rel).toEqual(
        Array.from(relation(full, rel).indices),
      );
    expect(Array.from(relation(sparse, 'applied').timestamps!)).toEqual(
      Array.from(relation(full, 'applied').timestamps!),
    );
    // The content still describes the whole profile: every feature row is unchanged.
    const a = marketplaceFeatures(full);
    const b = marketplaceFeatures(sparse);
    expect(b.length).toBe(a.length);
    expect(b.every((x, i) => x === a[i])).toBe(true);
  });

  it('keeps N of a cold member its listed skills, drawn from its own', () => {
    const sparse = generateMarketplace({ ...BASE, coldProfileSkills: 2 });
    const before = skillRows(full);
    const after = skillRows(sparse);
    let cut = 0;
    for (let m = 0; m < BASE.members; m++) {
      expect(after[m].every((v) => before[m].includes(v))).toBe(true);
      if (after[m].length < before[m].length) {
        expect(after[m].length).toBe(2);
        cut++;
      }
    }
    expect(cut / BASE.members).toBeGreaterThan(0.15);
  });

  it('refuses a count that is not a whole number >= 0, or one without cold members', () => {
    for (const coldProfileSkills of [-1, 1.5, Number.NaN]) {
      const err = configErrorOf(() => generateMarketplace({ ...BASE, coldProfileSkills }));
      expect(err.field).toBe('--cold-profile-skills');
    }
    const err = configErrorOf(() =>
      generateMarketplace({ members: 50, seed: 1, coldProfileSkills: 0 }),
    );
    expect(err.field).toBe('--cold-profile-skills');
    expect(err.message).toMatch(/--cold-members/);
  });
});

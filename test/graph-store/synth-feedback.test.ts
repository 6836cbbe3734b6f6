// The marketplace's feedback relations and typed features: off, the written graph is byte for byte
// the one older versions wrote; views follow the member's skills weakly, dismissals not at all, and
// typed features fill only their type's columns.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateMarketplace, synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { openGraph } from '../../graph-store/open-graph.js';

const work = mkdtempSync(join(os.tmpdir(), 'weft-synth-feedback-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile())
      out.set(
        join(f.parentPath, f.name).slice(dir.length),
        readFileSync(join(f.parentPath, f.name)),
      );
  return out;
}

/** Mean number of the member's skills a job of `rel` requires, over every member's edges. */
function skillOverlap(g: ReturnType<typeof generateMarketplace>, rel: string): number {
  const csr = (name: string) => g.relations.find((r) => r.rel === name)!.csr;
  const edges = csr(rel);
  const hasSkill = csr('has_skill');
  const requires = csr('requires');
  let sum = 0;
  for (let m = 0; m < g.sizes.members; m++) {
    const mine = new Set(hasSkill.indices.subarray(hasSkill.indptr[m], hasSkill.indptr[m + 1]));
    for (let e = edges.indptr[m]; e < edges.indptr[m + 1]; e++) {
      const j = edges.indices[e] - g.offsets[1];
      for (let k = requires.indptr[j]; k < requires.indptr[j + 1]; k++)
        sum += mine.has(requires.indices[k]) ? 1 : 0;
    }
  }
  return sum / edges.indices.length;
}

describe('marketplace feedback relations and typed features', () => {
  it('writes the same bytes when every option is off', async () => {
    await synthMarketplace({ members: 300, seed: 3 }, join(work, 'a'));
    await synthMarketplace(
      {
        members: 300,
        seed: 3,
        viewsPerMember: 0,
        dismissalsPerMember: 0,
        typedFeatures: false,
        memberContent: 0,
        coldProfileSkills: Number.POSITIVE_INFINITY,
      },
      join(work, 'b'),
    );
    const a = filesOf(join(work, 'a'));
    const b = filesOf(join(work, 'b'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
  });

  it('adds viewed (weakly related) and dismissed (unrelated) member→job relations', () => {
    const base = generateMarketplace({ members: 2000, seed: 4 });
    const g = generateMarketplace({
      members: 2000,
      seed: 4,
      viewsPerMember: 8,
      dismissalsPerMember: 4,
    });
    // The other relations are drawn as before.
    const applied = (x: typeof g) => x.relations.find((r) => r.rel === 'applied')!.csr.indices;
    expect(Array.from(applied(g))).toEqual(Array.from(applied(base)));
    const rels = g.relations.map((r) => `${r.src}.${r.rel}.${r.dst}`);
    expect(rels).toContain('member.viewed.job');
    expect(rels).toContain('job.rev_dismissed.member');
    const viewed = g.relations.find((r) => r.rel === 'viewed')!.csr;
    expect(viewed.indices.length / 2000).toBeGreaterThan(6);
    expect(viewed.indices.length / 2000).toBeLessThan(10);
    const onApplied = skillOverlap(g, 'applied');
    const onViewed = skillOverlap(g, 'viewed');
    const onDismissed = skillOverlap(g, 'dismissed');
    expect(onViewed).toBeLessThan(0.6 * onApplied);
    expect(onDismissed).toBeLessThan(0.6 * onViewed);
  });

  it('puts each type in its own columns and refuses a feature width below 4', async () => {
    const dir = join(work, 'typed');
    const m = await synthMarketplace(
      { members: 200, seed: 5, featureDim: 16, typedFeatures: true },
      dir,
    );
    expect(m.features!.dim).toBe(16 + 16 + 8 + 4);
    expect(m.nodeTypes.map((t) => t.features)).toEqual([
      { start: 0, width: 16, input: 'table' },
      { start: 16, width: 16, input: 'table' },
      { start: 32, width: 8, input: 'table' },
      { start: 40, width: 4, input: 'table' },
    ]);
    const g = await openGraph(dir);
    const dim = g.dim;
    const row = new Float32Array(dim);
    for (const t of m.nodeTypes)
      for (const v of [t.offset, t.offset + t.count - 1]) {
        g.gather(Int32Array.of(v), 1, row, 0);
        const { start, width } = t.features!;
        row.forEach((x, c) => {
          if (c < start || c >= start + width) expect(x, `${t.name} ${v} column ${c}`).toBe(0);
        });
        expect(row.slice(start, start + width).some((x) => x !== 0)).toBe(true);
      }
    await expect(
      synthMarketplace(
        { members: 50, seed: 1, featureDim: 3, typedFeatures: true },
        join(work, 'x'),
      ),
    ).rejects.toThrow(/--feature-dim/);
  });
});

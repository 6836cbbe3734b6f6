// Structural features (model.structuralFeatures): log out- and in-degrees counted over training
// edges only. Two graphs that differ only in where their test-period edges go must get the same
// features, a user whose only edges are held out reads zeros, and the job's graph carries them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { jobGraph } from '../../../actors/plan/feature-norm.js';
import {
  STRUCTURAL_COLUMNS,
  trainingCutoff,
  withStructuralFeatures,
} from '../../../actors/plan/structural-features.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-structural-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const USERS = 10;
const ITEMS = 6;

/**
 * 40 ratings at times 1..40: 32 training ones (user k % 8 -> item k % 4), 4 validation ones from
 * u8 to i4, and 4 test ones from u9 to `testItem`.
 */
async function ratingsGraph(name: string, testItem: string): Promise<string> {
  const rows = ['user,item,ts'];
  for (let k = 0; k < 32; k++) rows.push(`u${k % 8},i${k % 4},${k + 1}`);
  for (let k = 32; k < 36; k++) rows.push(`u8,i4,${k + 1}`);
  for (let k = 36; k < 40; k++) rows.push(`u9,${testItem},${k + 1}`);
  const dir = join(tmp, name);
  const write = (f: string, text: string) => writeFileSync(join(tmp, `${name}-${f}`), text);
  write('ratings.csv', rows.join('\n') + '\n');
  write('users.csv', ['id', ...Array.from({ length: USERS }, (_, u) => `u${u}`)].join('\n') + '\n');
  write('items.csv', ['id', ...Array.from({ length: ITEMS }, (_, i) => `i${i}`)].join('\n') + '\n');
  write(
    'graph.yaml',
    `nodes:
  - type: user
    file: ${name}-users.csv
  - type: item
    file: ${name}-items.csv
edges:
  - file: ${name}-ratings.csv
    relation: rated
    src: user
    dst: item
    srcColumn: user
    dstColumn: item
    timestamp: ts
reverse: true
`,
  );
  await buildTypedGraph({ inputs: join(tmp, `${name}-graph.yaml`), out: dir });
  return dir;
}

const spec = applyOverrides(defaultJobSpec(), {
  task: 'link',
  'model.structuralFeatures': true,
  'link.valFraction': 0.1,
  'link.testFraction': 0.1,
});

/** Every node's structural columns (the last two of its row). */
function structural(g: SharedGraph): number[][] {
  const out = new Float32Array(g.numNodes * g.dim);
  g.gather(
    Int32Array.from({ length: g.numNodes }, (_, i) => i),
    g.numNodes,
    out,
    0,
  );
  return Array.from({ length: g.numNodes }, (_, v) =>
    Array.from(out.subarray((v + 1) * g.dim - STRUCTURAL_COLUMNS, (v + 1) * g.dim)),
  );
}

let toI4: SharedGraph;
let toI5: SharedGraph;
beforeAll(async () => {
  toI4 = await openGraph(await ratingsGraph('a', 'i4'));
  toI5 = await openGraph(await ratingsGraph('b', 'i5'));
});

describe('structural features', () => {
  it('count only edges before the first held-out rating', () => {
    expect(trainingCutoff(toI4, spec)).toBe(33);
    const a = withStructuralFeatures(toI4, spec);
    expect(a.dim).toBe(toI4.dim + STRUCTURAL_COLUMNS);
    const cols = structural(a);
    const user = (u: number) => cols[u];
    const item = (i: number) => cols[USERS + i];
    // Largest training degree: 8 ratings of each of i0..i3 (in, and out through rev_rated).
    const scaled = (d: number) => Math.fround(Math.log1p(d) / Math.log1p(8));
    expect(user(0)).toEqual([scaled(4), scaled(4)]);
    expect(item(0)).toEqual([scaled(8), scaled(8)]);
    // u8 rates only in validation, u9 only in test, i4 and i5 only then: nothing counted.
    for (const v of [user(8), user(9), item(4), item(5)]) expect(v).toEqual([0, 0]);
  });

  it('do not change when a test-period edge changes', () => {
    expect(structural(withStructuralFeatures(toI5, spec))).toEqual(
      structural(withStructuralFeatures(toI4, spec)),
    );
  });

  it('keep the stored features in front and reach the job graph', () => {
    const g = jobGraph(toI4, spec);
    const out = new Float32Array(g.dim);
    const stored = new Float32Array(toI4.dim);
    g.gather([3], 1, out, 0);
    toI4.gather([3], 1, stored, 0);
    expect(Array.from(out.subarray(0, toI4.dim))).toEqual(Array.from(stored));
    const off = applyOverrides(spec, { 'model.structuralFeatures': false });
    expect(jobGraph(toI4, off).dim).toBe(toI4.dim);
  });

  it('are accepted with partition-owning samplers, which count a part only through the exchange', () => {
    // The spec is fine: the samplers exchange their counts (actors/sampler/partition-structural.ts).
    const partitioned = applyOverrides(spec, { 'cluster.partitions': 'auto' });
    expect(partitioned.model.structuralFeatures).toBe(true);
    // A part alone cannot be counted as a whole graph.
    const part = { ...toI4, partition: {} } as unknown as typeof toI4;
    expect(() => withStructuralFeatures(part, spec)).toThrow(ConfigError);
    expect(() => withStructuralFeatures(part, spec)).toThrow(/partitionStructural|every part/);
  });
});

// Row normalisation of features: scales from row sums, gathered rows divided by their sums (the
// stored features untouched), and the sign check that lets 'auto' choose it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { readManifest } from '../../../graph-store/manifest.js';
import { featuresNonNegative, jobGraph, rowSumScales } from '../../../actors/plan/feature-norm.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-featnorm-'));

async function graphWith(name: string, rows: string[]): Promise<string> {
  const edges = join(tmp, `${name}.tsv`);
  writeFileSync(edges, '0\t1\n1\t2\n2\t0\n');
  const features = join(tmp, `${name}-x.txt`);
  writeFileSync(features, rows.join('\n') + '\n');
  const out = join(tmp, name);
  await buildGraph({ edges, features, out });
  return out;
}

let counts: string;
let signed: string;
beforeAll(async () => {
  counts = await graphWith('counts', ['1 3 0', '0 0 0', '2 2 4']);
  signed = await graphWith('signed', ['1 -3 0', '0 1 0', '2 2 4']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('feature row normalisation', () => {
  it('divides each gathered row by its sum and leaves an empty row alone', async () => {
    const g = await openGraph(counts);
    expect(Array.from(rowSumScales(g))).toEqual([0.25, 1, 0.125]);
    const spec = applyOverrides(defaultJobSpec(), { 'model.featureNorm': 'row' });
    const n = jobGraph(g, spec);
    const out = new Float32Array(9);
    n.gather([2, 0, 1], 3, out);
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.5, 0.25, 0.75, 0, 0, 0, 0]);
    // The graph it came from still reads the stored values; a handle carries the scales.
    g.gather([0], 1, out);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 3, 0]);
    expect(n.toHandle().arrays.rowScales).toBeDefined();
    // 'none' (and 'auto' left unsettled) read the features as stored.
    expect(jobGraph(g, applyOverrides(defaultJobSpec(), { 'model.featureNorm': 'none' }))).toBe(g);
  });

  it('tells non-negative features from signed ones by the stored sign bits', () => {
    expect(featuresNonNegative(counts, readManifest(counts))).toBe(true);
    expect(featuresNonNegative(signed, readManifest(signed))).toBe(false);
  });
});

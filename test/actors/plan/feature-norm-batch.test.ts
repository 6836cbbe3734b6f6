// Row normalisation reaches the batches: the fused first layer of a sampled batch reads the scaled
// rows (its float32 fast path reads rows in place, so it must step aside when rows are scaled).

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { jobGraph } from '../../../actors/plan/feature-norm.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { firstLayerInput } from '../../../kernels/gather/first-layer-input.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-featnorm-batch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('row-normalised features in the fused first layer', () => {
  it('averages the scaled rows of the neighbours', async () => {
    writeFileSync(join(tmp, 'e.tsv'), '0\t1\n0\t2\n');
    writeFileSync(join(tmp, 'x.txt'), '2 2\n1 3\n0 5\n');
    await buildGraph({
      edges: join(tmp, 'e.tsv'),
      features: join(tmp, 'x.txt'),
      out: join(tmp, 'g'),
    });
    const g = jobGraph(
      await openGraph(join(tmp, 'g')),
      applyOverrides(defaultJobSpec(), { 'model.featureNorm': 'row' }),
    );
    // Destination 0 with sources 1 and 2: own row (0.5, 0.5), neighbour mean of (0.25, 0.75) and (0, 1).
    const out = new Float32Array(4);
    const block = {
      numDst: 1,
      numSrc: 3,
      indptr: Int32Array.from([0, 2]),
      indices: Int32Array.from([1, 2]),
    };
    firstLayerInput(g, Int32Array.from([0, 1, 2]), block, out, true);
    expect(Array.from(out)).toEqual([0.5, 0.5, 0.125, 0.875]);
  });
});

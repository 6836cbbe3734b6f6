// Huge pages for the graph arrays: the advice covers the 2 MiB-aligned interior of each array and
// leaves the contents as they were; without the addon nothing is advised. Partition-owning samplers
// advise their part's arrays as the whole-graph producer does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { partitionGraph } from '../../../graph-store/partition.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { openParts } from '../../helpers/partitions.js';
import { nativeKernels, setNativeEnabled } from '../../../kernels/native/addon.js';
import { adviseHugePages } from '../../../kernels/native/huge-pages.js';

const MIB2 = 2 * 1024 * 1024;

function filled(bytes: number): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(bytes));
  for (let i = 0; i < a.length; i++) a[i] = (i % 977) * 0.5 - 100;
  return a;
}

describe('adviseHugePages', () => {
  afterEach(() => setNativeEnabled(true));

  it.skipIf(nativeKernels() === null || process.platform !== 'linux')(
    'advises whole 2 MiB pages inside each array and keeps every value',
    () => {
      const a = filled(9 * MIB2 + 12_345 * 4);
      const before = a.slice();
      const bytes = adviseHugePages([a, undefined]);
      // At least the 8 whole huge pages inside 9 MiB·2 of memory, never more than the array.
      expect(bytes % MIB2).toBe(0);
      expect(bytes).toBeGreaterThanOrEqual(8 * MIB2);
      expect(bytes).toBeLessThanOrEqual(a.byteLength);
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(before.buffer))).toBe(0);
    },
  );

  it.skipIf(nativeKernels() === null)('advises nothing for arrays under one huge page', () => {
    expect(adviseHugePages([new Int32Array(1000), new Uint8Array(0)])).toBe(0);
  });

  it('advises nothing on the wasm kernels', () => {
    setNativeEnabled(false);
    expect(adviseHugePages([filled(5 * MIB2)])).toBe(0);
  });
});

describe('hugePages argument checks', () => {
  it.skipIf(nativeKernels() === null)('refuses what is not a typed array, naming it', () => {
    expect(() => nativeKernels()!.hugePages({} as never, true)).toThrow(/must be a typed array/);
  });
});

describe('partition-owning samplers', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'weft-huge-parts-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(nativeKernels() === null || process.platform !== 'linux')(
    "advise their part's features and edges, and serve the same rows",
    async () => {
      // 2 parts of 40,000 nodes × 64 features: ~4.9 MiB of features per part, past 4 MiB, so at least
      // one whole aligned 2 MiB page lies inside.
      const g = join(tmp, 'g');
      await synthPowerlaw(
        { nodes: 40_000, edges: 480_000, featureDim: 64, classes: 3, seed: 4 },
        g,
      );
      await partitionGraph(g, 2, join(tmp, 'p'));
      setNativeEnabled(false);
      const plain = await openParts(join(tmp, 'p'), 2);
      setNativeEnabled(true);
      const owners = await openParts(join(tmp, 'p'), 2);
      owners.forEach((o, i) => {
        expect(plain[i].hugePageBytes).toBe(0);
        expect(o.hugePageBytes % MIB2).toBe(0);
        const size = [o.part.csr.indptr, o.part.csr.indices, o.part.features].reduce(
          (n, a) => n + (a?.byteLength ?? 0),
          0,
        );
        expect(o.hugePageBytes).toBeLessThanOrEqual(size);
        expect(o.hugePageBytes).toBeGreaterThanOrEqual(MIB2);
        const ids = o.part.partition!.globalIds;
        const nodes = Int32Array.from(ids.subarray(0, 50));
        const req = { nodes, degrees: true, features: true, labels: false };
        const got = o.rows(req);
        expect(got.x?.length).toBe(50 * 64);
        expect(got).toEqual(plain[i].rows(req));
      });
    },
  );
});

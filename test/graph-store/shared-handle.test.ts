// A loaded graph's handle crosses into a real worker thread, which rebuilds the store over the same
// SharedArrayBuffers: its reads match, and its writes are visible in the parent (so nothing was copied).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnWorker } from '../../runtime/worker-spawn.js';
import { buildGraph } from '../../graph-store/build-graph.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { fromHandle } from '../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { tempDir, writeNpy } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('graph handle', () => {
  it('is shared, not copied, with a worker thread', async () => {
    const edges = join(tmp.dir, 'e.tsv');
    writeFileSync(edges, '0\t1\n1\t2\n2\t3\n3\t0\n0\t2\n');
    const feats = join(tmp.dir, 'f.npy');
    writeNpy(
      feats,
      Array.from({ length: 8 }, (_, i) => i + 0.5),
      [4, 2],
    );
    const labels = join(tmp.dir, 'l.tsv');
    writeFileSync(labels, '0\t1\n2\t0\n');
    const out = join(tmp.dir, 'g');
    await buildGraph({ edges, features: feats, labels, out });
    const g = await openGraph(out);
    const handle = g.toHandle();
    // The handle survives structured cloning as views over the same buffers.
    const cloned = structuredClone(handle);
    expect(cloned.arrays.indices!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const markerIndex = 3;
    const worker = spawnWorker(new URL('./fixtures/handle-worker.ts', import.meta.url), {
      workerData: { handle, markerIndex },
    });
    const reply = await new Promise<{
      indexSum: number;
      numEdges: number;
      row: number[];
      shared: boolean;
      labels: number[];
    }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply.shared).toBe(true);
    expect(reply.numEdges).toBe(5);
    expect(reply.indexSum).toBe(1 + 2 + 2 + 3 + 0);
    expect(reply.row).toEqual([2.5, 3.5]);
    expect(reply.labels).toEqual([1, -1, 0, -1]);
    // Writes made in the worker show up here.
    expect(g.csr.indices[markerIndex]).toBe(424242);
    expect((g.features as Float32Array)[0]).toBe(-12.5);
    const again = fromHandle(cloned);
    expect(again.csr.indices[markerIndex]).toBe(424242);
  });

  it('shares merged heterogeneous arrays too', async () => {
    const out = join(tmp.dir, 'm');
    await synthMarketplace({ members: 300, seed: 4 }, out);
    const g = await openGraph(out);
    const h = structuredClone(g.toHandle());
    const g2 = fromHandle(h);
    expect(g2.csr.edgeType!.buffer).toBeInstanceOf(SharedArrayBuffer);
    // A clone is a new SharedArrayBuffer object over the same memory: writes cross over.
    g2.csr.timestamps![0] = 99;
    expect(g.csr.timestamps![0]).toBe(99);
    expect(g2.edgeTypes.length).toBe(10);
    expect(g2.sharedBytes()).toBe(g.sharedBytes());
  });
});

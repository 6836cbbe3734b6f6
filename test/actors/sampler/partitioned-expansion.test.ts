// Partition-owning samplers against the whole-graph sampler: with 2 and 3 hash partitions, every batch
// built by expanding hop by hop across owners equals BatchProducer's record byte for byte.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionBatchBuilder } from '../../../actors/sampler/partition-sampler-builder.js';
import { PartitionOwner } from '../../../actors/sampler/partition-sampler-owner.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer, type ProducerConfig } from '../../../actors/batch/batch-producer.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { partitionGraph } from '../../../graph-store/partition.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { buildCora, haveCora, needsCora } from '../../helpers/cora.js';
import { Xoshiro128 } from '../../../runtime/prng.js';
import { openParts, peersOf, expectSameBatch } from '../../helpers/partitions.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-partitioned-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function config(fanouts: number[], fused: boolean, seed: number): ProducerConfig {
  return {
    sampler: { strategy: 'uniform', fanouts, seed },
    fuseFirstLayer: fused,
    numNegatives: 0,
  };
}

async function compare(
  whole: SharedGraph,
  owners: PartitionOwner[],
  cases: { fanouts: number[]; fused: boolean }[],
  batches: number,
  batchSize: number,
): Promise<number[]> {
  const calls = owners.map(() => 0);
  const peers = peersOf(owners, calls);
  const rng = new Xoshiro128(99);
  for (const c of cases) {
    for (const seed of [0, 7]) {
      const cfg = config(c.fanouts, c.fused, seed);
      const producer = new BatchProducer(whole, cfg);
      const builders = owners.map((o) => new PartitionBatchBuilder(o, peers, cfg));
      for (let b = 0; b < batches; b++) {
        // Distinct random seeds, as an epoch plan hands them out.
        const chosen = new Set<number>();
        while (chosen.size < batchSize) chosen.add(rng.below(whole.numNodes));
        const seeds = Int32Array.from(chosen);
        const req = { kind: 'node' as const, epoch: 1, batch: b, batchSeed: rng.nextU32(), seeds };
        const want = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
        // Any owner may build any batch: round-robin over them, as samplerOf assigns batches.
        const got = await builders[b % builders.length].produce(req);
        expectSameBatch(want, got, `fanouts ${c.fanouts} fused ${c.fused} seed ${seed} batch ${b}`);
      }
    }
  }
  return calls;
}

describe('partitioned expansion on a powerlaw graph', () => {
  const g = join(tmp, 'powerlaw');
  let whole: SharedGraph;
  beforeAll(async () => {
    await synthPowerlaw({ nodes: 3000, edges: 24000, featureDim: 12, classes: 5, seed: 3 }, g, {
      featureDtype: 'float16',
    });
    whole = await openGraph(g);
  });

  for (const parts of [2, 3]) {
    it(`${parts} partitions build the whole-graph batches byte for byte`, async () => {
      const dir = join(tmp, `powerlaw-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      // Each part holds about 1/P of the rows.
      for (const o of owners) expect(o.part.numNodes).toBeLessThan((1.2 * whole.numNodes) / parts);
      const calls = await compare(
        whole,
        owners,
        [
          { fanouts: [5, 3], fused: true },
          { fanouts: [4, 4], fused: false },
          { fanouts: [-1, 2], fused: true },
          { fanouts: [3, 2, 2], fused: false },
        ],
        6,
        32,
      );
      // Every owner was asked: the batches really crossed partitions.
      for (const c of calls) expect(c).toBeGreaterThan(0);
    }, 30_000);
  }

  it('serves only owned nodes and counts its traffic', async () => {
    const dir = join(tmp, 'powerlaw-p2-own');
    await partitionGraph(g, 2, dir);
    const owners = await openParts(dir, 2);
    const foreign = owners[1].part.partition!.globalIds[0];
    expect(() =>
      owners[0].rows({
        nodes: Int32Array.of(foreign),
        degrees: true,
        features: false,
        labels: false,
      }),
    ).toThrow(/not owned by partition 0/);
    const calls = [0, 0];
    const b = new PartitionBatchBuilder(owners[0], peersOf(owners, calls), config([4, 4], true, 1));
    const seeds = Int32Array.from(owners[1].part.partition!.globalIds.subarray(0, 16));
    await b.produce({ kind: 'node', epoch: 0, batch: 0, batchSeed: 5, seeds });
    const t = b.traffic;
    // Seeds all remote: one rows + one expand request per hop, plus the last hop's feature rows.
    expect(t.expandRequests).toBe(2);
    expect(t.rowRequests).toBe(3);
    expect(t.remoteNodesExpanded).toBeGreaterThanOrEqual(16);
    expect(t.remoteFeatureBytes).toBe(t.remoteFeatureRows * 12 * 4);
    expect(t.wireBytes).toBeGreaterThan(t.remoteFeatureBytes);
    expect(calls[0]).toBe(0);
  });
});

describe.skipIf(!haveCora)(needsCora('partitioned expansion on Cora'), () => {
  it('2 and 3 partitions build the whole-graph batches byte for byte', async () => {
    const g = join(tmp, 'cora');
    await buildCora(g);
    const whole = await openGraph(g);
    for (const parts of [2, 3]) {
      const dir = join(tmp, `cora-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      await compare(
        whole,
        owners,
        [
          { fanouts: [25, 10], fused: true },
          { fanouts: [10, 5], fused: false },
        ],
        4,
        70,
      );
    }
  }, 60_000);
});

// Negatives of a typed graph's link evaluation: every one is a node of the predicted relation's
// destination type (jobs for member→job applications), never a member, skill or company; and the
// evaluation extras flag exactly those negatives that are true pairs of the split.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { linkEvalExtras, linkHistory } from '../../../actors/plan/link-history.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-dstneg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('destination-type negatives', () => {
  it('draw evaluation negatives among the destination type only, and flag true pairs', async () => {
    const dir = join(tmp, 'market');
    await synthMarketplace({ members: 400, seed: 2 }, dir);
    const g = await openGraph(dir);
    const spec = applyOverrides(defaultJobSpec(), {
      graph: dir,
      task: 'link',
      'sampling.strategy': 'temporal',
      'sampling.fanouts': '3,3',
    });
    const seeds = seedsOf(spec, g);
    const [lo, hi] = seeds.negativeRange!;
    const relation = g.edgeTypes.find((e) => e.hasTimestamps)!;
    const dstType = g.nodeTypes.find((t) => t.name === relation.dst)!;
    expect([lo, hi]).toEqual([dstType.offset, dstType.offset + dstType.count]);
    const producer = new BatchProducer(g, producerConfigs(spec, seeds.negativeRange).eval);
    const req = requestFor(seeds.source, seeds.test, 1_000_001, 0, 256, 7);
    const fields = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
    const neg = fields.neg as Int32Array;
    expect(neg.length).toBe(20 * (fields.src as Int32Array).length);
    for (const r of neg) {
      const id = fields.seeds[r];
      expect(id >= lo && id < hi, `negative ${id} outside [${lo}, ${hi})`).toBe(true);
    }
    // The filter, checked against the test pairs listed directly from the seed source.
    const source = seeds.source as { src: Int32Array; dst: Int32Array };
    const testPairs = new Set(Array.from(seeds.test, (e) => `${source.src[e]}>${source.dst[e]}`));
    const h = linkHistory(seeds.source, { val: seeds.val, test: seeds.test }, 'test')!;
    const x = linkEvalExtras(fields, h);
    const k = 20;
    const src = fields.src as Int32Array;
    for (let i = 0; i < src.length; i++)
      for (let j = 0; j < k; j++) {
        const pair = `${fields.seeds[src[i]]}>${fields.seeds[neg[i * k + j]]}`;
        expect(x.evKnown[i * k + j]).toBe(testPairs.has(pair) ? 1 : 0);
      }
  });
});

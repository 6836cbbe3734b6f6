// A link job on a generated user–item log (most test ratings from new users) with structural
// features and ID embeddings: it trains end to end through the typed build, warns at start that most
// evaluation sources are new (the `warning` event of metrics.jsonl, which weft train and weft launch
// print), and scores the model and both baselines on the same pairs.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { generateUserItem, writeUserItemTables } from '../../../graph-store/synth-user-item.js';
import { tempDir } from '../../graph-store/helpers.js';
import { finish } from '../../helpers/launched-job.js';

const tmp = tempDir('weft-cold-start-');
afterAll(tmp.cleanup);

let built: Promise<string> | undefined;
/** The typed graph, built once for both placements. */
const userItemGraph = () => (built ??= buildUserItemGraph());

/** The `warning` events of a run's metrics.jsonl. */
const warningsOf = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; kind?: string; detail?: string })
    .filter((e) => e.type === 'event' && e.kind === 'warning');

const coldSpec = (graph: string, out: string, overrides: Record<string, unknown> = {}) =>
  applyOverrides(defaultJobSpec(), {
    graph,
    out,
    name: 'cold-start',
    task: 'link',
    'link.edgeType': 'user__rated__item',
    'model.hidden': 16,
    'model.structuralFeatures': true,
    'model.idEmbedding.enabled': true,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 256,
    'train.epochs': 1,
    ...overrides,
  });

async function buildUserItemGraph(): Promise<string> {
  const data = generateUserItem({ users: 400, items: 80, genres: 4, seed: 2 });
  const t = writeUserItemTables(data, tmp.dir);
  const inputs = join(tmp.dir, 'graph.yaml');
  writeFileSync(
    inputs,
    `nodes:
  - type: user
    file: ${t.users}
    features: [likes_genre0, likes_genre1, likes_genre2, likes_genre3, age]
  - type: item
    file: ${t.items}
    features: [genre0, genre1, genre2, genre3]
edges:
  - file: ${t.ratings}
    relation: rated
    src: user
    dst: item
    srcColumn: user
    dstColumn: item
    timestamp: timestamp
reverse: true
`,
  );
  const out = join(tmp.dir, 'graph');
  await buildTypedGraph({ inputs, out });
  return out;
}

describe('a link job whose evaluation users are mostly new', () => {
  it('warns at start with ID embeddings on, and trains with structural features', async () => {
    const graph = await userItemGraph();
    const out = join(tmp.dir, 'run');
    const r = await runTraining(coldSpec(graph, out, { 'sampling.handoff': 'inline' }));
    const events = warningsOf(out);
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatch(
      /^\d+ % of validation and test pairs come from sources with no training edges/,
    );
    expect(events[0].detail).toContain('model.idEmbedding.rowDropout');
    expect(events[0].detail).not.toContain('consider model.structuralFeatures');
    // Model and baselines scored on the same pairs.
    for (const k of ['auc', 'popularity_auc', 'seen_before_auc']) {
      expect(r.test[k]).toBeGreaterThan(0);
      expect(r.test[k]).toBeLessThan(1);
    }
  }, 300_000);

  it('says the same warning when launched: sampler 0 computes it from the seeds it holds', async () => {
    const graph = await userItemGraph();
    const out = join(tmp.dir, 'launched');
    const job = await LaunchedJob.start(coldSpec(graph, out, { 'cluster.nats': 'local' }));
    await finish(job);
    const events = warningsOf(out);
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatch(
      /^\d+ % of validation and test pairs come from sources with no training edges/,
    );
  }, 300_000);
});

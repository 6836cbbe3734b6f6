// `weft eval` and `weft embed` on a launched run that checkpointed to a JetStream object store: the run
// records where (bucket, NATS servers), eval reproduces its last validation, embed equals a path-store run's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedResults } from '../../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { embedRun } from '../../../actors/inference/embed-run.js';
import { readEmbeddings } from '../../../actors/inference/embedding-format.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import {
  CHECKPOINT_LOCATOR_FILE,
  readCheckpointLocator,
} from '../../../actors/parameter-server/checkpoint-locator.js';
import { versionDirName } from '../../../actors/parameter-server/checkpoint.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { ConfigError } from '../../../runtime/errors.js';
import { findNatsServer, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const haveServer = findNatsServer() !== undefined;
if (!haveServer) console.warn('nats-server not installed: skipping eval/embed of a JetStream run');

const tmp = mkdtempSync(join(tmpdir(), 'weft-js-inference-'));
const graphDir = join(tmp, 'g');
const jsRun = join(tmp, 'js-run');
const pathRun = join(tmp, 'path-run');
let server: NatsServer | undefined;

beforeAll(async () => {
  await synthPowerlaw({ nodes: 1500, edges: 12000, featureDim: 8, classes: 3, seed: 4 }, graphDir);
});
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const specFor = (name: string, out: string, store: 'path' | 'jetstream', nats: string) =>
  applyOverrides(defaultJobSpec(), {
    name,
    graph: graphDir,
    out,
    'model.hidden': 16,
    'sampling.fanouts': '4,4',
    'sampling.batchSize': 32,
    'train.epochs': 2,
    'train.maxStepsPerEpoch': 8,
    'train.checkpointEvery': 1,
    'train.checkpointStore': store,
    'runtime.transport': 'nats',
    'eval.maxNodes': 200,
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
    'cluster.nats': nats,
  });

async function launch(spec: ReturnType<typeof specFor>): Promise<DistributedResults> {
  const job = await LaunchedJob.start(spec);
  try {
    return await job.wait();
  } finally {
    await job.stop();
  }
}

const lastVal = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; val?: Record<string, number> })
    .filter((l) => l.type === 'eval')
    .pop()!.val!;

async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!haveServer)('eval and embed of a JetStream-checkpointed run', () => {
  it('records the store, reproduces the last validation and embeds as a path-store run does', async () => {
    // The test's own JetStream server (its files in the run's folder), alive after the job ends.
    server = await startNatsServer({ jetStreamDir: join(jsRun, 'jetstream') });
    const r = await launch(specFor('js-inference', jsRun, 'jetstream', server.url));
    await launch(specFor('path-inference', pathRun, 'path', server.url));

    const loc = readCheckpointLocator(jsRun)!;
    expect(loc).toEqual({
      store: 'jetstream',
      where: 'jetstream://weft-ckpt-js-inference',
      bucket: 'weft-ckpt-js-inference',
      nats: [server.url],
    });
    expect(r.checkpoint_store).toEqual(loc);
    expect(readCheckpointLocator(pathRun)!.store).toBe('path');

    const report = await evaluateRun(jsRun, { split: 'val', checkpoint: 'latest' });
    expect(report.scored).toBe('latest');
    expect(report.checkpoint_dir).toBe('jetstream://weft-ckpt-js-inference/v000000016');
    expect(report.checkpoint_step).toBe(16);
    expect(report.epoch).toBe(2); // counted from 1: the second of two epochs;
    expect(report.val).toEqual(lastVal(jsRun));
    expect(report.val!.accuracy).toBeGreaterThan(0.34); // 3 classes

    // By default the best validation's checkpoint, as results.json reports it, from the object store.
    const best = await evaluateRun(jsRun, { split: 'val' });
    expect(best.scored).toBe('best');
    expect([8, 16]).toContain(r.best_checkpoint!.step);
    expect(r.best_checkpoint!.location).toBe(
      `jetstream://weft-ckpt-js-inference/${versionDirName(r.best_checkpoint!.step)}`,
    );
    expect(best.checkpoint_dir).toBe(r.best_checkpoint!.location);
    expect(best.epoch).toBe(r.best_epoch);
    expect(best.val).toEqual(r.val);

    const a = await embedRun(jsRun, { out: join(tmp, 'emb'), checkpoint: 'latest' });
    const b = await embedRun(pathRun, { out: join(tmp, 'emb'), checkpoint: 'latest' });
    expect(a.manifest.source.checkpointDir).toBe(report.checkpoint_dir);
    const ea = readEmbeddings(join(tmp, 'emb'), 'js-inference');
    const eb = readEmbeddings(join(tmp, 'emb'), 'path-inference');
    expect(ea.manifest.count).toBe(1500);
    expect(ea.ids).toEqual(eb.ids);
    expect(ea.embeddings).toEqual(eb.embeddings);
    expect(b.manifest.source.checkpointStep).toBe(16);

    // A wrong --nats names the flag and the store.
    const e = await thrown(evaluateRun(jsRun, { split: 'val', nats: 'nats://127.0.0.1:1' }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('--nats');
    expect(e.message).toContain('jetstream://weft-ckpt-js-inference');
    expect(e.message).toContain(CHECKPOINT_LOCATOR_FILE);

    // The server gone, no --nats: the run's JetStream folder is opened with a private server.
    await server.stop();
    server = undefined;
    const again = await evaluateRun(jsRun, { split: 'val', checkpoint: 'latest' });
    expect(again.val).toEqual(report.val);
  }, 120_000);
});

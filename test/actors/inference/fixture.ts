// Tiny trained runs for the inference tests: a powerlaw graph with a one-epoch node-classification
// run, and a marketplace with a one-epoch link-prediction run, all under one temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { type TrainResults } from '../../../actors/coordinator/run-results.js';
import { defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { synthMarketplace, synthPowerlaw } from '../../../graph-store/index.js';

export interface TrainedFixture {
  root: string;
  graph: string;
  runDir: string;
  spec: JobSpec;
  results: TrainResults;
}

export function tempRoot(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function smallSpec(name: string, graph: string, out: string, task: 'node' | 'link'): JobSpec {
  const spec = defaultJobSpec();
  spec.name = name;
  spec.graph = graph;
  spec.out = out;
  spec.task = task;
  spec.model.hidden = 16;
  spec.sampling.fanouts = [5, 5];
  spec.sampling.batchSize = 256;
  spec.sampling.handoff = 'inline';
  spec.train.epochs = 1;
  spec.train.seed = 7;
  return spec;
}

/** A 3,000-node powerlaw graph and a one-epoch node-classification run on it. */
export async function trainNodeRun(
  root: string,
  edit: (spec: JobSpec) => void = () => undefined,
): Promise<TrainedFixture> {
  const graph = join(root, 'powerlaw');
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 11 }, graph);
  const spec = smallSpec('inf-node', graph, join(root, 'run-node'), 'node');
  edit(spec);
  const results = await runTraining(spec);
  return { root, graph, runDir: spec.out, spec, results };
}

/** A marketplace of 1,500 members (four node types) and a one-epoch link-prediction run on it. */
export async function trainLinkRun(root: string): Promise<TrainedFixture> {
  const graph = join(root, 'market');
  await synthMarketplace({ members: 1500, featureDim: 16, seed: 5 }, graph);
  const spec = smallSpec('inf-link', graph, join(root, 'run-link'), 'link');
  const results = await runTraining(spec);
  return { root, graph, runDir: spec.out, spec, results };
}

/** Both runs, trained once before a test file's tests (in a temporary directory removed after them). */
export interface TrainedPair {
  /** The temporary directory: outputs of the tests go beside the runs. */
  dir: string;
  node: TrainedFixture;
  link: TrainedFixture;
}

/** Registers beforeAll/afterAll that train a node and a link run for this file; read them in tests. */
export function trainedPairForFile(
  prefix: string,
  editNode?: (spec: JobSpec) => void,
): TrainedPair {
  const tmp = tempRoot(prefix);
  const pair = { dir: tmp.dir } as TrainedPair;
  beforeAll(async () => {
    pair.node = await trainNodeRun(tmp.dir, editNode);
    pair.link = await trainLinkRun(tmp.dir);
  }, 90_000);
  afterAll(tmp.cleanup);
  return pair;
}

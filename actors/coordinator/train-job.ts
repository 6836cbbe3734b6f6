// `weft train`: the one job driver over the embedded placement — every actor in this process, the
// trainer on a worker thread, batches through shared memory (docs/architecture.md).
import type { JobSpec } from '../job-spec.js';
import { EmbeddedPlacement } from './embedded-placement.js';
import { runJob, type JobOptions } from './job-driver.js';
import type { JobResults } from './run-results.js';

export type TrainOptions = JobOptions;

/** Runs a whole training job on this machine and writes RUN_DIR/{results.json, metrics.jsonl, checkpoints/}. */
export async function runTraining(spec: JobSpec, options: TrainOptions = {}): Promise<JobResults> {
  return runJob(await EmbeddedPlacement.open(spec), options);
}

// Weft's public API, what `import ... from 'weft'` gives (docs/api.md): graphs, samplers, job specs,
// training on this machine or as processes over NATS, evaluation and embeddings, and the actor runtime.

import { LaunchedJob, type LaunchOptions } from './actors/distributed/launcher.js';
import type { JobSpec } from './actors/job-spec.js';

// Graphs: open a graph directory into shared memory, build one from files, generate synthetic ones.
export {
  buildGraph,
  graphInfo,
  GraphFormatError,
  openGraph,
  partitionGraph,
  readManifest,
  SharedGraph,
  synthMarketplace,
  synthPowerlaw,
  type BuildGraphOptions,
  type GraphInfo,
  type GraphManifest,
  type MarketplaceOptions,
  type OpenGraphOptions,
  type PartitionOptions,
  type PowerlawOptions,
} from './graph-store/index.js';

// Neighbour samplers over a graph's CSR, or over any store behind the two sampling interfaces.
export { createSampler, NeighborSampler } from './kernels/sampling/neighbor-sampler.js';
export { LocalFeatureSource, LocalNeighborStore } from './kernels/sampling/local-neighbor-store.js';
export type {
  DrawnEdges,
  HopRows,
  NeighborStore,
  NodeFeatureSource,
  RowWindows,
} from './kernels/sampling/neighbor-store.js';
export type {
  SampledBlock,
  SampledSubgraph,
  SamplerOptions,
  SamplingStrategy,
} from './kernels/sampling/types.js';

// Job specs: the YAML file of `weft train`, validated field by field (docs/job-spec.md).
export {
  applyOverrides,
  defaultJobSpec,
  loadJobSpec,
  parseJobSpec,
  type JobSpec,
} from './actors/job-spec.js';

// Training: on this machine (what `weft train` runs) and as one process per actor (`weft launch`).
export { runTraining as train, type TrainOptions } from './actors/coordinator/train-job.js';
export type { EpochSummary, Progress, TrainResults } from './actors/coordinator/run-results.js';
export {
  LaunchedJob,
  LaunchError,
  type LaunchEvent,
  type LaunchOptions,
  type LaunchRecord,
} from './actors/distributed/launcher.js';
export type { DistributedResults } from './actors/distributed/distributed-job.js';

// Trained runs: evaluate a checkpoint (`weft eval`), write and read node embeddings (`weft embed`).
export {
  embedRun as embed,
  type EmbedOptions,
  type EmbedResult,
} from './actors/inference/embed-run.js';
export {
  evaluateRun as evaluate,
  type EvalReport,
  type EvaluateOptions,
} from './actors/inference/evaluate-run.js';
export { readEmbeddings, type Embeddings } from './actors/inference/embedding-format.js';

// The actor runtime: actors with typed protocols, in threads, processes or over NATS.
export { ActorSystem, type ActorRef, type SpawnOptions } from './runtime/actor-system.js';
export {
  Actor,
  defineProtocol,
  implement,
  on,
  type ActorContext,
  type Protocol,
} from './runtime/actor.js';
export { moduleUrl } from './runtime/module-url.js';
export { s, parse, SchemaError, type Infer, type Schema } from './runtime/schema.js';
export { ConfigError, InputError, WeftError } from './runtime/errors.js';

/** Starts a job as one process per actor over NATS (`weft launch`); `await job.wait()` gives its results. */
export function launch(spec: JobSpec, options: LaunchOptions = {}): Promise<LaunchedJob> {
  return LaunchedJob.start(spec, options);
}

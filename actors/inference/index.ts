// Inference on trained runs: `weft eval` (metrics of a checkpoint) and `weft embed` (versioned node
// embeddings with a manifest), and the reader of that embedding format.
export {
  evaluateRun,
  type EvalReport,
  type EvalSplit,
  type EvaluateOptions,
} from './evaluate-run.js';
export { embedRun, nodeRange, type EmbedOptions, type EmbedResult } from './embed-run.js';
export {
  EMBEDDINGS_FORMAT,
  EMBEDDINGS_FORMAT_VERSION,
  latestEmbeddingVersion,
  listEmbeddingVersions,
  modelDirName,
  readEmbeddingManifest,
  readEmbeddings,
  versionName,
  type EmbeddingFileEntry,
  type EmbeddingManifest,
  type Embeddings,
} from './embedding-format.js';
export {
  EmbeddingSink,
  EmbeddingVersionTakenError,
  writeEmbeddingVersion,
  type EmbeddingHeader,
  type WrittenEmbeddings,
} from './embedding-writer.js';
export { EMBED_EPOCH, NodeEncoder } from './node-encoder.js';
export {
  loadTrainedRun,
  modelParams,
  openTrainedRun,
  openRunGraph,
  setRunParams,
  type TrainedRun,
} from './trained-run.js';

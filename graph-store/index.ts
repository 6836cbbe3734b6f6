// The graph store's public surface in one import: loading and sharing a graph, building and generating
// one, partitioning, summaries, and the format's types. Implementation files stay importable directly.
export * from './types.js';
export { GraphFormatError } from './errors.js';
export { openGraph, bytesToLoad, type OpenGraphOptions } from './open-graph.js';
export {
  SharedGraph,
  fromHandle,
  type GraphHandle,
  type PartitionView,
  type SharedArrayName,
  type SharedArrayRef,
} from './shared-graph.js';
export { buildGraph, type BuildGraphOptions } from './build-graph.js';
export { buildTypedGraph, type BuildTypedGraphOptions } from './build-typed-graph.js';
export { readTypedInputs, type TypedInputs } from './typed-input-spec.js';
export { readIdMap, originalIdLookup } from './id-map.js';
export {
  synthPowerlaw,
  generatePowerlawTopology,
  PowerlawFeatures,
  defaultPowerlawNoise,
  POWERLAW_DEFAULTS,
  type PowerlawOptions,
} from './synth-powerlaw.js';
export {
  synthMarketplace,
  generateMarketplace,
  marketplaceSizes,
  MarketplaceFeatures,
  type MarketplaceOptions,
  type MarketplaceGraph,
} from './synth-marketplace.js';
export { partitionGraph, type PartitionOptions } from './partition.js';
export { partOf, fmix32, partDirName } from './partition-rule.js';
export {
  graphInfo,
  formatGraphInfo,
  degreeStats,
  type GraphInfo,
  type PartitionsInfo,
} from './graph-info.js';
export { gatherFloat32, gatherFloat16, gatherInt8 } from './feature-gather.js';
export type { Int8Rows, RowGather } from './feature-gather.js';
export {
  FORMAT_NAME,
  FORMAT_VERSION,
  readManifest,
  validateManifest,
  type GraphManifest,
  type FileEntry,
  type PartitionsIndex,
} from './manifest.js';

// What every synthetic generator writes after its edges: features streamed from a row generator in
// 4 MiB chunks, labels, the split and optional partitions, then the finished directory's commit.
import { join } from 'node:path';
import { FeatureSink } from './feature-sink.js';
import { writeLabels, writeSplit } from './graph-arrays-writer.js';
import type { GraphWriter } from './graph-writer.js';
import type { GraphManifest } from './manifest.js';
import { partitionGraph } from './partition.js';
import type { FeatureDtype } from './types.js';

/** The output options of `weft graph synth`, shared by every generator. */
export interface SynthWriteOptions {
  featureDtype?: FeatureDtype;
  partitions?: number;
  replace?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** A feature generator: fills up to `rows` rows of `out`, in node order; returns how many (0 at the end). */
export interface FeatureRows {
  fill(out: Float32Array, rows: number): number;
}

/**
 * Writes the features (when `dim` > 0), labels and split of a generated graph into `m`, partitions
 * it if asked, and commits the directory; returns the manifest.
 */
export async function finishSynthGraph(
  w: GraphWriter,
  m: GraphManifest,
  data: { dim: number; features: () => FeatureRows; labels: Int32Array; split: Uint8Array },
  opts: SynthWriteOptions,
): Promise<GraphManifest> {
  const { dim } = data;
  if (dim > 0) {
    const sink = new FeatureSink(w, dim, opts.featureDtype ?? 'float32');
    try {
      const gen = data.features();
      const rows = Math.max(1, Math.floor((4 << 20) / (4 * dim)));
      const buf = new Float32Array(rows * dim);
      for (let done = 0, got; (got = gen.fill(buf, rows)) > 0; done += got) {
        sink.writeRows(buf, got);
        opts.onProgress?.('features', done + got, m.numNodes);
      }
      m.features = sink.close();
    } finally {
      sink.discard();
    }
  }
  m.labels = writeLabels(w, data.labels);
  m.split = writeSplit(w, data.split);
  if (opts.partitions !== undefined) {
    w.writeJson(m);
    await partitionGraph(w.root, opts.partitions, join(w.root, 'parts'));
    m.partitions = { count: opts.partitions, rule: 'fmix32-mod', dir: 'parts' };
  }
  w.commit(m);
  return m;
}

// The feature columns each node type fills, as per-type input projections read them: the manifest's
// own columns for typed inputs, nothing for a featureless type, the whole row otherwise.
import type { ManifestNodeType } from './manifest.js';

/** Per node type, in manifest order: columns [start, start + width) of its rows (width 0: none). */
export function typeColumnsOf(m: {
  nodeTypes: readonly Pick<ManifestNodeType, 'features'>[];
  features?: { dim: number };
}): { start: number; width: number }[] {
  const dim = m.features?.dim ?? 0;
  return m.nodeTypes.map((t) => {
    const f = t.features;
    // A 'constant' type stores one column of 1s: it has no features of its own.
    if (f === undefined) return { start: 0, width: dim };
    return f.input === 'constant'
      ? { start: f.start, width: 0 }
      : { start: f.start, width: f.width };
  });
}

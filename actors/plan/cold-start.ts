// The cold-start slice of a link evaluation: sources with fewer than COLD_START_TRAIN_EDGES training
// interactions (LiGNN's cold members), flagged per node so metrics can be restricted to them.
import type { SeedSource } from './seed-source.js';

/** A source is cold when it has fewer training interactions than this. */
export const COLD_START_TRAIN_EDGES = 3;

/** Per node, 1 where it is the source of fewer than COLD_START_TRAIN_EDGES training edges. */
export function coldSources(
  source: SeedSource,
  held: { val: Int32Array; test: Int32Array },
): Uint8Array | undefined {
  if (source.kind !== 'link') return undefined;
  let numNodes = 1;
  for (const v of source.src) if (v >= numNodes) numNodes = v + 1;
  const heldOut = new Uint8Array(source.src.length);
  for (const e of held.val) heldOut[e] = 1;
  for (const e of held.test) heldOut[e] = 1;
  const count = new Int32Array(numNodes);
  for (let e = 0; e < source.src.length; e++) if (!heldOut[e]) count[source.src[e]]++;
  return Uint8Array.from(count, (c) => (c < COLD_START_TRAIN_EDGES ? 1 : 0));
}

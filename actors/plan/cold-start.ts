// The cold-start slice of a link evaluation: sources with fewer than COLD_START_EDGES edges before
// the split (LiGNN's cold members: few or no earlier interactions). Each evaluation positive carries
// the flag in its batch (plan/link-history.ts), so the slice is scored the same in every placement.

/** A source is cold when it has fewer edges before the split than this. */
export const COLD_START_EDGES = 3;

/** 1 when a source with `earlier` edges before the split belongs to the cold-start slice. */
export function isColdSource(earlier: number): 0 | 1 {
  return earlier < COLD_START_EDGES ? 1 : 0;
}

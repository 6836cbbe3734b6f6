// How dense parameters spread over parameter-server shards: whole tensors balanced by size, tensors larger
// than a shard's fair share cut into contiguous ranges. Every process computes the same plan from the sizes.

/** One contiguous range [start, end) of a named parameter, held by one shard under `key`. */
export interface ParamSlice {
  name: string;
  start: number;
  end: number;
  /** `name@start`: the slice's name on the shard (its optimizer state and checkpoint entries use it). */
  key: string;
}

export interface ShardPlan {
  readonly numShards: number;
  /** slices[p]: what shard p holds, in a fixed order. */
  readonly slices: readonly (readonly ParamSlice[])[];
  /** Length of every parameter. */
  readonly lengths: ReadonlyMap<string, number>;
}

/**
 * Plans `numShards` shards over parameters of the given lengths. A tensor longer than
 * ceil(total / numShards) is split into ranges of at most that length (the optimizers are
 * element-wise, so a range updates exactly as the whole would); slices then go, largest first,
 * to the least loaded shard. Ties break by name, so the plan is the same in every process.
 */
export function planShards(lengths: Iterable<[string, number]>, numShards: number): ShardPlan {
  if (!Number.isInteger(numShards) || numShards < 1)
    throw new RangeError(`numShards must be a positive integer, got ${numShards}`);
  const entries = [...lengths].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const total = entries.reduce((n, [, len]) => n + len, 0);
  const share = Math.max(1, Math.ceil(total / numShards));
  const pieces: ParamSlice[] = [];
  for (const [name, len] of entries) {
    if (len <= share) {
      pieces.push({ name, start: 0, end: len, key: `${name}@0` });
      continue;
    }
    for (let start = 0; start < len; start += share) {
      const end = Math.min(len, start + share);
      pieces.push({ name, start, end, key: `${name}@${start}` });
    }
  }
  pieces.sort((a, b) => b.end - b.start - (a.end - a.start) || (a.key < b.key ? -1 : 1));
  const load = new Array<number>(numShards).fill(0);
  const slices: ParamSlice[][] = Array.from({ length: numShards }, () => []);
  for (const piece of pieces) {
    let best = 0;
    for (let p = 1; p < numShards; p++) if (load[p] < load[best]) best = p;
    slices[best].push(piece);
    load[best] += piece.end - piece.start;
  }
  for (const list of slices) list.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { numShards, slices, lengths: new Map(entries) };
}

/**
 * Cuts full tensors into each shard's slices (views, no copies). `suffix` selects companion
 * tensors: '' the parameters themselves, '#m' an optimizer slot stored as `name#m`.
 */
export function splitByPlan(
  plan: ShardPlan,
  full: ReadonlyMap<string, Float32Array>,
  suffix = '',
): Record<string, Float32Array>[] {
  return plan.slices.map((list) => {
    const out: Record<string, Float32Array> = {};
    for (const sl of list) {
      const t = full.get(sl.name + suffix);
      if (!t) throw new RangeError(`no tensor '${sl.name}${suffix}' to split`);
      if (t.length !== plan.lengths.get(sl.name))
        throw new RangeError(
          `tensor '${sl.name}${suffix}' has ${t.length} values, the plan ${plan.lengths.get(sl.name)}`,
        );
      out[sl.key + suffix] = t.subarray(sl.start, sl.end);
    }
    return out;
  });
}

/** Joins every shard's slices (keyed `key` + suffix) back into full tensors (keyed `name` + suffix). */
export function assembleByPlan(
  plan: ShardPlan,
  perShard: readonly Record<string, Float32Array>[],
  suffix = '',
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, len] of plan.lengths) out.set(name + suffix, new Float32Array(len));
  plan.slices.forEach((list, p) => {
    for (const sl of list) {
      const part = perShard[p]?.[sl.key + suffix];
      if (!part || part.length !== sl.end - sl.start)
        throw new RangeError(`shard ${p} did not return '${sl.key}${suffix}'`);
      out.get(sl.name + suffix)!.set(part, sl.start);
    }
  });
  return out;
}

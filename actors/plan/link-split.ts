// The link-prediction split: the edges of one relation ordered by time, the newest held out for
// validation and test, so a model is always judged on interactions later than those it trained on.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { edgeTypeKey, type EdgeTypeInfo } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';

export interface LinkSplit {
  edgeType: string;
  /** Pair arrays over shared memory, ordered by time; the seed source of every batch. */
  src: Int32Array;
  dst: Int32Array;
  times: Float64Array;
  /** Edge ids (indices into src/dst/times) of each split. */
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Global id range of the destination node type: where negatives are drawn from. */
  negativeRange: [number, number];
}

function shared<T extends Int32Array | Float64Array>(
  ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  n: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(8, n * ctor.BYTES_PER_ELEMENT))).subarray(
    0,
    n,
  ) as T;
}

/**
 * The relation a link job predicts: the named one, else the only one, else the first timestamped
 * one. It must carry timestamps (the split and the sampling are by time).
 */
export function chooseLinkRelation(types: readonly EdgeTypeInfo[], edgeType: string): EdgeTypeInfo {
  let chosen = edgeType ? types.find((e) => edgeTypeKey(e) === edgeType) : undefined;
  if (edgeType && !chosen) {
    throw new ConfigError(
      `no edge type '${edgeType}'; the graph has ${types.map(edgeTypeKey).join(', ')}`,
      { field: 'link.edgeType' },
    );
  }
  chosen ??= types.length === 1 ? types[0] : types.find((e) => e.hasTimestamps);
  if (!chosen)
    throw new ConfigError('the graph has several edge types and none with timestamps; name one', {
      field: 'link.edgeType',
    });
  if (!chosen.hasTimestamps) {
    throw new ConfigError(
      `relation ${edgeTypeKey(chosen)} has no timestamps: link prediction holds out the newest edges and samples only edges before each pair, so it needs a timestamp column (weft graph build --ts-col)`,
      { field: 'link.edgeType' },
    );
  }
  return chosen;
}

/** A split stored by `weft graph build` as edge times: train 1..T, validation T+1, test T+2. */
export type StoredSplit = EdgeTypeInfo['linkSplit'];

/**
 * The sizes of a stored split read off the ordered times; any other time means the relation's times
 * are not the split's order (a hand-edited graph), which could show held-out edges to training.
 */
function storedSizes(
  times: Float64Array,
  stored: NonNullable<StoredSplit>,
  edgeType: string,
): { numVal: number; numTest: number } {
  const t = stored.train;
  let numVal = 0;
  let numTest = 0;
  for (let i = 0; i < times.length; i++) {
    const x = times[i];
    if (x === t + 1) numVal++;
    else if (x === t + 2) numTest++;
    else if (!(Number.isInteger(x) && x >= 1 && x <= t))
      throw new ConfigError(
        `relation ${edgeType} carries a stored split (${t} training edges) but an edge has time ${x}: the stored order is damaged, so held-out edges could leak into training`,
        { field: 'link.edgeType' },
      );
  }
  return { numVal, numTest };
}

/**
 * Pairs in the whole graph's walk order (source ascending, each row in CSR order) ordered by time,
 * stable for ties, into shared memory, with the newest `testFraction` and the `valFraction` before
 * them held out — or, for a relation with a stored split, exactly its validation and test edges.
 */
export function splitByTime(
  src: Int32Array,
  dst: Int32Array,
  ts: Float64Array,
  edgeType: string,
  valFraction: number,
  testFraction: number,
  stored?: StoredSplit,
): Omit<LinkSplit, 'negativeRange'> {
  const count = src.length;
  // Order by time (stable in (src, dst) order for ties), so the newest edges are held out.
  const order = Int32Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => ts[a] - ts[b] || a - b,
  );
  const out = {
    src: shared(Int32Array, count),
    dst: shared(Int32Array, count),
    times: shared(Float64Array, count),
  };
  for (let i = 0; i < count; i++) {
    out.src[i] = src[order[i]];
    out.dst[i] = dst[order[i]];
    out.times[i] = ts[order[i]];
  }
  const { numVal, numTest } = stored
    ? storedSizes(out.times, stored, edgeType)
    : { numVal: Math.floor(count * valFraction), numTest: Math.floor(count * testFraction) };
  const numTrain = count - numVal - numTest;
  if (numTrain <= 0 || (!stored && valFraction > 0 && numVal === 0)) {
    throw new ConfigError(`relation ${edgeType} has only ${count} edges: too few to split`, {
      field: 'link.valFraction',
    });
  }
  const range = (a: number, b: number) => {
    const r = shared(Int32Array, b - a);
    for (let i = a; i < b; i++) r[i - a] = i;
    return r;
  };
  return {
    edgeType,
    ...out,
    train: range(0, numTrain),
    val: range(numTrain, numTrain + numVal),
    test: range(numTrain + numVal, count),
  };
}

/** Picks the relation (named, else the only one, else the first timestamped one) and splits it by time. */
export function linkSplit(
  g: SharedGraph,
  edgeType: string,
  valFraction: number,
  testFraction: number,
): LinkSplit {
  const types = g.edgeTypes;
  const chosen = chooseLinkRelation(types, edgeType);
  const csr = g.csr;
  const multi = types.length > 1 && csr.edgeType !== undefined;
  let count = 0;
  for (let e = 0; e < csr.numEdges; e++) if (!multi || csr.edgeType![e] === chosen.id) count++;
  const src = new Int32Array(count);
  const dst = new Int32Array(count);
  const ts = new Float64Array(count);
  let k = 0;
  for (let v = 0; v < csr.numNodes; v++) {
    for (let e = csr.indptr[v]; e < csr.indptr[v + 1]; e++) {
      if (multi && csr.edgeType![e] !== chosen.id) continue;
      src[k] = v;
      dst[k] = csr.indices[e];
      ts[k] = csr.timestamps ? csr.timestamps[e] : 0;
      k++;
    }
  }
  const dstType = g.nodeTypes.find((t) => t.name === chosen.dst) ?? {
    offset: 0,
    count: g.numNodes,
  };
  const split = splitByTime(
    src,
    dst,
    ts,
    edgeTypeKey(chosen),
    valFraction,
    testFraction,
    chosen.linkSplit,
  );
  if (chosen.linkSplit) checkNoHeldOutLeak(g, chosen, split);
  return { ...split, negativeRange: [dstType.offset, dstType.offset + dstType.count] };
}

/**
 * A stored split's held-out pairs must not reach training through another relation: an edge joining
 * a held-out pair (either way round) that a training pair can sample — an edge of any relation other
 * than the predicted one and its stored reverse, timed before the first held-out edge — is refused.
 */
export function checkNoHeldOutLeak(
  g: SharedGraph,
  chosen: EdgeTypeInfo,
  split: Omit<LinkSplit, 'negativeRange'>,
): void {
  const held = new Map<number, Set<number>>();
  const add = (a: number, b: number) => {
    let s = held.get(a);
    if (!s) held.set(a, (s = new Set()));
    s.add(b);
  };
  let firstHeldOut = Infinity;
  for (const part of [split.val, split.test])
    for (let k = 0; k < part.length; k++) {
      const e = part[k];
      add(split.src[e], split.dst[e]);
      add(split.dst[e], split.src[e]);
      firstHeldOut = Math.min(firstHeldOut, split.times[e]);
    }
  const reverse = g.edgeTypes.find(
    (e) => e.src === chosen.dst && e.dst === chosen.src && e.rel === `rev_${chosen.rel}`,
  );
  const { indptr, indices, edgeType, timestamps } = g.csr;
  for (let v = 0; v < g.numNodes; v++) {
    const targets = held.get(v);
    if (!targets) continue;
    for (let e = indptr[v]; e < indptr[v + 1]; e++) {
      const type = edgeType ? edgeType[e] : 0;
      if (type === chosen.id || type === reverse?.id) continue;
      if (!targets.has(indices[e]) || (timestamps ? timestamps[e] : 0) >= firstHeldOut) continue;
      const rel = g.edgeTypes[type];
      throw new ConfigError(
        `held-out pair (${v}, ${indices[e]}) of ${edgeTypeKey(chosen)} is also an edge of ${edgeTypeKey(rel)} that training can sample: the model would be judged on an edge it saw`,
        { file: g.dir, field: 'link.edgeType' },
      );
    }
  }
}

/** Node ids of each split from the graph's split mask (node classification). */
export function nodeSplit(g: SharedGraph): {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
} {
  if (!g.split)
    throw new ConfigError(`graph ${g.dir} has no train/val/test split; build it with --split`, {
      field: 'graph',
    });
  if (!g.labels)
    throw new ConfigError(`graph ${g.dir} has no labels; node classification needs --labels`, {
      field: 'graph',
    });
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < g.numNodes; i++) counts[g.split[i]]++;
  const make = (n: number) =>
    new Int32Array(new SharedArrayBuffer(Math.max(8, n * 4))).subarray(0, n);
  const out = [make(counts[1]), make(counts[2]), make(counts[3])];
  const pos = [0, 0, 0];
  for (let i = 0; i < g.numNodes; i++) {
    const sp = g.split[i];
    if (sp >= 1 && sp <= 3) out[sp - 1][pos[sp - 1]++] = i;
  }
  if (out[0].length === 0)
    throw new ConfigError(`graph ${g.dir} has no training nodes in its split`, { field: 'graph' });
  return { train: out[0], val: out[1], test: out[2] };
}

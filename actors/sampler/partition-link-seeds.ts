// Link prediction over hash partitions: the relation to predict, each owner's edges of it, and the
// job's time split rebuilt from all parts exactly as linkSplit builds it from the whole graph.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { edgeTypeKey, type EdgeTypeInfo } from '../../graph-store/types.js';
import { InputError } from '../../runtime/errors.js';
import { chooseLinkRelation, splitByTime, type StoredSplit } from '../plan/link-split.js';
import type { SeedSource } from '../plan/seed-source.js';
import type { LinkEdgesReply } from './partition-protocol.js';

/** The seeds of a link job as seedsOf gives them: the pair arrays, the splits and the negatives' range. */
export interface PartitionedLinkSeeds {
  edgeType: string;
  source: Extract<SeedSource, { kind: 'link' }>;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  negativeRange: [number, number];
}

export { chooseLinkRelation };

/** Global id range of the chosen relation's destination type (where negatives are drawn), from a part. */
export function linkNegativeRange(part: SharedGraph, chosen: EdgeTypeInfo): [number, number] {
  const p = part.partition!;
  const t = p.nodeTypesGlobal.find((n) => n.name === chosen.dst) ?? {
    offset: 0,
    count: p.numNodesGlobal,
  };
  return [t.offset, t.offset + t.count];
}

/**
 * The edges of relation `key` out of the part's own rows: global source ascending (local rows ascend
 * with global ids), each row in CSR order, the order linkSplit walks the whole graph in.
 */
export function ownedLinkEdges(part: SharedGraph, key: string): LinkEdgesReply {
  const chosen = part.edgeTypes.find((e) => edgeTypeKey(e) === key);
  if (!chosen)
    throw new InputError(`partition has no edge type '${key}'`, {
      file: part.dir,
      field: 'edgeType',
    });
  const csr = part.csr;
  const ids = part.partition!.globalIds;
  const multi = part.edgeTypes.length > 1 && csr.edgeType !== undefined;
  const et = csr.edgeType;
  let count = 0;
  for (let e = 0; e < csr.numEdges; e++) if (!multi || et![e] === chosen.id) count++;
  const src = new Int32Array(count);
  const dst = new Int32Array(count);
  const times = new Float64Array(count);
  const ts = csr.timestamps;
  let k = 0;
  for (let v = 0; v < csr.numNodes; v++) {
    const g = ids[v];
    for (let e = csr.indptr[v]; e < csr.indptr[v + 1]; e++) {
      if (multi && et![e] !== chosen.id) continue;
      src[k] = g;
      dst[k] = csr.indices[e];
      times[k] = ts ? ts[e] : 0;
      k++;
    }
  }
  return { src, dst, times };
}

/**
 * Every part's edges merged into the whole graph's walk order (source ascending; a source's edges
 * all come from its one owner, in their order), then ordered by time and split as linkSplit does.
 */
export function splitPartitionedLinks(
  lists: readonly LinkEdgesReply[],
  edgeType: string,
  valFraction: number,
  testFraction: number,
  negativeRange: [number, number],
  stored?: StoredSplit,
): PartitionedLinkSeeds {
  let count = 0;
  for (const l of lists) {
    if (l.dst.length !== l.src.length || l.times.length !== l.src.length)
      throw new InputError('a partition answered link edges of unequal lengths', {
        field: 'linkEdges',
      });
    count += l.src.length;
  }
  const src = new Int32Array(count);
  const dst = new Int32Array(count);
  const ts = new Float64Array(count);
  const at = new Int32Array(lists.length);
  for (let k = 0; k < count; k++) {
    // The part whose next edge has the smallest source (sources are owned by one part only).
    let best = -1;
    for (let p = 0; p < lists.length; p++) {
      if (at[p] >= lists[p].src.length) continue;
      if (best < 0 || lists[p].src[at[p]] < lists[best].src[at[best]]) best = p;
    }
    const l = lists[best];
    const i = at[best]++;
    src[k] = l.src[i];
    dst[k] = l.dst[i];
    ts[k] = l.times[i];
  }
  const split = splitByTime(src, dst, ts, edgeType, valFraction, testFraction, stored);
  return {
    edgeType,
    source: { kind: 'link', src: split.src, dst: split.dst, times: split.times },
    train: split.train,
    val: split.val,
    test: split.test,
    negativeRange,
  };
}

// Exact cosine top-k between two sets of unit rows, in query chunks: the reference densification checks
// an approximate index against, and the search it uses on small graphs.

/** Unit-length rows and the question asked of them; scores are cosine similarities (dot products). */
export interface NeighbourSearch {
  dim: number;
  k: number;
  /** [numBase × dim], each row of length 1 (or all zero). */
  base: Float32Array;
  numBase: number;
  /** [numQueries × dim], each row of length 1 (or all zero). */
  queries: Float32Array;
  numQueries: number;
  /** Whether base row b may answer query q (the time rule, not itself); absent: every row may. */
  allowed?: (q: number, b: number) => boolean;
}

/** Per query, up to k base rows by descending similarity (ties: lower row first), -1 past `count`. */
export interface NeighbourLists {
  k: number;
  /** [numQueries × k] base rows. */
  rows: Int32Array;
  /** [numQueries × k] cosine similarities. */
  scores: Float32Array;
  /** Neighbours found per query (< k where fewer rows are allowed). */
  count: Int32Array;
}

/** Queries scored against every base row per chunk, so a chunk's base rows stay in cache. */
const QUERY_CHUNK = 64;

export function emptyLists(numQueries: number, k: number): NeighbourLists {
  return {
    k,
    rows: new Int32Array(numQueries * k).fill(-1),
    scores: new Float32Array(numQueries * k),
    count: new Int32Array(numQueries),
  };
}

/** Scales every row to unit length in place (all-zero rows stay zero). */
export function normalizeRows(rows: Float32Array, dim: number): void {
  for (let o = 0; o < rows.length; o += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += rows[o + d] * rows[o + d];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) rows[o + d] *= inv;
  }
}

/** Exact top-k of every query (or of the queries listed in `only`, whose lists alone are filled). */
export function exactNeighbours(s: NeighbourSearch, only?: Int32Array): NeighbourLists {
  const out = emptyLists(s.numQueries, s.k);
  const list = only ?? Int32Array.from({ length: s.numQueries }, (_, q) => q);
  for (let c = 0; c < list.length; c += QUERY_CHUNK) {
    const end = Math.min(list.length, c + QUERY_CHUNK);
    for (let i = c; i < end; i++) topOfQuery(s, list[i], out);
  }
  return out;
}

/**
 * Writes query q's k best allowed base rows into its list, kept sorted best first: a candidate that
 * beats the current k-th is inserted from the back (few do once the list is full).
 */
function topOfQuery(s: NeighbourSearch, q: number, out: NeighbourLists): void {
  const { dim, base, queries, numBase, k, allowed } = s;
  const o = q * k;
  const rows = out.rows.subarray(o, o + k);
  const scores = out.scores.subarray(o, o + k);
  const qo = q * dim;
  let size = 0;
  for (let b = 0; b < numBase; b++) {
    if (allowed && !allowed(q, b)) continue;
    const bo = b * dim;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += queries[qo + d] * base[bo + d];
    // Rows come in ascending order, so an equal score never displaces an earlier row.
    if (size === k && dot <= scores[k - 1]) continue;
    let i = size < k ? size++ : k - 1;
    while (i > 0 && scores[i - 1] < dot) {
      scores[i] = scores[i - 1];
      rows[i] = rows[i - 1];
      i--;
    }
    scores[i] = dot;
    rows[i] = b;
  }
  out.count[q] = size;
}

/** Share of the exact lists' rows that the approximate lists also found, over the queries `sample`. */
export function recallOf(
  approx: NeighbourLists,
  exact: NeighbourLists,
  sample: Int32Array,
): number {
  let found = 0;
  let total = 0;
  const k = exact.k;
  for (const q of sample) {
    const o = q * k;
    const mine = new Set(Array.from(approx.rows.subarray(o, o + approx.count[q])));
    for (let i = 0; i < exact.count[q]; i++) if (mine.has(exact.rows[o + i])) found++;
    total += exact.count[q];
  }
  return total === 0 ? 1 : found / total;
}

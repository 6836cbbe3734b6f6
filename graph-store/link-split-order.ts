// A random or user-given link split stored as edge order: training edges (shuffled) get times 1..T,
// validation edges T+1, test edges T+2, so the time-ordered link pipeline holds out exactly these edges
// and samples a training pair's neighbourhood only from training edges. Checks that no held-out pair
// is also a training edge.
import { Mulberry32 } from '../runtime/prng.js';
import { InputError } from '../runtime/errors.js';
import type { EdgeSplit } from './typed-input-spec.js';
import type { RowPlace } from './table-reader.js';
import { SPLIT_NONE, SPLIT_TRAIN, SPLIT_VAL } from './types.js';

/** The stored split of one relation, as the manifest records it. */
export interface StoredLinkSplit {
  mode: 'random' | 'column';
  seed: number;
  train: number;
  val: number;
  test: number;
}

export interface SplitOrder {
  /** Input edge indices kept, in stored order: training, then validation, then test. */
  order: Uint32Array;
  /** Time of each kept edge, in the same order. */
  times: Float64Array;
  split: StoredLinkSplit;
}

/** Edge indices sorted by endpoint pair (both orientations the same pair when undirected). */
function byPair(src: Uint32Array, dst: Uint32Array, undirected: boolean): Uint32Array {
  const lo = undirected ? src.map((s, i) => Math.min(s, dst[i])) : src;
  const hi = undirected ? src.map((s, i) => Math.max(s, dst[i])) : dst;
  return Uint32Array.from({ length: src.length }, (_, i) => i).sort(
    (a, b) => lo[a] - lo[b] || hi[a] - hi[b] || a - b,
  );
}

function samePair(
  src: Uint32Array,
  dst: Uint32Array,
  undirected: boolean,
  a: number,
  b: number,
): boolean {
  if (src[a] === src[b] && dst[a] === dst[b]) return true;
  return undirected && src[a] === dst[b] && dst[a] === src[b];
}

function shuffle(a: Uint32Array, rng: Mulberry32): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function assemble(groups: Uint32Array[], mode: 'random' | 'column', seed: number): SplitOrder {
  const [train, val, test] = groups;
  const n = train.length + val.length + test.length;
  const order = new Uint32Array(n);
  order.set(train, 0);
  order.set(val, train.length);
  order.set(test, train.length + val.length);
  const times = new Float64Array(n);
  for (let i = 0; i < train.length; i++) times[i] = i + 1;
  times.fill(train.length + 1, train.length, train.length + val.length);
  times.fill(train.length + 2, train.length + val.length);
  return {
    order,
    times,
    split: { mode, seed, train: train.length, val: val.length, test: test.length },
  };
}

/** Random split over distinct pairs (one edge kept per pair), seeded. */
export function randomSplitOrder(
  src: Uint32Array,
  dst: Uint32Array,
  undirected: boolean,
  s: { val: number; test: number; seed: number },
): SplitOrder {
  const sorted = byPair(src, dst, undirected);
  const unique: number[] = [];
  for (let k = 0; k < sorted.length; k++)
    if (k === 0 || !samePair(src, dst, undirected, sorted[k - 1], sorted[k]))
      unique.push(sorted[k]);
  const pairs = Uint32Array.from(unique);
  shuffle(pairs, new Mulberry32(s.seed));
  const numTest = Math.floor(pairs.length * s.test);
  const numVal = Math.floor(pairs.length * s.val);
  const numTrain = pairs.length - numVal - numTest;
  return assemble(
    [
      pairs.subarray(0, numTrain),
      pairs.subarray(numTrain, numTrain + numVal),
      pairs.subarray(numTrain + numVal),
    ],
    'random',
    s.seed,
  );
}

/**
 * The user's split column (an empty cell trains). Refuses, at the held-out edge's row, a pair that is
 * held out and also a training edge: the model would be judged on an edge it trained on.
 */
export function columnSplitOrder(
  src: Uint32Array,
  dst: Uint32Array,
  undirected: boolean,
  split: Uint8Array,
  at: { file: string; column: string; places: RowPlace[]; pairText: (i: number) => string },
): SplitOrder {
  const sorted = byPair(src, dst, undirected);
  let leaks = 0;
  let first: { held: number; train: number } | undefined;
  for (let a = 0; a < sorted.length;) {
    let b = a + 1;
    while (b < sorted.length && samePair(src, dst, undirected, sorted[a], sorted[b])) b++;
    let trainEdge = -1;
    for (let k = a; k < b; k++) if (split[sorted[k]] <= SPLIT_TRAIN) trainEdge = sorted[k];
    if (trainEdge >= 0)
      for (let k = a; k < b; k++)
        if (split[sorted[k]] >= SPLIT_VAL) {
          leaks++;
          if (!first || sorted[k] < first.held) first = { held: sorted[k], train: trainEdge };
        }
    a = b;
  }
  if (first) {
    const p = at.places[first.train];
    const where = p.line !== undefined ? `line ${p.line}` : `row group ${p.rowGroup}, row ${p.row}`;
    throw new InputError(
      `edge ${at.pairText(first.held)} is held out but the same pair is a training edge (${where}); ${leaks} held-out edge(s) leak this way`,
      { file: at.file, ...at.places[first.held], field: at.column },
    );
  }
  const groups: number[][] = [[], [], []];
  for (let i = 0; i < split.length; i++) {
    const s = split[i];
    groups[s === SPLIT_NONE || s === SPLIT_TRAIN ? 0 : s === SPLIT_VAL ? 1 : 2].push(i);
  }
  if (groups[0].length === 0)
    throw new InputError('no training edges: every edge is held out', {
      file: at.file,
      field: at.column,
    });
  const train = Uint32Array.from(groups[0]);
  shuffle(train, new Mulberry32(0));
  return assemble([train, Uint32Array.from(groups[1]), Uint32Array.from(groups[2])], 'column', 0);
}

/** The stored order of a relation's edges under its split, or undefined for a time split. */
export function splitOrderOf(
  s: EdgeSplit,
  src: Uint32Array,
  dst: Uint32Array,
  undirected: boolean,
  column?: { split: Uint8Array; at: Parameters<typeof columnSplitOrder>[4] },
): SplitOrder | undefined {
  if (s.mode === 'time') return undefined;
  if (s.mode === 'random') return randomSplitOrder(src, dst, undirected, s);
  return columnSplitOrder(src, dst, undirected, column!.split, column!.at);
}

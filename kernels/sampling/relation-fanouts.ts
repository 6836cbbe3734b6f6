// Per-relation fanouts: a row's candidate edges drawn relation by relation, each listed relation with
// its own per-hop count, the unlisted ones together with the hop's fanout. Scratch reused per row.
import { ConfigError } from '../../runtime/errors.js';
import type { Xoshiro128 } from '../../runtime/prng.js';
import { growFloat64 } from './grow.js';
import type { UniformPicker } from './uniform-pick.js';

/** How a relation's `k` of `n` candidates (in CSR order) are chosen. */
export type RelationPickMode = 'uniform' | 'last';

/**
 * Validated per-relation fanouts: `byType[t]` the per-hop fanouts of edge type t, or null when the
 * type is drawn with the hop's fanout among the unlisted types.
 */
export class RelationFanouts {
  /** quota[h][t]: edge type t's fanout at hop h, or -2 when it shares the hop's fanout (group R). */
  private readonly quota: Int32Array[];
  private counts: Int32Array;
  private cursor: Int32Array;
  private cand = new Float64Array(64);
  private chosen = new Float64Array(64);

  constructor(
    private edgeType: Uint8Array | undefined,
    byType: readonly (readonly number[] | null)[],
    hops: number,
  ) {
    const R = byType.length;
    byType.forEach((f, t) => {
      if (f === null) return;
      if (f.length !== hops)
        throw new ConfigError(`relation ${t} has ${f.length} fanouts for ${hops} hops`, {
          field: `relationFanouts[${t}]`,
        });
      f.forEach((k, h) => {
        if (!(Number.isInteger(k) && (k >= 0 || k === -1)))
          throw new ConfigError(`fanout ${k} must be an integer >= 0, or -1 for all`, {
            field: `relationFanouts[${t}][${h}]`,
          });
      });
    });
    this.quota = Array.from({ length: hops }, (_, h) =>
      Int32Array.from({ length: R }, (_, t) => byType[t]?.[h] ?? -2),
    );
    this.counts = new Int32Array(R + 1);
    this.cursor = new Int32Array(R + 2);
  }

  /** The edge types positions index from now on (a partitioned store's windows, hop by hop). */
  useTypes(edgeType: Uint8Array | undefined): void {
    this.edgeType = edgeType;
  }

  /** Whether any relation has its own fanouts. */
  static any(byType: readonly (readonly number[] | null)[] | undefined): boolean {
    return byType !== undefined && byType.some((f) => f !== null);
  }

  /**
   * Chooses the edges of one row window [start, start + avail) at hop `h` (`k` the hop's fanout for
   * the unlisted relations), skipping CSR positions `hidden` marks, into pos[at..]; returns how many.
   * 'last' keeps each relation's newest edges (rows are in time order), newest first overall.
   */
  choose(
    rng: Xoshiro128,
    picker: UniformPicker,
    mode: RelationPickMode,
    row: { start: number; avail: number; h: number; k: number },
    hidden: ((p: number) => boolean) | null,
    out: { pos: Float64Array; at: number },
  ): number {
    const { start, avail, h, k } = row;
    const R = this.counts.length - 1;
    const q = this.quota[h];
    if (mode === 'last') return this.chooseLast(row, hidden, out);
    this.bucket(start, avail, q, hidden);
    let at = out.at;
    const cand = this.cand;
    for (let g = 0; g <= R; g++) {
      const lo = this.cursor[g];
      const n = this.cursor[g + 1] - lo;
      const want = g === R ? k : q[g];
      const take = want < 0 || n <= want ? n : want;
      if (take === 0) continue;
      if (take === n) for (let i = 0; i < n; i++) out.pos[at++] = cand[lo + i];
      else {
        if (this.chosen.length < take) this.chosen = new Float64Array(take * 2);
        picker.pickPositions(rng, 0, n, take, this.chosen, 0);
        for (let i = 0; i < take; i++) out.pos[at++] = cand[lo + this.chosen[i]];
      }
    }
    return at - out.at;
  }

  /**
   * 'last': each group's newest edges, newest first, in one backward scan that stops as soon as
   * every group has its count (a row's old edges are never read once the quotas are met).
   */
  private chooseLast(
    row: { start: number; avail: number; h: number; k: number },
    hidden: ((p: number) => boolean) | null,
    out: { pos: Float64Array; at: number },
  ): number {
    const { start, avail, h, k } = row;
    const q = this.quota[h];
    const R = q.length;
    const need = this.counts;
    let open = 0;
    for (let g = 0; g <= R; g++) {
      const want = g === R ? k : q[g] === -2 ? 0 : q[g];
      need[g] = want < 0 ? 0x7fffffff : want;
      if (need[g] > 0) open++;
    }
    const types = this.edgeType;
    let at = out.at;
    for (let p = start + avail - 1; p >= start && open > 0; p--) {
      const t = types ? types[p] : 0;
      const g = t < R && q[t] !== -2 ? t : R;
      if (need[g] === 0 || (hidden !== null && hidden(p))) continue;
      out.pos[at++] = p;
      if (--need[g] === 0) open--;
    }
    return at - out.at;
  }

  /** The window's visible positions sorted by group into cand (stable), group g at cursor[g]. */
  private bucket(
    start: number,
    avail: number,
    q: Int32Array,
    hidden: ((p: number) => boolean) | null,
  ): void {
    const R = q.length;
    const types = this.edgeType;
    const counts = this.counts;
    counts.fill(0);
    for (let p = start; p < start + avail; p++) {
      if (hidden !== null && hidden(p)) continue;
      const t = types ? types[p] : 0;
      counts[t < R && q[t] !== -2 ? t : R]++;
    }
    const cursor = this.cursor;
    cursor[0] = 0;
    for (let g = 0; g <= R; g++) cursor[g + 1] = cursor[g] + counts[g];
    if (this.cand.length < avail) this.cand = growFloat64(this.cand, avail, 0);
    counts.set(cursor.subarray(0, R + 1));
    for (let p = start; p < start + avail; p++) {
      if (hidden !== null && hidden(p)) continue;
      const t = types ? types[p] : 0;
      this.cand[counts[t < R && q[t] !== -2 ? t : R]++] = p;
    }
  }

  /** The most edges a row can yield at hop h, given the hop's fanout k for the unlisted relations. */
  maxPerRow(h: number, k: number): number {
    let sum = 0;
    let shared = false;
    for (const f of this.quota[h]) {
      if (f === -1) return -1;
      if (f === -2) shared = true;
      else sum += f;
    }
    if (shared) return k < 0 ? -1 : sum + k;
    return sum;
  }
}

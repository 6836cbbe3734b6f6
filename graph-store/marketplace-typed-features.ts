// Marketplace features with one feature space per node type (`--typed-features`): each type its own
// projection of its hidden factors into its own columns, as typed inputs are stored by `weft graph build`.
import { Xoshiro128Float } from '../runtime/prng.js';
import type { MarketplaceGraph } from './synth-marketplace.js';

/** Columns [start, start + width) of member, job, skill and company rows, in that order. */
export function typedFeatureColumns(featureDim: number): { start: number; width: number }[] {
  const widths = [featureDim, featureDim, Math.floor(featureDim / 2), Math.floor(featureDim / 4)];
  let start = 0;
  return widths.map((width) => {
    const c = { start, width };
    start += width;
    return c;
  });
}

/** Feature rows in node order: type t's rows fill only its columns, with its own projection and noise. */
export class TypedMarketplaceFeatures {
  private readonly projections: Float32Array[];
  private readonly rng: Xoshiro128Float;
  private readonly dim: number;
  /** Width of the hidden factors. */
  private readonly latentDim: number;
  private readonly total: number;
  private next = 0;

  constructor(
    private readonly g: MarketplaceGraph,
    private readonly columns: readonly { start: number; width: number }[],
  ) {
    // Stream 27: the default features' stream (21) and projection are left as they were.
    this.rng = new Xoshiro128Float(g.seed, 27);
    this.latentDim = g.latent.member.length / Math.max(1, g.sizes.members);
    const scale = 1 / Math.sqrt(this.latentDim);
    this.projections = columns.map((c) => {
      const p = new Float32Array(this.latentDim * c.width);
      for (let i = 0; i < p.length; i++) p[i] = this.rng.normal() * scale;
      return p;
    });
    const last = columns[columns.length - 1];
    this.dim = last.start + last.width;
    const { members, jobs, skills, companies } = g.sizes;
    this.total = members + jobs + skills + companies;
  }

  /** Writes the next `rows` rows into `out`; returns how many were written (0 at the end). */
  fill(out: Float32Array, rows: number): number {
    const D = this.dim;
    const K = this.latentDim;
    const offs = this.g.offsets;
    const lat = this.g.latent;
    const sources = [lat.member, lat.job, lat.skill, lat.company];
    const count = Math.min(rows, this.total - this.next);
    out.fill(0, 0, count * D);
    for (let i = 0; i < count; i++) {
      const v = this.next + i;
      let t = 3;
      while (v < offs[t]) t--;
      const { start, width } = this.columns[t];
      const P = this.projections[t];
      const z = sources[t];
      const zb = (v - offs[t]) * K;
      const o = i * D + start;
      for (let d = 0; d < width; d++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += z[zb + k] * P[k * width + d];
        out[o + d] = acc + 0.3 * this.rng.normal();
      }
    }
    this.next += count;
    return count;
  }
}

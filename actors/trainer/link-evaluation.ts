// The link metrics of one evaluation: the model's scores and two baselines (destination popularity
// before the split, and "seen before" counts of the same pair), all ranked on exactly the same
// positives and negatives, with negatives that are true pairs of the split left out (filtered), and
// the model's metrics again on the cold-start sources alone (plan/cold-start.ts).
import {
  hitsPerPositive,
  meanOf,
  mrr,
  pairAuc,
  recallOfHits,
} from '../../kernels/metrics/index.js';
import type { LinkEvalExtras } from '../plan/link-history.js';

/** Scores collected over the batches of one evaluation. */
export class LinkEvaluation {
  private readonly pos: number[] = [];
  private readonly neg: number[] = [];
  private readonly skip: number[] = [];
  private readonly sources: number[] = [];
  /** Per positive, 1 when its source is cold (plan/cold-start.ts: under 3 edges before the split). */
  private readonly cold: number[] = [];
  private readonly base = {
    popularity: { pos: [] as number[], neg: [] as number[] },
    seen_before: { pos: [] as number[], neg: [] as number[] },
  };
  private k = 0;

  /** K of the hits@K and recall@K reported. */
  constructor(private readonly cutoffs: readonly number[] = [10]) {}

  /**
   * One batch: positive scores [P], negative scores [P·K] (pair-major), the global source id of
   * each positive and the batch's baseline scores and filter flags.
   */
  add(
    pos: ArrayLike<number>,
    neg: ArrayLike<number>,
    sources: ArrayLike<number>,
    extras: LinkEvalExtras,
  ): void {
    const p = pos.length;
    if (p === 0) return;
    this.k = neg.length / p;
    for (let i = 0; i < p; i++) {
      this.pos.push(pos[i]);
      this.sources.push(sources[i]);
      this.cold.push(extras.evCold?.[i] ?? 0);
      this.base.popularity.pos.push(extras.evPop[i]);
      this.base.seen_before.pos.push(extras.evSeen[i]);
    }
    for (let j = 0; j < neg.length; j++) {
      this.neg.push(neg[j]);
      this.skip.push(extras.evKnown[j]);
      this.base.popularity.neg.push(extras.evPop[p + j]);
      this.base.seen_before.neg.push(extras.evSeen[p + j]);
    }
  }

  private scoresOf(
    prefix: string,
    pos: number[],
    neg: number[],
    sources = this.sources,
    skip = this.skip,
  ): Record<string, number> {
    const out: Record<string, number> = {
      [`${prefix}auc`]: pairAuc(pos, neg, skip),
      [`${prefix}mrr`]: mrr(pos, neg, 'average', skip),
    };
    for (const k of this.cutoffs) {
      const hit = hitsPerPositive(pos, neg, k, 'average', skip);
      out[`${prefix}hits@${k}`] = meanOf(hit);
      out[`${prefix}recall@${k}`] = recallOfHits(hit, sources);
    }
    return out;
  }

  /**
   * The model's metrics on the positives whose source is cold (cold_…), and their count; nothing
   * when there are none.
   */
  private coldScores(): Record<string, number> {
    const pos: number[] = [];
    const neg: number[] = [];
    const sources: number[] = [];
    const skip: number[] = [];
    const k = this.k;
    for (let i = 0; i < this.pos.length; i++) {
      if (!this.cold[i]) continue;
      pos.push(this.pos[i]);
      sources.push(this.sources[i]);
      for (let j = i * k; j < i * k + k; j++) {
        neg.push(this.neg[j]);
        skip.push(this.skip[j]);
      }
    }
    if (pos.length === 0) return {};
    return { ...this.scoresOf('cold_', pos, neg, sources, skip), cold_count: pos.length };
  }

  /** The model's metrics, each baseline's beside them (prefixed), and the counts behind them. */
  metrics(): Record<string, number> {
    if (this.pos.length === 0) return { count: 0, negatives: this.k };
    const pop = this.scoresOf('popularity_', this.base.popularity.pos, this.base.popularity.neg);
    let filtered = 0;
    for (const s of this.skip) filtered += s;
    return {
      ...this.scoresOf('', this.pos, this.neg),
      ...pop,
      ...this.scoresOf('seen_before_', this.base.seen_before.pos, this.base.seen_before.neg),
      ...this.coldScores(),
      // The popularity baseline's AUC under its earlier name.
      degree_auc: pop.popularity_auc,
      negatives: this.k,
      filtered_negatives: filtered,
      count: this.pos.length,
    };
  }
}

// How the commands print a link result: the model's metrics on one line, each baseline on its own
// line below, the counts last; a node result has no baseline lines.

import { describe, expect, it } from 'vitest';
import { formatBaselines, formatMetrics } from '../../cli/format-metrics.js';

describe('link results in print', () => {
  const test = {
    auc: 0.8,
    mrr: 0.5,
    popularity_auc: 0.7,
    popularity_mrr: 0.3,
    seen_before_auc: 0.6,
    seen_before_mrr: 0.4,
    degree_auc: 0.7,
    negatives: 20,
    filtered_negatives: 3,
    count: 100,
  };

  it('keeps baselines off the model line and prints them below', () => {
    expect(formatMetrics(test)).toBe('auc 0.8000, mrr 0.5000');
    expect(formatBaselines(test)).toEqual([
      '  baseline popularity: auc 0.7000, mrr 0.3000',
      '  baseline seen before: auc 0.6000, mrr 0.4000',
      '  (100 positives, 20 negatives each from the destination type, 3 true pairs filtered out)',
    ]);
    expect(formatBaselines({ accuracy: 0.8, count: 10 })).toEqual([]);
  });

  it('prints the cold-start slice on a line of its own, off the model line', () => {
    const withCold = { ...test, cold_auc: 0.75, cold_mrr: 0.45, cold_count: 40 };
    expect(formatMetrics(withCold)).toBe('auc 0.8000, mrr 0.5000');
    expect(formatBaselines(withCold)[2]).toBe(
      '  cold-start sources (fewer than 3 earlier edges, 40 positives): auc 0.7500, mrr 0.4500',
    );
  });

  it('prints exact ranking on lines of its own, beside the sampled numbers', () => {
    const exact = {
      ...test,
      exact_mrr: 0.25,
      'exact_hits@10': 0.5,
      popularity_exact_mrr: 0.125,
      seen_before_exact_mrr: 0.0625,
      seen_stream_exact_mrr: 0.5,
      exact_candidates: 1899,
      exact_filtered: 40,
      exact_count: 100,
    };
    expect(formatMetrics(exact)).toBe('auc 0.8000, mrr 0.5000');
    expect(formatBaselines(exact)).toEqual([
      '  baseline popularity: auc 0.7000, mrr 0.3000',
      '  baseline seen before: auc 0.6000, mrr 0.4000',
      '  (100 positives, 20 negatives each from the destination type, 3 true pairs filtered out)',
      '  exact, all candidates: mrr 0.2500, hits@10 0.5000',
      '  exact baseline popularity: mrr 0.1250',
      '  exact baseline seen before: mrr 0.0625',
      '  exact baseline seen before, streaming: mrr 0.5000',
      '  (100 positives, each among all 1899 candidates of the destination type, 40 known destinations of their sources filtered out)',
    ]);
  });
});

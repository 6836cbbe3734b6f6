// Metric values as the commands print them for people: `name 0.1234, …`, without the counts that
// ride along in the same record (`count`, `negatives`), and link baselines on lines of their own.

import { COLD_START_EDGES } from '../actors/plan/cold-start.js';
import { isRelationMetric, type RelationResults } from '../actors/plan/eval-relations.js';

/** Prefixes of the link baselines' metrics in a result record, and how they are named in print. */
const BASELINES = [
  ['popularity_', 'popularity'],
  ['seen_before_', 'seen before'],
  // Exact ranking only: the source's interactions up to each pair's own time.
  ['seen_stream_', 'seen before, streaming'],
] as const;

const HIDDEN = new Set(['count', 'negatives', 'filtered_negatives', 'degree_auc']);

/** The cold-start slice's metrics (actors/plan/cold-start.ts): a line of their own, like a baseline. */
const COLD = 'cold_';

const isBaseline = (k: string) =>
  isRelationMetric(k) || k.startsWith(COLD) || BASELINES.some(([p]) => k.startsWith(p));
/** eval.ranking exact's metrics (exact_*, and the baselines' <baseline>_exact_*). */
const EXACT = 'exact_';
const isExact = (k: string) =>
  k.startsWith(EXACT) || BASELINES.some(([p]) => k.startsWith(p + EXACT));

/** The model's metrics on one line (sampled ranking; exact ranking is on formatBaselines' lines). */
export function formatMetrics(m: Record<string, number>, separator = ', ', prefix = ''): string {
  return Object.entries(m)
    .filter(([k]) => !HIDDEN.has(k) && !isBaseline(k) && !isExact(k))
    .map(([k, v]) => `${prefix}${k} ${v.toFixed(4)}`)
    .join(separator);
}

/**
 * The baselines of a link result, one line each (`baseline popularity: auc 0.5, …`), scored on the
 * same pairs as the model; none for a node result.
 */
export function formatBaselines(all: Record<string, number>): string[] {
  const m = ownMetrics(all);
  const lines: string[] = [];
  for (const [prefix, name] of BASELINES) {
    const own = Object.entries(m).filter(([k]) => k.startsWith(prefix) && !isExact(k));
    if (own.length === 0) continue;
    const text = own.map(([k, v]) => `${k.slice(prefix.length)} ${v.toFixed(4)}`).join(', ');
    lines.push(`  baseline ${name}: ${text}`);
  }
  const cold = Object.entries(m).filter(([k]) => k.startsWith(COLD) && k !== 'cold_count');
  if (cold.length > 0) {
    const text = cold.map(([k, v]) => `${k.slice(COLD.length)} ${v.toFixed(4)}`).join(', ');
    const who = `fewer than ${COLD_START_EDGES} earlier edges, ${m.cold_count} positives`;
    lines.push(`  cold-start sources (${who}): ${text}`);
  }
  if (lines.length > 0 && m.count !== undefined)
    lines.push(
      `  (${m.count} positives, ${m.negatives} negatives each from the destination type, ${m.filtered_negatives ?? 0} true pairs filtered out)`,
    );
  return [...lines, ...exactLines(m)];
}

const EXACT_COUNTS = new Set([
  'exact_candidates',
  'exact_filtered',
  'exact_count',
  'exact_snapshots',
]);

/** eval.ranking exact: the model's and each baseline's metrics among every candidate. */
function exactLines(m: Record<string, number>): string[] {
  const of = (prefix: string) =>
    Object.entries(m)
      .filter(([k]) => k.startsWith(prefix) && !EXACT_COUNTS.has(k))
      .map(([k, v]) => `${k.slice(prefix.length)} ${v.toFixed(4)}`)
      .join(', ');
  const model = of(EXACT);
  if (model === '') return [];
  const lines = [`  exact, all candidates: ${model}`];
  for (const [prefix, name] of BASELINES) {
    const text = of(prefix + EXACT);
    if (text !== '') lines.push(`  exact baseline ${name}: ${text}`);
  }
  const snapshots =
    m.exact_snapshots === undefined
      ? ''
      : `; candidates embedded at ${m.exact_snapshots} time${m.exact_snapshots === 1 ? '' : 's'}`;
  lines.push(
    `  (${m.exact_count} positives, each among all ${m.exact_candidates} candidates of the destination type, ${m.exact_filtered} known destinations of their sources filtered out${snapshots})`,
  );
  return lines;
}

/** A record without the listed relations' metrics (eval.relations; shown by relationLines). */
function ownMetrics(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !isRelationMetric(k)));
}

/**
 * eval.relations: per listed relation, its validation and test metrics and the baselines, exact
 * ranking and cold-start lines of each split, as the job's own relation is shown.
 */
export function relationLines(relations: RelationResults | undefined): string[] {
  const lines: string[] = [];
  for (const [key, r] of Object.entries(relations ?? {})) {
    lines.push(`relation ${key}:`);
    for (const [split, m] of [
      ['val', r.val],
      ['test', r.test],
    ] as const) {
      if (!m) continue;
      lines.push(`  ${split} ${formatMetrics(m)}`, ...formatBaselines(m).map((l) => `  ${l}`));
    }
  }
  return lines;
}

// eval.relations: the relations a link job scores beside the one it trains on, each split by time
// and evaluated on its own held-out pairs; and the result record's per-relation keys
// (`<src__rel__dst>/<metric>`), which travel flat beside the trained relation's and are grouped into
// one block per relation wherever results are shown or written.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { edgeTypeKey } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { chooseLinkRelation } from './link-split.js';
import { edgeTypeNamed } from './relation-name.js';
import type { SeedSource } from './seed-source.js';
import { linkSeedsOf } from './task-seeds.js';

/** What evaluating one relation reads: its pairs, its held-out edge ids, its destination ids. */
export interface RelationTarget {
  source: SeedSource;
  sets: { val: Int32Array; test: Int32Array };
  negativeRange: [number, number];
}

/** A relation listed in eval.relations; no target for the trained one (its metrics are the job's). */
export interface EvalRelation {
  key: string;
  target?: RelationTarget;
}

/** The edge type keys eval.relations names, in its order, each once; unknown names fail at the field. */
export function evalRelationKeys(
  spec: JobSpec,
  g: { edgeTypes: readonly { src: string; rel: string; dst: string; hasTimestamps: boolean }[] },
): string[] {
  const keys = spec.eval.relations.map((name) => {
    const e = edgeTypeNamed(name, g.edgeTypes, 'eval.relations');
    if (!e.hasTimestamps)
      throw new ConfigError(
        `relation ${edgeTypeKey(e)} has no timestamps: its newest edges are held out and scored with neighbours drawn before each pair, so it needs a timestamp column (weft graph build --ts-col)`,
        { field: 'eval.relations' },
      );
    return edgeTypeKey(e);
  });
  return [...new Set(keys)];
}

/** The relations of eval.relations, each split by time as link.edgeType is (none for a node task). */
export function evalRelationsOf(spec: JobSpec, g: SharedGraph): EvalRelation[] {
  if (spec.eval.relations.length === 0) return [];
  if (spec.task !== 'link')
    throw new ConfigError(`relations are scored by link prediction; task is ${spec.task}`, {
      field: 'eval.relations',
    });
  const trained = edgeTypeKey(chooseLinkRelation(g.edgeTypes, spec.link.edgeType));
  return evalRelationKeys(spec, g).map((key) => {
    if (key === trained) return { key };
    const s = linkSeedsOf(spec, g, key);
    return {
      key,
      target: {
        source: s.source,
        sets: { val: s.val, test: s.test },
        negativeRange: s.negativeRange,
      },
    };
  });
}

/** The key of `metric` of relation `relation` in a result record. */
export function relationMetricKey(relation: string, metric: string): string {
  return `${relation}/${metric}`;
}

/** Whether a result record's key is a listed relation's (shown in its block, not the job's line). */
export function isRelationMetric(key: string): boolean {
  return key.includes('/');
}

/** A result record's metrics of `relation` under their own names, prefixed in the record. */
export function withRelationPrefix(
  relation: string,
  metrics: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) out[relationMetricKey(relation, k)] = v;
  return out;
}

/** A result record split into the trained relation's metrics and one record per listed relation. */
export function relationBlocks(m: Record<string, number>): {
  own: Record<string, number>;
  relations: Record<string, Record<string, number>>;
} {
  const own: Record<string, number> = {};
  const relations: Record<string, Record<string, number>> = {};
  for (const [k, v] of Object.entries(m)) {
    const cut = k.lastIndexOf('/');
    if (cut < 0) own[k] = v;
    else (relations[k.slice(0, cut)] ??= {})[k.slice(cut + 1)] = v;
  }
  return { own, relations };
}

/** Validation and test results of each listed relation, one block per relation. */
export type RelationResults = Record<
  string,
  { val?: Record<string, number>; test?: Record<string, number> }
>;

/**
 * Validation and test records as results.json and metrics.jsonl write them: the trained relation's
 * metrics at the top (as before eval.relations), and `relations` with one block per listed relation.
 */
export function withRelationBlocks(
  val: Record<string, number> | undefined,
  test?: Record<string, number>,
): { val?: Record<string, number>; test?: Record<string, number>; relations?: RelationResults } {
  const v = val ? relationBlocks(val) : undefined;
  const t = test ? relationBlocks(test) : undefined;
  const keys = [
    ...new Set([...Object.keys(v?.relations ?? {}), ...Object.keys(t?.relations ?? {})]),
  ];
  const relations: RelationResults = {};
  for (const key of keys)
    relations[key] = {
      ...(v?.relations[key] ? { val: v.relations[key] } : {}),
      ...(t?.relations[key] ? { test: t.relations[key] } : {}),
    };
  return {
    ...(v ? { val: v.own } : {}),
    ...(t ? { test: t.own } : {}),
    ...(keys.length > 0 ? { relations } : {}),
  };
}

// Test helper: the Cora data set beside the repository (../shared/data/cora), whether it is present, and
// building it into a graph folder; tests that need it skip when it is absent, saying so in their titles (needsCora).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildGraph, type BuildGraphOptions } from '../../graph-store/build-graph.js';

/** The raw Cora files (edges.tsv, features.npy, labels.tsv, split.tsv). */
export const CORA_DIR = resolve(import.meta.dirname, '../../../shared/data/cora');
export const haveCora = existsSync(join(CORA_DIR, 'edges.tsv'));
/** Why Cora tests skip, or undefined when the data is there. */
export const coraMissing = haveCora ? undefined : `Cora data not found at ${CORA_DIR}`;

/**
 * A test title that carries why it is skipped when Cora is absent, so the test summary says so (a
 * skipped test's title is all a reporter shows of it).
 */
export function needsCora(title: string): string {
  return haveCora ? title : `${title} (skipped: ../shared/data/cora absent)`;
}

/** Builds undirected Cora into `out` (extra build options, e.g. partitions, passed through); returns `out`. */
export async function buildCora(
  out: string,
  extra: Partial<Omit<BuildGraphOptions, 'out'>> = {},
): Promise<string> {
  await buildGraph({
    edges: join(CORA_DIR, 'edges.tsv'),
    features: join(CORA_DIR, 'features.npy'),
    labels: join(CORA_DIR, 'labels.tsv'),
    split: join(CORA_DIR, 'split.tsv'),
    undirected: true,
    out,
    ...extra,
  });
  return out;
}

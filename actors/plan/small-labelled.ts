// Defaults chosen by the data for a small labelled set (the Planetoid case: 120-140 labelled nodes).
// The general defaults (1,024 seeds a batch, 10 epochs) give such a set 10 optimizer steps and no
// regularisation; here a node job with fewer than SMALL_LABELLED training nodes, which are also under
// SMALL_LABELLED_SHARE of the graph's nodes (few labels, not merely a small graph), gets batches of a
// quarter of them, enough epochs for about 120 steps, weight decay and exact evaluation. Only fields
// still at their declared defaults change, and train.smallLabelled off turns the rule off.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../graph-store/manifest.js';
import { featuresNonNegative } from './feature-norm.js';
import { defaultJobSpec, type JobSpec } from '../job-spec.js';

/** Fewer training nodes than this make a small labelled set. */
export const SMALL_LABELLED = 1000;

/** Training nodes under this share of all nodes make the set small relative to its graph. */
export const SMALL_LABELLED_SHARE = 0.2;

/** Optimizer steps the chosen batch size and epochs give together (at least). */
export const SMALL_LABELLED_STEPS = 120;

/** Weight decay of a small labelled set (GCN's and GraphSAGE's usual 5e-4). */
export const SMALL_LABELLED_WEIGHT_DECAY = 5e-4;

/** Graphs up to this many edges are evaluated with every neighbour. */
const EXACT_EVAL_EDGES = 5_000_000;

/** One default the data chose: the field and its value. */
export interface ChosenDefault {
  field: string;
  value: number | boolean | string;
}

/**
 * The spec with the small-labelled-set defaults applied (a copy; the spec itself when none apply),
 * given the graph's training-node count and edge count, and what was chosen.
 */
export function smallLabelledDefaults(
  spec: JobSpec,
  graph: { trainNodes: number; numNodes: number; numEdges: number; nonNegative?: boolean },
): { spec: JobSpec; chosen: ChosenDefault[] } {
  const n = graph.trainNodes;
  const small = n > 0 && n < SMALL_LABELLED && n < SMALL_LABELLED_SHARE * graph.numNodes;
  if (spec.task !== 'node' || spec.train.smallLabelled !== 'auto' || !small) {
    if (spec.model.featureNorm !== 'auto') return { spec, chosen: [] };
    const out = structuredClone(spec);
    out.model.featureNorm = 'none';
    return { spec: out, chosen: [] };
  }
  const d = defaultJobSpec();
  const out = structuredClone(spec);
  out.train.smallLabelled = 'applied';
  const chosen: ChosenDefault[] = [];
  if (out.sampling.batchSize === d.sampling.batchSize) {
    out.sampling.batchSize = Math.max(16, Math.ceil(n / 4));
    chosen.push({ field: 'sampling.batchSize', value: out.sampling.batchSize });
  }
  if (out.train.epochs === d.train.epochs) {
    const perEpoch = Math.ceil(n / out.sampling.batchSize);
    out.train.epochs = Math.max(d.train.epochs, Math.ceil(SMALL_LABELLED_STEPS / perEpoch));
    chosen.push({ field: 'train.epochs', value: out.train.epochs });
  }
  if (out.model.featureNorm === 'auto') {
    // Row-normalised rows are smaller inputs: they pay only with enough optimizer steps (with the
    // general 10 they cost accuracy, bench/NOTES.md), so a job whose batch size or epochs leave
    // fewer keeps the stored features. Partition-owning samplers serve raw rows (feature-norm.ts).
    const steps = Math.ceil(n / out.sampling.batchSize) * out.train.epochs;
    const row =
      graph.nonNegative === true && !out.cluster.partitions && steps >= SMALL_LABELLED_STEPS;
    out.model.featureNorm = row ? 'row' : 'none';
    if (row) chosen.unshift({ field: 'model.featureNorm', value: 'row' });
  }
  if (out.train.weightDecay === d.train.weightDecay) {
    out.train.weightDecay = SMALL_LABELLED_WEIGHT_DECAY;
    chosen.push({ field: 'train.weightDecay', value: out.train.weightDecay });
  }
  if (out.eval.fullNeighbors === d.eval.fullNeighbors && graph.numEdges <= EXACT_EVAL_EDGES) {
    out.eval.fullNeighbors = true;
    chosen.push({ field: 'eval.fullNeighbors', value: true });
  }
  return { spec: out, chosen };
}

/** The chosen defaults as one line for people. */
export function describeChosen(chosen: readonly ChosenDefault[]): string {
  const values = chosen.map((c) => `${c.field} ${c.value}`).join(', ');
  return `small labelled set (fewer than ${SMALL_LABELLED.toLocaleString('en-US')} training nodes, under ${SMALL_LABELLED_SHARE * 100} % of the graph): ${values} (train.smallLabelled off keeps the general defaults)`;
}

/**
 * The job spec a job runs with: the data-chosen defaults of its graph applied (read from the graph's
 * manifest alone). The same answer in every process of a job, so each may apply it.
 */
export function withDataDefaults(spec: JobSpec): { spec: JobSpec; chosen: ChosenDefault[] } {
  if (spec.task !== 'node' || !spec.graph || !existsSync(join(spec.graph, 'manifest.json')))
    return smallLabelledDefaults(spec, { trainNodes: 0, numNodes: 0, numEdges: 0 });
  const m = readManifest(spec.graph);
  const graph = { trainNodes: m.split?.train ?? 0, numNodes: m.numNodes, numEdges: m.numEdges };
  const small = smallLabelledDefaults(spec, graph);
  if (small.spec.train.smallLabelled !== 'applied' || spec.model.featureNorm !== 'auto')
    return small;
  return smallLabelledDefaults(spec, { ...graph, nonNegative: featuresNonNegative(spec.graph, m) });
}

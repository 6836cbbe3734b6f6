// Cora node classification with the GAT encoder over several seeds through `weft train` (the one
// pipeline), median test accuracy recorded with machine, date and commit in bench/quality/.
// Run: npx tsx bench/quality-cora-gat.ts [--seeds 5] [--epochs 300] [--data ../shared/data/cora]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gitCommit } from './git-commit.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '300' },
    data: { type: 'string', default: resolve('../shared/data/cora') },
    out: { type: 'string', default: 'bench/quality/cora-gat.json' },
  },
});

const data = values.data!;
if (!existsSync(join(data, 'edges.tsv'))) {
  console.log(`skipped: no Cora at ${data} (edges.tsv, features.npy, labels.tsv, split.tsv)`);
  process.exit(0);
}
const commit = gitCommit();
const work = mkdtempSync(join(os.tmpdir(), 'weft-cora-gat-'));
const weft = (...args: string[]) =>
  execFileSync('npx', ['tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
const graph = join(work, 'cora');
weft(
  'graph',
  'build',
  ...['--edges', join(data, 'edges.tsv'), '--features', join(data, 'features.npy')],
  ...['--labels', join(data, 'labels.tsv'), '--split', join(data, 'split.tsv')],
  ...['--undirected', '--out', graph],
);

// GAT's published Cora setting: 8 heads × 8 features, one output head, dropout 0.6 on inputs and
// attention, Adam lr 0.005, weight decay 5e-4; full-batch (the 140 labelled nodes in one batch).
const spec = [
  'name: cora-gat',
  `graph: ${graph}`,
  'task: node',
  'model: { encoder: gat, layers: 2, hidden: 64, dropout: 0.6, attention: { heads: 8, outputHeads: 1, dropout: 0.6 } }',
  'sampling: { fanouts: [25, 10], batchSize: 140 }',
  `train: { epochs: ${values.epochs}, lr: 0.005, weightDecay: 0.0005 }`,
  'eval: { fullNeighbors: true }',
].join('\n');
const specFile = join(work, 'cora-gat.yaml');
writeFileSync(specFile, spec + '\n');

interface Run {
  seed: number;
  test_accuracy: number;
  val_accuracy: number;
  best_epoch: number;
  duration_s: number;
}
const runs: Run[] = [];
for (let seed = 1; seed <= Number(values.seeds); seed++) {
  const dir = join(work, `run-${seed}`);
  weft('train', specFile, '--seed', String(seed), '--out', dir, '--quiet');
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
    test: { accuracy: number };
    val: { accuracy: number };
    best_epoch: number;
    duration_s: number;
  };
  runs.push({
    seed,
    test_accuracy: r.test.accuracy,
    val_accuracy: r.val.accuracy,
    best_epoch: r.best_epoch,
    duration_s: r.duration_s,
  });
  console.log(`seed ${seed}: test accuracy ${r.test.accuracy.toFixed(4)}`);
}
const sorted = runs.map((r) => r.test_accuracy).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const out = {
  benchmark: 'quality-cora-gat',
  machine: `${os.cpus()[0]?.model} × ${os.cpus().length}`,
  date: new Date().toISOString(),
  commit,
  spec,
  median_test_accuracy: median,
  bar: 0.815,
  published: 0.83,
  runs,
};
mkdirSync('bench/quality', { recursive: true });
writeFileSync(values.out!, JSON.stringify(out, null, 2) + '\n');
console.log(`median test accuracy ${median.toFixed(4)} over ${runs.length} seeds → ${values.out}`);

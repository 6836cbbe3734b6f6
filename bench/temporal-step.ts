// CPU cost of the temporal activity model's step (forward and backward of the next-activity loss) on
// a CollegeMsg-sized batch — 512 pairs, 5 negatives, 66 input features, width 128 — for several
// sequence lengths N, in CPU milliseconds (the machine is shared, so wall time says little).
// Usage: npx tsx bench/temporal-step.ts [--lengths 8,32,100] [--reps 3]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { initBackend } from '../kernels/tf/backend.js';
import { TemporalActivityModel } from '../kernels/nn/temporal-model.js';
import { initParams } from '../kernels/nn/params.js';
import { Mulberry32 } from '../runtime/prng.js';

const PAIRS = 512;
const NEGATIVES = 5;
const IN_DIM = 66;
const DIM = 128;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function stepCpuMs(n: number, reps: number): number {
  const model = new TemporalActivityModel({
    inDim: IN_DIM,
    dim: DIM,
    sequenceLength: n,
    layers: 1,
    heads: 4,
    embeddings: 4,
    score: 'max',
    timeEncoding: 'sinusoidal',
    numRelations: 1,
    longTermWeights: [],
    cosine: true,
    loss: 'bce',
  });
  const specs = model.paramSpecs();
  const values = initParams(specs, 1);
  const rng = new Mulberry32(n);
  const rows = PAIRS * (2 + NEGATIVES);
  const graph = Float32Array.from({ length: rows * DIM }, () => rng.next() - 0.5);
  const temporal = {
    x: Float32Array.from({ length: PAIRS * n * IN_DIM }, () => rng.next() - 0.5),
    logGap: Float32Array.from({ length: PAIRS * n }, () => 15 * rng.next()),
    rel: new Int32Array(PAIRS * n),
    count: Int32Array.from({ length: PAIRS }, () => rng.int(n + 1)),
  };
  const target = {
    src: Int32Array.from({ length: PAIRS }, (_, i) => i),
    dst: Int32Array.from({ length: PAIRS }, (_, i) => PAIRS + i),
    negDst: Int32Array.from({ length: PAIRS * NEGATIVES }, (_, j) => 2 * PAIRS + j),
    temporal,
  };
  const names = specs.map((s) => s.name);
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    const t0 = cpuMs();
    tf.tidy(() => {
      const inputs = [
        ...specs.map((s) => tf.tensor(values.get(s.name)!, s.shape)),
        tf.tensor2d(graph, [rows, DIM]),
      ];
      const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) =>
        model.loss(
          ts[names.length] as tf.Tensor2D,
          target,
          new Map(names.map((k, i) => [k, ts[i]])),
        ),
      )(inputs);
      value.dataSync();
      for (const g of grads) g.dataSync();
    });
    // The first repetition warms the backend up and is not counted.
    if (r > 0) best = Math.min(best, cpuMs() - t0);
  }
  return best;
}

const { values } = parseArgs({
  options: {
    lengths: { type: 'string', default: '8,32,100' },
    reps: { type: 'string', default: '3' },
  },
});
await initBackend('wasm');
for (const n of values.lengths.split(',').map(Number))
  console.log(
    `N ${n}: ${stepCpuMs(n, Number(values.reps)).toFixed(0)} CPU ms per step (best of ${values.reps})`,
  );

// CPU cost of the temporal activity model's step (forward and backward of the next-activity loss) on
// a CollegeMsg-sized batch — 512 pairs, 5 negatives, 66 input features, width 128 — for several
// sequence lengths N, in CPU milliseconds (the machine is shared, so wall time says little).
// With --profile, also the kernel time per tfjs op (tf.profile) of one step, heaviest first.
// --no-pointer leaves the pointer term out (model.temporal.pointer: false).
// Usage: npx tsx bench/temporal-step.ts [--lengths 8,32,100] [--reps 3] [--profile] [--no-pointer]
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

/** One step's forward and backward (the next-activity loss and every gradient), as a closure. */
function stepOf(n: number, pointer: boolean): () => void {
  const model = new TemporalActivityModel({
    inDim: IN_DIM,
    dim: DIM,
    sequenceLength: n,
    layers: 1,
    heads: 4,
    embeddings: 4,
    score: 'max',
    timeEncoding: 'sinusoidal',
    pointer,
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
    pointer: {
      ids: Int32Array.from({ length: PAIRS * n }, () => rng.int(rows)),
      seedIds: Int32Array.from({ length: rows }, (_, i) => i),
    },
  };
  const target = {
    src: Int32Array.from({ length: PAIRS }, (_, i) => i),
    dst: Int32Array.from({ length: PAIRS }, (_, i) => PAIRS + i),
    negDst: Int32Array.from({ length: PAIRS * NEGATIVES }, (_, j) => 2 * PAIRS + j),
    temporal,
  };
  const names = specs.map((s) => s.name);
  return () =>
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
}

function stepCpuMs(n: number, reps: number, pointer: boolean): number {
  const step = stepOf(n, pointer);
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    const t0 = cpuMs();
    step();
    // The first repetition warms the backend up and is not counted.
    if (r > 0) best = Math.min(best, cpuMs() - t0);
  }
  return best;
}

/** Kernel milliseconds and calls per tfjs op over one (warm) step, the heaviest `top` printed. */
async function profile(n: number, pointer: boolean, top = 16): Promise<void> {
  const step = stepOf(n, pointer);
  step();
  const info = await tf.profile(step);
  const byOp = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const a = byOp.get(k.name) ?? { ms: 0, calls: 0 };
    a.ms += Number(k.kernelTimeMs);
    a.calls++;
    byOp.set(k.name, a);
  }
  const total = [...byOp.values()].reduce((s, a) => s + a.ms, 0);
  console.log(`N ${n}: ${info.kernels.length} kernel calls, ${total.toFixed(0)} kernel ms`);
  for (const [name, a] of [...byOp].sort((x, y) => y[1].ms - x[1].ms).slice(0, top))
    console.log(`  ${name.padEnd(22)} ${String(a.calls).padStart(4)} calls ${a.ms.toFixed(1)} ms`);
}

const { values } = parseArgs({
  options: {
    lengths: { type: 'string', default: '8,32,100' },
    reps: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'no-pointer': { type: 'boolean', default: false },
  },
});
await initBackend('wasm');
const pointer = !values['no-pointer'];
for (const n of values.lengths.split(',').map(Number)) {
  console.log(
    `N ${n}: ${stepCpuMs(n, Number(values.reps), pointer).toFixed(0)} CPU ms per step (best of ${values.reps})`,
  );
  if (values.profile) await profile(n, pointer);
}

// The trainer's compute per step in `weft train` (fused first layer: the producer hands over
// [h_dst | mean] of the features), by kernel, native against wasm, on synthetic batches of the real shapes.
// Run: npx tsx bench/trainer-step.ts [--steps N] [--out FILE]

import os from 'node:os';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../kernels/tf/backend.js';
import { GraphSage } from '../kernels/nn/graphsage.js';
import type { SubgraphBatch } from '../kernels/nn/block.js';
import { csrMeanInto, csrMeanAttrs } from '../kernels/ops/csr-mean.js';
import { opTimes, setOpTiming } from '../kernels/tf/op-timer.js';
import { nativeStatus, setNativeEnabled } from '../kernels/native/addon.js';
import { syntheticBatch } from './synthetic-batch.js';
import { runInfo } from './run-info.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});

/** A batch as the trainer receives it with sampling.fuseFirstLayer: layer 0 already aggregated. */
function fusedBatch(seed: number): SubgraphBatch {
  const b = syntheticBatch({
    numSeeds: 1024,
    fanouts: [15, 10],
    featureDim: 64,
    numNodes: 1_000_000,
    skew: 0.9,
    lowDegreeFraction: 0.2,
    seed,
  });
  const block = b.blocks[0];
  const layer0 = new Float32Array(block.numDst * 128);
  csrMeanInto(b.features, 64, csrMeanAttrs(block, { selfConcat: true }), layer0);
  return { blocks: b.blocks, features: new Float32Array(0), layer0, numSeeds: b.numSeeds };
}

interface Side {
  /** CPU ms per step of the trainer's step() (forward, backward, gradients copied and summed). */
  stepCpuMs: number;
  /** CPU ms per step of each op-timer phase (phases nest inside step.forward and step.backward). */
  breakdownCpuMs: Record<string, number>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `steps` trainer steps on rotating batches: setParams, forwardBackward, sum into an accumulator. */
function run(batches: SubgraphBatch[], steps: number): Side {
  const model = new GraphSage({
    inDim: 64,
    hiddenDim: 128,
    outDim: 8,
    dropout: 0.5,
    inputDropout: 0.5,
    validate: false,
    task: { kind: 'node' },
  });
  const params = model.init(1);
  const labels = Int32Array.from({ length: 1024 }, (_, i) => i % 8);
  const accum = new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const cpu: number[] = [];
  for (let s = -5; s < steps; s++) {
    if (s === 0) setOpTiming(true);
    model.setParams(params);
    const c0 = process.cpuUsage();
    const r = model.forwardBackward(batches[(s + 5) % batches.length], { labels });
    for (const [k, g] of r.grads) {
      const a = accum.get(k)!;
      for (let i = 0; i < g.length; i++) a[i] += g[i];
    }
    const c = process.cpuUsage(c0);
    if (s >= 0) cpu.push((c.user + c.system) / 1000);
  }
  const times = opTimes();
  setOpTiming(false);
  model.dispose();
  const breakdownCpuMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(times))
    breakdownCpuMs[k] = Math.round((v.cpuMs / steps) * 100) / 100;
  return { stepCpuMs: Math.round(median(cpu) * 100) / 100, breakdownCpuMs };
}

const backend = await initBackend('wasm');
const batches = [1, 2, 3, 4].map(fusedBatch);
const steps = Number(values.steps);
const sides: { native: Side[]; wasm: Side[] } = { native: [], wasm: [] };
// Alternating, so that load swings on a shared machine hit both alike.
for (let r = 0; r < Number(values.rounds); r++) {
  for (const which of ['native', 'wasm'] as const) {
    setNativeEnabled(which === 'native');
    const side = run(batches, steps);
    sides[which].push(side);
    console.log(`${which}: ${side.stepCpuMs} CPU ms/step`, JSON.stringify(side.breakdownCpuMs));
  }
}
setNativeEnabled(true);
const out = {
  ...runInfo('trainer-step'),
  backend: backend.reason,
  native: nativeStatus().reason,
  shapes: batches[0].blocks.map((b) => ({
    numDst: b.numDst,
    numSrc: b.numSrc,
    edges: b.indices.length,
  })),
  stepsPerRound: steps,
  nativeStepCpuMs: median(sides.native.map((s) => s.stepCpuMs)),
  wasmStepCpuMs: median(sides.wasm.map((s) => s.stepCpuMs)),
  rounds: sides,
  loadavgEnd: os.loadavg(),
};
console.log(`median CPU ms/step: native ${out.nativeStepCpuMs}, wasm ${out.wasmStepCpuMs}`);
if (values.out !== undefined) fs.writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);

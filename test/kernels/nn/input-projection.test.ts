// Per node type input projections: forward and every parameter's gradient against a float64
// reference on odd shapes (a featureless type, a type reading the whole row, a type absent from the
// batch), the model's gradients through sage and R-GCN stacks, and refusals that name the field.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage, type GraphSageConfig } from '../../../kernels/nn/graphsage.js';
import {
  inputParamName,
  inputProjectionParamSpecs,
  projectInputs,
  type InputProjectionConfig,
} from '../../../kernels/nn/input-projection.js';
import { initParams } from '../../../kernels/nn/params.js';
import type { SubgraphBatch } from '../../../kernels/nn/block.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray, randomBlock } from '../fixtures/random-block.js';
import { checkModelGradients } from '../fixtures/gradient-check.js';

const IN_DIM = 9;
const DIM = 7;
/** Own columns, featureless, own columns, the whole row, and a type no batch row has. */
const CONFIG: InputProjectionConfig = {
  types: [
    { start: 0, width: 3 },
    { start: 3, width: 0 },
    { start: 3, width: 5 },
    { start: 0, width: 9 },
    { start: 8, width: 1 },
  ],
};

const SPECS = inputProjectionParamSpecs(CONFIG, IN_DIM, DIM);
const tensorOf = (name: string, v: Float32Array) =>
  tf.tensor(v, SPECS.find((s) => s.name === name)!.shape);

function paramsOf(seed: number): Map<string, Float32Array> {
  const m = initParams(SPECS, seed);
  // Non-zero biases, so a bias that is dropped shows.
  const rng = new Mulberry32(seed);
  for (const [name, v] of m) if (name.endsWith('.bias')) v.set(randomArray(rng, v.length));
  return m;
}

/** Float64 projection of row i: its type's columns times W (or the type's vector). */
function reference(x: Float32Array, types: Uint8Array, p: Map<string, Float32Array>): Float64Array {
  const out = new Float64Array(types.length * DIM);
  types.forEach((t, i) => {
    const { start, width } = CONFIG.types[t];
    for (let d = 0; d < DIM; d++) {
      if (width === 0) {
        out[i * DIM + d] = p.get(inputParamName(t, 'vector'))![d];
        continue;
      }
      const w = p.get(inputParamName(t, 'weight'))!;
      let acc = p.get(inputParamName(t, 'bias'))![d];
      for (let c = 0; c < width; c++) acc += x[i * IN_DIM + start + c] * w[c * DIM + d];
      out[i * DIM + d] = acc;
    }
  });
  return out;
}

describe('per node type input projections', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('projects each row by its own type, against float64, on odd shapes', () => {
    for (const n of [1, 2, 13, 40]) {
      const rng = new Mulberry32(n);
      const x = randomArray(rng, n * IN_DIM);
      const types = Uint8Array.from({ length: n }, () => rng.int(4));
      const p = paramsOf(n);
      const tensors = new Map([...p].map(([k, v]) => [k, tensorOf(k, v)] as const));
      const got = tf.tidy(() => projectInputs(x, types, IN_DIM, DIM, CONFIG, tensors).dataSync());
      const want = reference(x, types, p);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
      for (const t of tensors.values()) t.dispose();
    }
  });

  it('gives every parameter its float64 gradient, zero for a type the batch lacks', () => {
    const rng = new Mulberry32(7);
    const n = 23;
    const x = randomArray(rng, n * IN_DIM);
    const types = Uint8Array.from({ length: n }, () => rng.int(4));
    const g = randomArray(rng, n * DIM);
    const p = paramsOf(3);
    const names = [...p.keys()];
    const lossOf = (...ps: tf.Tensor[]) => {
      const m = new Map(names.map((k, i) => [k, ps[i]] as const));
      return tf.sum(
        tf.mul(projectInputs(x, types, IN_DIM, DIM, CONFIG, m), tf.tensor2d(g, [n, DIM])),
      );
    };
    const { value, grads } = tf.valueAndGrads(lossOf as (...a: tf.Tensor[]) => tf.Scalar)(
      names.map((k) => tensorOf(k, p.get(k)!)),
    );
    value.dispose();
    // d/dW_t[c, d] = Σ_{rows i of t} x_i[start + c] g_i[d]; d/db_t = d/dv_t = Σ g_i.
    const want = new Map(names.map((k) => [k, new Float64Array(p.get(k)!.length)] as const));
    types.forEach((t, i) => {
      const { start, width } = CONFIG.types[t];
      const db = want.get(inputParamName(t, width === 0 ? 'vector' : 'bias'))!;
      for (let d = 0; d < DIM; d++) db[d] += g[i * DIM + d];
      const dw = want.get(inputParamName(t, 'weight'));
      for (let c = 0; c < width; c++)
        for (let d = 0; d < DIM; d++)
          dw![c * DIM + d] += x[i * IN_DIM + start + c] * g[i * DIM + d];
    });
    names.forEach((k, j) => {
      const got = grads[j].dataSync();
      const w = want.get(k)!;
      expect(got.length, k).toBe(w.length);
      for (let i = 0; i < w.length; i++) expect(got[i], `${k}[${i}]`).toBeCloseTo(w[i], 4);
      grads[j].dispose();
    });
    expect(Array.from(want.get(inputParamName(4, 'weight'))!).every((v) => v === 0)).toBe(true);
  });

  for (const encoder of ['sage', 'rgcn'] as const) {
    it(`${encoder}: the model's gradients through the projections match finite differences`, () => {
      const rng = new Mulberry32(encoder === 'sage' ? 21 : 22);
      const b1 = randomBlock(rng, { numDst: 6, numSrc: 12, maxDeg: 5 });
      const b0 = randomBlock(rng, { numDst: 12, numSrc: 21, maxDeg: 6 });
      const typedBlock = <B extends typeof b0>(b: B) =>
        encoder === 'rgcn' ? { ...b, edgeType: Uint8Array.from(b.indices, () => rng.int(2)) } : b;
      const batch: SubgraphBatch = {
        blocks: [typedBlock(b0), typedBlock(b1)],
        features: randomArray(rng, 21 * IN_DIM),
        nodeType: Uint8Array.from({ length: 21 }, (_, i) => (i < 4 ? i : rng.int(4))),
        numSeeds: 6,
      };
      const m = new GraphSage({
        inDim: IN_DIM,
        hiddenDim: DIM,
        outDim: 3,
        dropout: 0.2,
        inputProjection: { types: CONFIG.types.slice(0, 4) },
        ...(encoder === 'rgcn' ? { encoder: { kind: 'rgcn', numRelations: 2, numBases: 0 } } : {}),
        task: { kind: 'node' },
      } as GraphSageConfig);
      const names = m.paramSpecs().map((s) => s.name);
      expect(names.slice(0, 7)).toEqual([
        'input0.weight',
        'input0.bias',
        'input1.vector',
        'input2.weight',
        'input2.bias',
        'input3.weight',
        'input3.bias',
      ]);
      // The first layer reads the common width, not the feature width.
      const first = m.paramSpecs()[7];
      expect(first.shape[0]).toBe(encoder === 'sage' ? 2 * DIM : DIM);
      const target = { labels: new Int32Array([0, 1, 2, 0, 1, 2]) };
      checkModelGradients(m, m.init(4), batch, target, { dropoutSeed: 3, nonZero: true });
      m.dispose();
    });
  }

  it('refuses batches without types and columns outside the features, naming the field', () => {
    expect(() => inputProjectionParamSpecs({ types: [{ start: 6, width: 4 }] }, 9, 4)).toThrow(
      /inputProjection\.types\[0\].*not inside the 9 features/,
    );
    const m = new GraphSage({
      inDim: 4,
      hiddenDim: 4,
      outDim: 2,
      inputProjection: { types: [{ start: 0, width: 4 }] },
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    const rng = new Mulberry32(1);
    const b0 = randomBlock(rng, { numDst: 3, numSrc: 5, maxDeg: 2 });
    const b1 = randomBlock(rng, { numDst: 2, numSrc: 3, maxDeg: 2 });
    const batch = { blocks: [b0, b1], features: randomArray(rng, 20), numSeeds: 2 };
    expect(() => m.forward(batch)).toThrow(/nodeType/);
    expect(() => m.forward({ ...batch, nodeType: new Uint8Array([0, 0, 1, 0, 0]) })).toThrow(
      /row 2 has type 1 of 1/,
    );
    m.dispose();
  });
});

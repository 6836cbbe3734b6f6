// Per node type input projections: forward and every parameter's gradient against a float64
// reference on odd shapes (a featureless type, a type reading the whole row, a type absent from the
// batch), the model's gradients through sage and R-GCN stacks, and refusals that name the field.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage, type GraphSageConfig } from '../../../kernels/nn/graphsage.js';
import {
  idInputRows,
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

/**
 * A 2-layer batch of 21 input rows (rows 0..3 of types 0..3, the rest at random among them) with
 * node ids 100.., 6 seeds; with `relations`, each edge of relation 0 or 1.
 */
function typedBatch(rng: Mulberry32, relations: boolean): SubgraphBatch {
  const b1 = randomBlock(rng, { numDst: 6, numSrc: 12, maxDeg: 5 });
  const b0 = randomBlock(rng, { numDst: 12, numSrc: 21, maxDeg: 6 });
  const typedBlock = <B extends typeof b0>(b: B) =>
    relations ? { ...b, edgeType: Uint8Array.from(b.indices, () => rng.int(2)) } : b;
  return {
    blocks: [typedBlock(b0), typedBlock(b1)],
    features: randomArray(rng, 21 * IN_DIM),
    nodeType: Uint8Array.from({ length: 21 }, (_, i) => (i < 4 ? i : rng.int(4))),
    inputIds: Int32Array.from({ length: 21 }, (_, i) => 100 + i),
    numSeeds: 6,
  };
}

/** A 3-class node model over typedBatch's rows with these projections (and more config). */
function typedModel(inputProjection: InputProjectionConfig, more: object): GraphSage {
  return new GraphSage({
    inDim: IN_DIM,
    hiddenDim: DIM,
    outDim: 3,
    dropout: 0.2,
    inputProjection,
    ...more,
    task: { kind: 'node' },
  } as GraphSageConfig);
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
      const batch = typedBatch(rng, encoder === 'rgcn');
      const m = typedModel(
        { types: CONFIG.types.slice(0, 4) },
        encoder === 'rgcn' ? { encoder: { kind: 'rgcn', numRelations: 2, numBases: 0 } } : {},
      );
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

  describe("featureless types reading their nodes' ID rows", () => {
    const ID_CONFIG: InputProjectionConfig = { ...CONFIG, featureless: 'id' };
    /** CONFIG's types plus a second featureless type, so ID rows of two types interleave. */
    const TWO: InputProjectionConfig = {
      types: [...CONFIG.types.slice(0, 4), { start: 0, width: 0 }],
      featureless: 'id',
    };

    it('adds row r_v to the type vector, against float64, and each parameter and row gets its gradient', () => {
      for (const [c, n] of [
        [ID_CONFIG, 17],
        [TWO, 31],
        [TWO, 1],
      ] as const) {
        const rng = new Mulberry32(n + c.types.length);
        const specs = inputProjectionParamSpecs(c, IN_DIM, DIM);
        const x = randomArray(rng, n * IN_DIM);
        const types = Uint8Array.from({ length: n }, () => rng.int(c.types.length));
        const rowsAt = idInputRows(c, types);
        expect(Array.from(rowsAt)).toEqual(
          [...types.keys()].filter((i) => c.types[types[i]].width === 0),
        );
        const k = rowsAt.length;
        const idRows = randomArray(rng, k * DIM);
        const g = randomArray(rng, n * DIM);
        const p = initParams(specs, n);
        const names = [...p.keys()];
        const shapeOf = (name: string) => specs.find((q) => q.name === name)!.shape;
        const lossOf = (...ps: tf.Tensor[]) => {
          const m = new Map(names.map((name, i) => [name, ps[i]] as const));
          const out = projectInputs(x, types, IN_DIM, DIM, c, m, ps[names.length] as tf.Tensor2D);
          return tf.sum(tf.mul(out, tf.tensor2d(g, [n, DIM])));
        };
        const inputs = [
          ...names.map((name) => tf.tensor(p.get(name)!, shapeOf(name))),
          tf.tensor2d(idRows, [k, DIM]),
        ];
        const { value, grads } = tf.valueAndGrads(lossOf as (...a: tf.Tensor[]) => tf.Scalar)(
          inputs,
        );
        // Float64: z_i = e_t + r_j for the j-th featureless row i; d r_j = g_i, d e_t = Σ_i g_i.
        let want = 0;
        const dv = new Map<string, Float64Array>();
        const dRows = new Float64Array(k * DIM);
        let j = 0;
        types.forEach((t, i) => {
          const { start, width } = c.types[t];
          for (let d = 0; d < DIM; d++) {
            let z: number;
            if (width === 0) {
              z = p.get(inputParamName(t, 'vector'))![d] + idRows[j * DIM + d];
              dRows[j * DIM + d] = g[i * DIM + d];
              const v = dv.get(inputParamName(t, 'vector')) ?? new Float64Array(DIM);
              v[d] += g[i * DIM + d];
              dv.set(inputParamName(t, 'vector'), v);
            } else {
              z = p.get(inputParamName(t, 'bias'))![d];
              const w = p.get(inputParamName(t, 'weight'))!;
              for (let q = 0; q < width; q++) z += x[i * IN_DIM + start + q] * w[q * DIM + d];
            }
            want += z * g[i * DIM + d];
          }
          if (width === 0) j++;
        });
        expect(value.dataSync()[0]).toBeCloseTo(want, 3);
        const gotRows = grads[names.length].dataSync();
        expect(gotRows.length).toBe(k * DIM);
        for (let i = 0; i < dRows.length; i++) expect(gotRows[i]).toBeCloseTo(dRows[i], 5);
        names.forEach((name, i) => {
          const w = dv.get(name);
          if (!name.endsWith('.vector')) return;
          const got = grads[i].dataSync();
          for (let d = 0; d < DIM; d++) expect(got[d], name).toBeCloseTo(w ? w[d] : 0, 4);
        });
        value.dispose();
        for (const t of [...inputs, ...grads]) t.dispose();
      }
    });

    it('refuses ID rows of the wrong count, naming idRows', () => {
      const types = new Uint8Array([1, 0, 1]);
      const p = initParams(SPECS, 1);
      const m = new Map([...p].map(([k, v]) => [k, tensorOf(k, v)] as const));
      const x = new Float32Array(3 * IN_DIM);
      expect(() => projectInputs(x, types, IN_DIM, DIM, ID_CONFIG, m)).toThrow(/idRows.*2 rows/);
      const three = tf.zeros([3, DIM]) as tf.Tensor2D;
      expect(() => projectInputs(x, types, IN_DIM, DIM, ID_CONFIG, m, three)).toThrow(
        /idRows.*2 featureless input rows/,
      );
      three.dispose();
      for (const t of m.values()) t.dispose();
    });

    for (const withSeedRows of [false, true])
      it(`the model's ID-row gradients match finite differences${withSeedRows ? ', seeds’ rows added too' : ''}`, () => {
        const rng = new Mulberry32(withSeedRows ? 41 : 40);
        const batch = typedBatch(rng, false);
        const nodeType = batch.nodeType!;
        const inputIds = batch.inputIds!;
        const m = typedModel(
          { types: CONFIG.types.slice(0, 4), featureless: 'id' },
          withSeedRows ? { idEmbedding: { dim: DIM } } : {},
        );
        const seeds = Int32Array.from({ length: 6 }, (_, i) => 100 + i);
        const ids = m.idRowIds(batch, seeds);
        const featureless = [...nodeType.keys()].filter((i) => nodeType[i] === 1);
        expect(featureless.length).toBeGreaterThan(1);
        expect(Array.from(ids)).toEqual([
          ...(withSeedRows ? Array.from(seeds) : []),
          ...featureless.map((i) => inputIds[i]),
        ]);
        const rows = randomArray(rng, ids.length * DIM);
        const target = { labels: new Int32Array([0, 1, 2, 0, 1, 2]) };
        const params = m.init(4);
        checkModelGradients(m, params, batch, target, {
          dropoutSeed: 3,
          nonZero: true,
          idRows: rows,
        });
        m.setParams(params);
        const run = { dropoutSeed: 3 };
        const { idRowGrads } = m.forwardBackward(batch, target, { ...run, idRows: rows });
        expect(idRowGrads!.length).toBe(rows.length);
        const dir = randomArray(rng, rows.length);
        const eps = 1e-3;
        const lossAt = (s: number) =>
          m.forwardBackward(batch, target, {
            ...run,
            idRows: rows.map((v, i) => v + s * eps * dir[i]),
          }).loss;
        const numeric = (lossAt(1) - lossAt(-1)) / (2 * eps);
        const analytic = idRowGrads!.reduce((a, v, i) => a + v * dir[i], 0);
        expect(Math.abs(analytic)).toBeGreaterThan(0);
        expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 + 2e-2 * Math.abs(analytic));
        // Without rows every featureless input reads the unseen row (zeros), the seeds add none.
        const zeros = new Float32Array(featureless.length * DIM);
        const seedRows = withSeedRows ? new Float32Array(6 * DIM) : new Float32Array(0);
        const unseen = m.forward(batch, Float32Array.from([...seedRows, ...zeros]));
        expect(Array.from(m.forward(batch))).toEqual(Array.from(unseen));
        expect(Array.from(m.forward(batch, rows))).not.toEqual(Array.from(unseen));
        m.dispose();
      });
  });

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

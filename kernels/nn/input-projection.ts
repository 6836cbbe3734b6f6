// Per node type input projections (model.inputProjection per-type): row v of type t becomes
// x_v[cols_t] · W_t + b_t, one common width for every type; a featureless type gets a learned
// vector, plus with `featureless: 'id'` its node's own row of the ID-embedding table.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../tf/errors.js';
import { columnSum, matMulTN } from './dense.js';
import type { ParamSpec } from './params.js';

/** The feature columns [start, start + width) a node type fills; width 0: a featureless type. */
export interface TypeColumns {
  start: number;
  width: number;
}

export interface InputProjectionConfig {
  /** Per node type, in the manifest's order (a row's type index), the columns it reads. */
  types: readonly TypeColumns[];
  /**
   * What a featureless type's row reads: its type's learned vector e_t ('vector', the default), or
   * e_t plus the node's own ID row r_v ('id'; an id with no row reads zeros, so e_t alone).
   */
  featureless?: 'vector' | 'id';
}

/** Whether rows of featureless types add their nodes' ID rows. */
export function readsIdRows(c: InputProjectionConfig): boolean {
  return c.featureless === 'id';
}

/**
 * The input rows that read an ID row (featureless types, with `featureless: 'id'`), in row order:
 * the order of the ID rows projectInputs takes. Empty without them.
 */
export function idInputRows(c: InputProjectionConfig, nodeType: Uint8Array): Int32Array {
  if (!readsIdRows(c)) return new Int32Array(0);
  let n = 0;
  for (let i = 0; i < nodeType.length; i++) if (c.types[nodeType[i]]?.width === 0) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let i = 0; i < nodeType.length; i++) if (c.types[nodeType[i]]?.width === 0) out[n++] = i;
  return out;
}

/** At most this many node types: a row's type travels as one byte. */
export const MAX_INPUT_TYPES = 255;

/** Parameter names of type t: `input<t>.weight` [width × dim] and `.bias` [dim], or `.vector` [dim]. */
export function inputParamName(t: number, part: 'weight' | 'bias' | 'vector'): string {
  return `input${t}.${part}`;
}

/** The projections' parameters, checked against the feature width `inDim`; `dim` is the common width. */
export function inputProjectionParamSpecs(
  c: InputProjectionConfig,
  inDim: number,
  dim: number,
): ParamSpec[] {
  if (c.types.length < 1 || c.types.length > MAX_INPUT_TYPES)
    throw new ShapeError('inputProjection.types', `${c.types.length} node types, need 1..255`);
  const specs: ParamSpec[] = [];
  c.types.forEach(({ start, width }, t) => {
    if (!(Number.isInteger(start) && Number.isInteger(width) && start >= 0 && width >= 0))
      throw new ShapeError(
        `inputProjection.types[${t}]`,
        `columns ${start}+${width} are not counts`,
      );
    if (start + width > inDim)
      throw new ShapeError(
        `inputProjection.types[${t}]`,
        `columns [${start}, ${start + width}) are not inside the ${inDim} features`,
      );
    if (width === 0) {
      specs.push({
        name: inputParamName(t, 'vector'),
        shape: [dim],
        init: { kind: 'glorot', fanIn: 1, fanOut: dim },
      });
      return;
    }
    specs.push({
      name: inputParamName(t, 'weight'),
      shape: [width, dim],
      init: { kind: 'glorot', fanIn: width, fanOut: dim },
    });
    specs.push({ name: inputParamName(t, 'bias'), shape: [dim], init: { kind: 'zeros' } });
  });
  return specs;
}

/** Rows grouped by type: `order` lists rows type by type, type t's at [from[t], from[t + 1]). */
function groupByType(nodeType: Uint8Array, numTypes: number) {
  const from = new Int32Array(numTypes + 1);
  for (let i = 0; i < nodeType.length; i++) {
    const t = nodeType[i];
    if (t >= numTypes) throw new ShapeError('nodeType', `row ${i} has type ${t} of ${numTypes}`);
    from[t + 1]++;
  }
  for (let t = 0; t < numTypes; t++) from[t + 1] += from[t];
  const order = new Int32Array(nodeType.length);
  const position = new Int32Array(nodeType.length);
  const at = from.slice(0, numTypes);
  for (let i = 0; i < nodeType.length; i++) {
    const k = at[nodeType[i]]++;
    order[k] = i;
    position[i] = k;
  }
  return { from, order, position };
}

/** Type t's columns of its rows, in `order`: [n_t × width] row-major. */
function typeRows(
  features: Float32Array,
  inDim: number,
  order: Int32Array,
  lo: number,
  hi: number,
  cols: TypeColumns,
): Float32Array {
  const out = new Float32Array((hi - lo) * cols.width);
  for (let k = lo; k < hi; k++) {
    const src = order[k] * inDim + cols.start;
    out.set(features.subarray(src, src + cols.width), (k - lo) * cols.width);
  }
  return out;
}

/**
 * The projected input rows [n × dim] of `features` ([n × inDim], row-major data) whose types are
 * `nodeType`; differentiable in every projection parameter (features are data: no gradient) and,
 * with `featureless: 'id'`, in `idRows` ([k × dim], the ID rows of idInputRows' k rows, in order).
 * Forward: rows grouped by type, one matmul per type present, the groups put back in row order.
 */
export function projectInputs(
  features: Float32Array,
  nodeType: Uint8Array,
  inDim: number,
  dim: number,
  c: InputProjectionConfig,
  p: ReadonlyMap<string, tf.Tensor>,
  idRows?: tf.Tensor2D,
): tf.Tensor2D {
  const n = nodeType.length;
  if (features.length !== n * inDim)
    throw new ShapeError('features', `${features.length} values for ${n} rows × ${inDim}`);
  const T = c.types.length;
  const { from, order, position } = groupByType(nodeType, T);
  const withIds = readsIdRows(c);
  const idRowOf = withIds ? idRowIndex(c, nodeType, order, idRows, dim) : undefined;
  const rows = c.types.map((cols, t) =>
    cols.width > 0 ? typeRows(features, inDim, order, from[t], from[t + 1], cols) : null,
  );
  const names = c.types.flatMap((cols, t) =>
    cols.width > 0
      ? [inputParamName(t, 'weight'), inputParamName(t, 'bias')]
      : [inputParamName(t, 'vector')],
  );
  const params = names.map((name) => {
    const v = p.get(name);
    if (v === undefined) throw new ShapeError(`params.${name}`, 'missing');
    return v;
  });
  const rowsOf = (t: number) => tf.tensor2d(rows[t]!, [from[t + 1] - from[t], c.types[t].width]);
  if (withIds) params.push(idRows!);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ps = args.slice(0, params.length) as tf.Tensor[];
    const ids = withIds ? (ps[params.length - 1] as tf.Tensor2D) : undefined;
    return {
      value: tf.tidy(() => {
        const parts: tf.Tensor2D[] = [];
        let k = 0;
        for (let t = 0; t < T; t++) {
          const nt = from[t + 1] - from[t];
          if (c.types[t].width === 0) {
            if (nt > 0) {
              const e = tf.tile(tf.reshape(ps[k], [1, dim]), [nt, 1]) as tf.Tensor2D;
              const own = ids && idRowOf!.slice(from[t], from[t + 1]);
              parts.push(own ? (tf.add(e, tf.gather(ids, own)) as tf.Tensor2D) : e);
            }
            k += 1;
            continue;
          }
          if (nt > 0)
            parts.push(
              tf.add(tf.matMul(rowsOf(t), ps[k] as tf.Tensor2D), ps[k + 1]) as tf.Tensor2D,
            );
          k += 2;
        }
        const grouped = parts.length === 0 ? tf.zeros([0, dim]) : tf.concat(parts, 0);
        return tf.gather(grouped, tf.tensor1d(position, 'int32')) as tf.Tensor2D;
      }),
      gradFunc: (dy: tf.Tensor) => {
        const grads = projectionGrads(dy as tf.Tensor2D, order, from, c, rowsOf);
        // d r_v = dZ_v: each ID row feeds its one input row.
        if (withIds) grads.push(tf.gather(dy, idInputRows(c, nodeType)));
        return grads;
      },
    };
  });
  return f(...params) as tf.Tensor2D;
}

/**
 * For rows grouped by type (`order`), the index of each featureless row's ID row among idInputRows'
 * (-1 for rows of other types), with `idRows` checked against their count.
 */
function idRowIndex(
  c: InputProjectionConfig,
  nodeType: Uint8Array,
  order: Int32Array,
  idRows: tf.Tensor2D | undefined,
  dim: number,
): Int32Array {
  const k = idInputRows(c, nodeType).length;
  if (idRows === undefined)
    throw new ShapeError('idRows', `featureless types read ID rows: ${k} rows needed`);
  if (idRows.shape[0] !== k || idRows.shape[1] !== dim)
    throw new ShapeError('idRows', `[${idRows.shape}] for ${k} featureless input rows × ${dim}`);
  const rank = new Int32Array(nodeType.length).fill(-1);
  let j = 0;
  for (let i = 0; i < nodeType.length; i++) if (c.types[nodeType[i]].width === 0) rank[i] = j++;
  return Int32Array.from(order, (i) => rank[i]);
}

/** Each parameter's gradient, in projectInputs' order: dW_t = X_tᵀ dZ_t, db_t = dv_t = Σ_rows dZ_t. */
function projectionGrads(
  dy: tf.Tensor2D,
  order: Int32Array,
  from: Int32Array,
  c: InputProjectionConfig,
  rowsOf: (t: number) => tf.Tensor2D,
): tf.Tensor[] {
  const dim = dy.shape[1];
  const grouped = tf.gather(dy, tf.tensor1d(order, 'int32')) as tf.Tensor2D;
  const out: tf.Tensor[] = [];
  c.types.forEach(({ width }, t) => {
    const nt = from[t + 1] - from[t];
    const dz = nt > 0 ? tf.slice(grouped, [from[t], 0], [nt, dim]) : null;
    const colSum = () => (dz ? columnSum(dz) : tf.zeros([dim]));
    if (width === 0) {
      out.push(colSum());
      return;
    }
    out.push(dz ? matMulTN(rowsOf(t), dz) : tf.zeros([width, dim]));
    out.push(colSum());
  });
  return out;
}

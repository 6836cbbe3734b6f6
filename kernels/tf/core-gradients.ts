// Gradients of the plain tfjs ops the temporal model is built from (broadcast add and multiply,
// reductions, softmax, batched matmul, reshapes, transposes, tiles, concatenation, ReLU), which
// tfjs-core's node bundle does not register; each only where nothing registered one before.

import * as tf from '@tensorflow/tfjs-core';

type Grad = Parameters<typeof tf.registerGradient>[0];

/** dy summed over the axes that broadcasting added or stretched, back to `shape`. */
function reduceTo(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

/** The shape of x with the reduced axes kept as 1, so a reduction's dy broadcasts back over x. */
function keptShape(x: tf.Tensor, axis: number | number[]): number[] {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  return x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
}

const GRADIENTS: Grad[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => reduceTo(dy as tf.Tensor, a.shape),
      b: () => reduceTo(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => reduceTo(tf.mul(dy as tf.Tensor, b), a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, a), b.shape),
    }),
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const { axis } = attrs as unknown as { axis: number | number[] };
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keptShape(x, axis)), tf.onesLike(x)) };
    },
  },
  {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => {
      const { reductionIndices } = attrs as unknown as { reductionIndices: number | number[] };
      const kept = keptShape(x, reductionIndices);
      const at = tf.cast(tf.equal(x, tf.reshape(y, kept)), 'float32');
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, kept), at) };
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const { dim } = attrs as unknown as { dim: number };
      const d = dy as tf.Tensor;
      return { logits: () => tf.mul(y, tf.sub(d, tf.sum(tf.mul(d, y), dim, true))) };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const { transposeA: ta, transposeB: tb } = attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
      };
      const d = dy as tf.Tensor3D;
      const [a3, b3] = [a as tf.Tensor3D, b as tf.Tensor3D];
      if (!ta && !tb)
        return { a: () => tf.matMul(d, b3, false, true), b: () => tf.matMul(a3, d, true, false) };
      if (!ta) return { a: () => tf.matMul(d, b3), b: () => tf.matMul(d, a3, true, false) };
      if (!tb) return { a: () => tf.matMul(b3, d, false, true), b: () => tf.matMul(a3, d) };
      return { a: () => tf.matMul(b3, d, true, true), b: () => tf.matMul(d, a3, true, true) };
    },
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const { perm } = attrs as unknown as { perm: number[] };
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernelName: tf.ExpandDims,
    inputsToSave: ['input'],
    gradFunc: (dy, [input]) => ({ input: () => tf.reshape(dy as tf.Tensor, input.shape) }),
  },
  {
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const { reps } = attrs as unknown as { reps: number[] };
      // dy's axis i is reps[i] copies of x's axis i: split each into [copy, position] and sum the copies.
      const split = x.shape.flatMap((s, i) => [reps[i], s]);
      const copies = reps.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, split), copies), x.shape) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      const ax = tf.util.parseAxisParam(axis, saved[0].shape)[0];
      const parts = tf.split(
        dy as tf.Tensor,
        saved.map((t) => t.shape[ax]),
        ax,
      );
      return parts.map((t) => () => t) as unknown as ReturnType<Grad['gradFunc']>;
    },
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({
      x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.greater(x, 0), 'float32')),
    }),
  },
];

for (const g of GRADIENTS) if (tf.getGradient(g.kernelName) === undefined) tf.registerGradient(g);

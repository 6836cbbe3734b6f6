// Registers kernels written as plain typed-array loops with tfjs, for every backend we run on.
// wasm: read and write the wasm heap in place; cpu: use the backend's own arrays; others: copy in and out.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export type JsDtype = 'float32' | 'int32';
export type JsArray = Float32Array | Int32Array;

/** One output of a JS kernel: its shape, dtype and whether it must start zeroed (scatters). */
export interface JsOutputSpec {
  shape: number[];
  dtype: JsDtype;
  zeroed: boolean;
}

/**
 * A kernel as data: the names of its tensor inputs (in order), how to size its outputs, and the
 * loop that fills them. `compute` gets views that stay valid for the whole call (no allocation
 * happens on the backend between taking the views and returning).
 */
export interface JsKernelSpec<A> {
  kernelName: string;
  inputNames: readonly string[];
  outputs(inputs: readonly TensorInfo[], attrs: A): JsOutputSpec[];
  compute(ins: readonly JsArray[], outs: JsArray[], attrs: A, inputs: readonly TensorInfo[]): void;
  /** Restrict to these backends (e.g. a built-in kernel only wasm lacks); default: all. */
  backends?: readonly string[];
}

/** The wasm backend's surface we rely on (tfjs-backend-wasm 4.x: makeOutput + typedArrayFromHeap). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: JsDtype): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): JsArray;
}

/** Backends every spec is registered for up front; others are added by `enableJsKernelsFor`. */
const backendNames = new Set<string>(['cpu', 'wasm', 'tensorflow']);
const specs: JsKernelSpec<never>[] = [];

function isWasmBackend(backend: KernelBackend): backend is KernelBackend & WasmBackendLike {
  const b = backend as unknown as Partial<WasmBackendLike>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

function makeArray(dtype: JsDtype, size: number): JsArray {
  return dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function runSpec<A>(
  spec: JsKernelSpec<A>,
  backend: KernelBackend,
  namedInputs: Record<string, TensorInfo>,
  attrs: A,
): TensorInfo | TensorInfo[] {
  const inputs = spec.inputNames.map((n) => {
    const t = namedInputs[n];
    if (t === undefined) throw new Error(`${spec.kernelName}: missing input '${n}'`);
    return t;
  });
  const outSpecs = spec.outputs(inputs, attrs);
  let infos: TensorInfo[];
  if (isWasmBackend(backend)) {
    // Allocate every output first: a malloc may grow the heap and detach earlier views.
    infos = outSpecs.map((o) => backend.makeOutput(o.shape, o.dtype));
    const ins = inputs.map((t) => backend.typedArrayFromHeap(t));
    const outs = infos.map((t) => backend.typedArrayFromHeap(t));
    for (let i = 0; i < outs.length; i++) if (outSpecs[i].zeroed) outs[i].fill(0);
    spec.compute(ins, outs, attrs, inputs);
  } else {
    // cpu: readSync hands back the stored array itself; other backends copy.
    const ins = inputs.map((t) => backend.readSync(t.dataId) as JsArray);
    const outs = outSpecs.map((o) => makeArray(o.dtype, sizeOf(o.shape)));
    spec.compute(ins, outs, attrs, inputs);
    infos = outSpecs.map((o, i) => ({
      dataId: backend.write(outs[i], o.shape, o.dtype),
      shape: o.shape,
      dtype: o.dtype,
    }));
  }
  return infos.length === 1 ? infos[0] : infos;
}

function registerFor(spec: JsKernelSpec<never>, backendName: string): void {
  if (spec.backends !== undefined && !spec.backends.includes(backendName)) return;
  if (tf.getKernel(spec.kernelName, backendName) !== undefined) return;
  tf.registerKernel({
    kernelName: spec.kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) =>
      runSpec(
        spec,
        backend as KernelBackend,
        inputs as unknown as Record<string, TensorInfo>,
        attrs as never,
      ),
  });
}

/** Registers `spec` for every known backend (idempotent: an existing registration is kept). */
export function registerJsKernel<A>(spec: JsKernelSpec<A>): void {
  const s = spec as unknown as JsKernelSpec<never>;
  specs.push(s);
  for (const b of backendNames) registerFor(s, b);
}

/** Makes every JS kernel available on another backend (the copy-in/copy-out path). */
export function enableJsKernelsFor(backendName: string): void {
  if (backendNames.has(backendName)) return;
  backendNames.add(backendName);
  for (const s of specs) registerFor(s, backendName);
}

/** Runs a registered kernel by name; attrs may carry typed arrays (they are passed through untouched). */
export function runKernel(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): tf.Tensor | tf.Tensor[] {
  return tf
    .engine()
    .runKernel(
      kernelName,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as NamedAttrMap,
    ) as tf.Tensor | tf.Tensor[];
}

/** `runKernel` for single-output kernels. */
export function runKernel1(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): tf.Tensor {
  const out = runKernel(kernelName, inputs, attrs);
  if (Array.isArray(out)) throw new Error(`${kernelName}: expected one output, got ${out.length}`);
  return out;
}

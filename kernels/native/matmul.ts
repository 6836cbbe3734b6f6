// Registers the native GEMM as the wasm backend's BatchMatMul and _FusedMatMul kernels, so every
// tf.matMul and tf.fused.matMul runs it; cases it does not cover go to the wasm kernels it replaced.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels, type NativeAddon } from './addon.js';

interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

const BACKEND = 'wasm';
const replaced = new Map<string, KernelConfig>();

function batchOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 2; i++) n *= shape[i];
  return n;
}

/** The native product of a and b (+ bias, ReLU), or undefined when the wasm kernel must do it. */
function nativeProduct(
  addon: NativeAddon,
  backend: WasmHeap,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  attrs: MatMulAttrs,
): TensorInfo | undefined {
  const act = attrs.activation ?? 'linear';
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (act !== 'linear' && act !== 'relu'))
    return undefined;
  if (a.shape.length < 2 || a.shape.length !== b.shape.length) return undefined;
  for (let i = 0; i < a.shape.length - 2; i++) if (a.shape[i] !== b.shape[i]) return undefined;
  const r = a.shape.length;
  const [m, k] = attrs.transposeA
    ? [a.shape[r - 1], a.shape[r - 2]]
    : [a.shape[r - 2], a.shape[r - 1]];
  const [kb, n] = attrs.transposeB
    ? [b.shape[r - 1], b.shape[r - 2]]
    : [b.shape[r - 2], b.shape[r - 1]];
  if (k !== kb) return undefined;
  if (
    bias !== undefined &&
    (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)
  )
    return undefined;
  const batch = batchOf(a.shape);
  // Allocate first: a malloc may grow the heap and detach views taken before it.
  const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  const av = backend.typedArrayFromHeap(a);
  const bv = backend.typedArrayFromHeap(b);
  const cv = backend.typedArrayFromHeap(out);
  const biasv = bias === undefined ? null : backend.typedArrayFromHeap(bias);
  for (let i = 0; i < batch; i++)
    addon.gemm(
      av.subarray(i * m * k, (i + 1) * m * k),
      bv.subarray(i * k * n, (i + 1) * k * n),
      cv.subarray(i * m * n, (i + 1) * m * n),
      m,
      n,
      k,
      attrs.transposeA,
      attrs.transposeB,
      biasv,
      act === 'relu',
    );
  return out;
}

function override(
  name: string,
  pick: (inputs: Record<string, TensorInfo>) => TensorInfo | undefined,
): void {
  const original = replaced.get(name) ?? tf.getKernel(name, BACKEND);
  if (original === undefined) throw new Error(`no ${name} kernel registered for ${BACKEND}`);
  replaced.set(name, original);
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as unknown as Record<string, TensorInfo>;
    const attrs = args.attrs as unknown as MatMulAttrs & { leakyreluAlpha?: number };
    const addon = nativeKernels();
    if (addon !== null && (inputs.preluActivationWeights ?? null) === null) {
      const heap = args.backend as unknown as WasmHeap;
      const out = nativeProduct(addon, heap, inputs.a, inputs.b, pick(inputs), attrs);
      if (out !== undefined) return out;
    }
    return original.kernelFunc(args);
  };
  tf.unregisterKernel(name, BACKEND);
  tf.registerKernel({ ...original, kernelFunc });
}

/**
 * Makes the wasm backend's matmuls native (idempotent). Each call asks nativeKernels() again, so
 * setNativeEnabled(false) sends them back to the wasm kernels.
 */
export function registerNativeMatMul(): void {
  if (replaced.size === 2) return;
  override('BatchMatMul', () => undefined);
  override('_FusedMatMul', (inputs) => inputs.bias ?? undefined);
}

/** Puts the wasm kernels back (tests compare both in one process). */
export function unregisterNativeMatMul(): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
  replaced.clear();
}

/** Whether tf.matMul runs the native GEMM now: lets layers skip wasm-only workarounds. */
export function nativeMatMulActive(): boolean {
  return replaced.size === 2 && tf.getBackend() === BACKEND && nativeKernels() !== null;
}

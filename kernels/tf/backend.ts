// Picks the TensorFlow.js backend at start: tensorflow (tfjs-node-gpu, then tfjs-node), else wasm
// (SIMD, one thread), else cpu; reports which one runs and why the better ones did not.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { enableJsKernelsFor } from './js-kernel.js';
import { BackendError } from './errors.js';
import { nativeKernels, nativeStatus } from '../native/addon.js';
import { registerNativeMatMul } from '../native/matmul.js';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendAttempt {
  /** Package or backend tried, e.g. '@tensorflow/tfjs-node' or 'wasm'. */
  backend: string;
  ok: boolean;
  /** Why it was chosen or skipped, for logs and results.json. */
  reason: string;
  initMs: number;
}

export interface BackendReport {
  name: BackendName;
  /** One line for humans: what runs and why. */
  reason: string;
  attempts: BackendAttempt[];
  /** wasm only: whether the SIMD binary was loaded. */
  simd?: boolean;
  /** wasm only: XNNPACK threads (1: Node has no wasm threads in tfjs 4.x). */
  threads?: number;
  /** wasm only: folder the .wasm binaries were loaded from. */
  wasmDir?: string;
  tfjsVersion: string;
  /**
   * Which kernels run the hot ops: 'native' (the N-API addon: matmuls on wasm, CSR aggregations on
   * every backend) or 'wasm' (the wasm and JavaScript kernels), and why (kernels/native/addon.ts).
   */
  kernels: 'native' | 'wasm';
  kernelsReason: string;
}

/** The backend's name as results.json and logs show it: 'wasm+native' when the addon runs. */
export function backendLabel(report: BackendReport): string {
  return report.kernels === 'native' ? `${report.name}+native` : report.name;
}

const require = createRequire(import.meta.url);
let current: BackendReport | undefined;
let pending: Promise<BackendReport> | undefined;

/** The backend chosen by the last successful `initBackend`, if any. */
export function currentBackend(): BackendReport | undefined {
  return current;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND')
    return 'not installed (optional dependency)';
  const msg = e?.message ?? String(err);
  return msg.split('\n')[0].slice(0, 300);
}

async function timedAttempt(
  backend: string,
  run: () => Promise<string>,
): Promise<BackendAttempt & { error?: unknown }> {
  const t0 = performance.now();
  try {
    const reason = await run();
    return { backend, ok: true, reason, initMs: performance.now() - t0 };
  } catch (error) {
    return { backend, ok: false, reason: describe(error), initMs: performance.now() - t0, error };
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  enableJsKernelsFor(name);
}

async function tryTensorflow(pkg: string): Promise<string> {
  // The name is held in a variable so TypeScript does not try to resolve an optional package.
  const spec: string = pkg;
  await import(spec);
  await activate('tensorflow');
  return `${pkg} loaded (native libtensorflow)`;
}

let wasmInfo: { simd: boolean; threads: number; wasmDir?: string } | undefined;

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // tfjs 4.x never enables wasm threads under Node; say so explicitly rather than rely on it.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  // Point the loader at the package's own dist folder so it works whatever file imported us.
  let wasmDir: string | undefined;
  try {
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    if (existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) {
      wasmDir = dir;
      wasm.setWasmPaths(dir + path.sep);
    }
  } catch {
    // Resolution can fail under bundlers; the package then finds its binaries beside itself.
  }
  await activate('wasm');
  if (nativeKernels() !== null) registerNativeMatMul();
  const threads = wasm.getThreadsCount();
  wasmInfo = { simd, threads, wasmDir };
  return `wasm ${simd ? 'with SIMD' : 'without SIMD'}, ${threads} thread(s)`;
}

async function tryCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  // The cpu backend prints a banner recommending tfjs-node on first use; the report says that already.
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (backend.firstUse === true) backend.firstUse = false;
  return 'plain JavaScript kernels';
}

async function select(preference: BackendPreference): Promise<BackendReport> {
  // WEFT_KERNELS=native without a loadable addon (or a value that means nothing) stops here, as itself.
  nativeKernels();
  const attempts: (BackendAttempt & { error?: unknown })[] = [];
  const candidates: [string, BackendName, () => Promise<string>][] = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    candidates.push([
      '@tensorflow/tfjs-node-gpu',
      'tensorflow',
      () => tryTensorflow('@tensorflow/tfjs-node-gpu'),
    ]);
    candidates.push([
      '@tensorflow/tfjs-node',
      'tensorflow',
      () => tryTensorflow('@tensorflow/tfjs-node'),
    ]);
  }
  if (preference === 'auto' || preference === 'wasm') candidates.push(['wasm', 'wasm', tryWasm]);
  if (preference === 'auto' || preference === 'cpu') candidates.push(['cpu', 'cpu', tryCpu]);

  for (const [label, name, run] of candidates) {
    const a = await timedAttempt(label, run);
    attempts.push(a);
    if (!a.ok) continue;
    const skipped = attempts.filter((x) => !x.ok).map((x) => `${x.backend}: ${x.reason}`);
    const report: BackendReport = {
      name,
      reason:
        `${name} (${a.reason})` + (skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : ''),
      attempts: attempts.map(({ backend, ok, reason, initMs }) => ({
        backend,
        ok,
        reason,
        initMs,
      })),
      tfjsVersion: tf.version_core,
      kernels: nativeStatus().kernels,
      kernelsReason: nativeStatus().reason,
    };
    report.reason += `; kernels ${report.kernelsReason}`;
    if (name === 'wasm' && wasmInfo !== undefined) {
      report.simd = wasmInfo.simd;
      report.threads = wasmInfo.threads;
      if (wasmInfo.wasmDir !== undefined) report.wasmDir = wasmInfo.wasmDir;
    }
    return report;
  }
  const firstError = attempts.find((x) => x.error !== undefined)?.error;
  throw new BackendError(
    preference,
    attempts.map(({ backend, reason }) => ({ backend, reason })),
    { cause: firstError },
  );
}

/**
 * Chooses and activates a backend. 'auto' tries tensorflow (GPU, then CPU build), wasm, cpu in
 * that order; a named preference tries only that backend and throws BackendError if it fails.
 * Calling it again with the backend already active returns the same report.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendReport> {
  if (pending !== undefined) await pending.catch(() => undefined);
  if (current !== undefined && (preference === 'auto' || preference === current.name)) {
    if (tf.getBackend() === current.name) return current;
  }
  pending = select(preference);
  try {
    current = await pending;
    return current;
  } finally {
    pending = undefined;
  }
}

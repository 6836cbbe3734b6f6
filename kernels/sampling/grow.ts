// Growth of the samplers' reusable scratch arrays: at least doubling, keeping the prefix, so a batch
// that outgrows its buffers pays O(1) amortised per element and later batches pay nothing.

export function growInt32(a: Int32Array, minLength: number, keep: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(minLength, a.length * 2, 64));
  b.set(a.subarray(0, keep));
  return b;
}

export function growFloat32(
  a: Float32Array,
  minLength: number,
  keep: number,
): Float32Array<ArrayBuffer> {
  const b = new Float32Array(Math.max(minLength, a.length * 2, 64));
  b.set(a.subarray(0, keep));
  return b;
}

export function growFloat64(
  a: Float64Array,
  minLength: number,
  keep: number,
): Float64Array<ArrayBuffer> {
  const b = new Float64Array(Math.max(minLength, a.length * 2, 64));
  b.set(a.subarray(0, keep));
  return b;
}

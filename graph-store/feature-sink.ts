// Streams node feature rows into a graph directory in the chosen storage dtype: float32 as is, float16
// rounded to nearest, or int8 with one float32 scale per row (scale = max |x| / 127).
import { checkFeatureRows, type FiniteFeatures } from './finite-features.js';
import { toFloat16Bits } from './float16.js';
import type { ArrayFileStream, GraphWriter } from './graph-writer.js';
import type { ManifestFeatures } from './manifest.js';
import type { FeatureDtype } from './types.js';

export const FEATURE_DTYPES: readonly FeatureDtype[] = ['float32', 'float16', 'int8'];

/** Parses a --feature-dtype value; undefined when unknown. */
export function parseFeatureDtype(s: string): FeatureDtype | undefined {
  const aliases: Record<string, FeatureDtype> = {
    float32: 'float32',
    f32: 'float32',
    float16: 'float16',
    f16: 'float16',
    half: 'float16',
    int8: 'int8',
    i8: 'int8',
  };
  return aliases[s.toLowerCase()];
}

/** Appends feature rows (float32 or float64 input) and produces the manifest's `features` entry. */
export class FeatureSink {
  private readonly data: ArrayFileStream;
  private readonly scales?: ArrayFileStream;
  private f32 = new Float32Array(0);
  private f16 = new Uint16Array(0);
  private i8 = new Int8Array(0);
  private rowScales = new Float32Array(0);
  private rowsWritten = 0;
  /** NaN or infinite values kept (only with `allowNonFinite`). */
  private nonFinite = 0;

  constructor(
    writer: GraphWriter,
    readonly dim: number,
    readonly dtype: FeatureDtype,
    private readonly finite: FiniteFeatures = {},
  ) {
    if (dtype === 'float32') this.data = writer.stream('features.f32', 'f32');
    else if (dtype === 'float16') this.data = writer.stream('features.f16', 'f16');
    else {
      this.data = writer.stream('features.i8', 'i8');
      this.scales = writer.stream('feature_scales.f32', 'f32');
    }
  }

  get rows(): number {
    return this.rowsWritten;
  }

  /**
   * Appends `rows` rows from `values` (row-major, at least rows * dim values); a value that is not
   * finite in the storage dtype is refused (finite-features.ts) before anything of the rows is written.
   */
  writeRows(values: Float32Array | Float64Array, rows: number): void {
    const n = rows * this.dim;
    if (values.length < n)
      throw new RangeError(`need ${n} values for ${rows} rows, got ${values.length}`);
    this.nonFinite += checkFeatureRows(
      values,
      rows,
      this.dim,
      this.rowsWritten,
      this.dtype,
      this.finite,
    );
    this.rowsWritten += rows;
    if (this.dtype === 'float32') {
      if (values instanceof Float32Array) {
        this.data.write(values.subarray(0, n));
        return;
      }
      if (this.f32.length < n) this.f32 = new Float32Array(n);
      for (let i = 0; i < n; i++) this.f32[i] = values[i];
      this.data.write(this.f32.subarray(0, n));
      return;
    }
    if (this.dtype === 'float16') {
      if (this.f16.length < n) this.f16 = new Uint16Array(n);
      const out = this.f16;
      for (let i = 0; i < n; i++) out[i] = toFloat16Bits(values[i]);
      this.data.write(out.subarray(0, n));
      return;
    }
    if (this.i8.length < n) this.i8 = new Int8Array(n);
    if (this.rowScales.length < rows) this.rowScales = new Float32Array(rows);
    const q = this.i8;
    const dim = this.dim;
    for (let r = 0; r < rows; r++) {
      const base = r * dim;
      let maxAbs = 0;
      for (let k = 0; k < dim; k++) {
        const a = Math.abs(values[base + k]);
        if (a > maxAbs) maxAbs = a;
      }
      // Store the float32-rounded scale and quantize with that same value, so decode matches encode.
      this.rowScales[r] = maxAbs / 127;
      const scale = this.rowScales[r];
      const inv = scale > 0 ? 1 / scale : 0;
      for (let k = 0; k < dim; k++) {
        let v = Math.round(values[base + k] * inv);
        if (v > 127) v = 127;
        else if (v < -127) v = -127;
        q[base + k] = v;
      }
    }
    this.data.write(q.subarray(0, n));
    this.scales!.write(this.rowScales.subarray(0, rows));
  }

  /** Closes the files; returns the manifest entry. */
  close(): ManifestFeatures {
    const file = this.data.close();
    const scales = this.scales?.close();
    const entry: ManifestFeatures = { dim: this.dim, dtype: this.dtype, file };
    if (scales) entry.scales = scales;
    if (this.nonFinite > 0) entry.nonFinite = this.nonFinite;
    return entry;
  }

  discard(): void {
    this.data.discard();
    this.scales?.discard();
  }
}

// Reads node features from text: one row per node in node order, values separated by commas, tabs or
// spaces, an optional header line. Streams rows in chunks; bad values are reported with line and column.
import { InputError } from '../runtime/errors.js';
import { bytesText, forEachLine, parseNumberBytes } from './text-blocks.js';

const COMMA = 0x2c;
const TAB = 0x09;
const SPACE = 0x20;

function isSep(c: number): boolean {
  return c === COMMA || c === TAB || c === SPACE;
}

/** NaN and infinity as data (nan, inf, infinity, any case, optional sign): kept only when allowed. */
const NON_FINITE_TOKEN = /^[+-]?(nan|inf|infinity)$/i;

function nonFiniteValue(text: string): number {
  if (/nan/i.test(text)) return NaN;
  return text.startsWith('-') ? -Infinity : Infinity;
}

/** Streams feature rows; returns the row count and the dim (fields per row). */
export function readFeatureCsv(
  file: string,
  onRows: (values: Float64Array, rows: number, dim: number) => void,
  opts: {
    rowsPerChunk?: number;
    onProgress?: (done: number, total: number) => void;
    /** Keep nan / inf values and decimals beyond float64 (`--allow-non-finite`). */
    allowNonFinite?: boolean;
  } = {},
): { rows: number; dim: number } {
  const allow = opts.allowNonFinite === true;
  const rowsPerChunk = opts.rowsPerChunk ?? 4096;
  let dim = 0;
  let values = new Float64Array(0);
  let inChunk = 0;
  let rows = 0;
  let first = true;
  forEachLine(
    file,
    '--features',
    (buf, start, end, lineNo) => {
      let s = start;
      let e = end;
      while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
      while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
      if (s === e || buf[s] === 0x23) return;
      if (dim === 0) {
        const text = bytesText(buf, s, e);
        const parts = text.split(/[,\t ]+/);
        const firstIsNumber =
          !Number.isNaN(parseNumberBytes(buf, s, s + parts[0].length)) ||
          (allow && NON_FINITE_TOKEN.test(parts[0]));
        if (first && !firstIsNumber) {
          first = false; // a header line
          return;
        }
        first = false;
        dim = parts.length;
        values = new Float64Array(rowsPerChunk * dim);
      }
      const base = inChunk * dim;
      let f = 0;
      let p = s;
      while (p <= e) {
        const fs = p;
        while (p < e && !isSep(buf[p])) p++;
        if (f >= dim)
          throw new InputError(`expected ${dim} values, found more`, {
            file,
            line: lineNo,
            field: 'columns',
          });
        let v = parseNumberBytes(buf, fs, p);
        if (!Number.isFinite(v)) {
          const text = bytesText(buf, fs, p);
          const nonFinite = Number.isNaN(v) && NON_FINITE_TOKEN.test(text);
          if (!allow || (Number.isNaN(v) && !nonFinite)) {
            const hint =
              nonFinite || !Number.isNaN(v) ? ' (or keep it with --allow-non-finite)' : '';
            throw new InputError(`'${text}' is not a finite number${hint}`, {
              file,
              line: lineNo,
              field: `column ${f}`,
            });
          }
          if (nonFinite) v = nonFiniteValue(text);
        }
        values[base + f] = v;
        f++;
        if (p >= e) break;
        // One comma or tab, or a run of spaces, separates values.
        p++;
        while (p < e && buf[p] === SPACE) p++;
      }
      if (f !== dim)
        throw new InputError(`expected ${dim} values, found ${f}`, {
          file,
          line: lineNo,
          field: 'columns',
        });
      rows++;
      if (++inChunk === rowsPerChunk) {
        onRows(values, inChunk, dim);
        inChunk = 0;
      }
    },
    opts.onProgress,
  );
  if (inChunk > 0) onRows(values, inChunk, dim);
  if (dim === 0) throw new InputError('no feature rows in file', { file, field: '--features' });
  return { rows, dim };
}

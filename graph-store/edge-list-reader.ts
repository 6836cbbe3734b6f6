// Streams an edge list (CSV, TSV or space-separated; optional header; optional timestamp and weight
// columns) into fixed-size chunks of typed arrays, scanning bytes; bad lines raise InputError with the line.
import { InputError } from '../runtime/errors.js';
import type { EdgeChunk } from './csr-builder.js';
import { bytesText, forEachLineBlock, parseIdBytes, parseNumberBytes } from './text-blocks.js';

export type Delimiter = 'tab' | 'comma' | 'space';

export interface EdgeListOptions {
  file: string;
  /** Field separator; detected from the first data line when omitted. */
  delimiter?: Delimiter;
  /** true / false force a header line; omitted: a first line whose first field is not a number. */
  header?: boolean;
  /** Timestamp column: 0-based index or header name; 'none' for no timestamps. Default: see docs. */
  tsCol?: number | string;
  /** Weight column: 0-based index or header name; 'none' for no weights. */
  weightCol?: number | string;
  /** When set, ids must be below it. */
  numNodes?: number;
  /** Where numNodes comes from, for error messages (e.g. '--num-nodes'). */
  numNodesSource?: string;
  /** Edges per chunk handed to `onChunk` (default 2^18). */
  chunkEdges?: number;
  /** Receives each batch; the arrays are reused for the next batch, so copy what must be kept. */
  onChunk: (chunk: EdgeChunk) => void;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface EdgeListSummary {
  edges: number;
  lines: number;
  maxId: number;
  delimiter: Delimiter;
  header?: string[];
  fields: number;
  tsCol: number;
  weightCol: number;
}

const TAB = 0x09;
const COMMA = 0x2c;
const SPACE = 0x20;
const NL = 0x0a;
const CR = 0x0d;

const TS_NAMES = ['ts', 'timestamp', 'time', 't', 'date', 'datetime'];
const WEIGHT_NAMES = ['w', 'weight', 'weights', 'value'];

function detectDelimiter(line: string): Delimiter {
  if (line.includes('\t')) return 'tab';
  if (line.includes(',')) return 'comma';
  return 'space';
}

function splitLine(line: string, d: Delimiter): string[] {
  if (d === 'space') return line.trim().split(/[ \t]+/);
  return line.split(d === 'tab' ? '\t' : ',').map((s) => s.trim());
}

function resolveColumn(
  spec: number | string | undefined,
  names: string[] | undefined,
  fields: number,
  defaults: { index: number; names: string[] },
  file: string,
  field: string,
): number {
  if (spec === 'none') return -1;
  if (spec === undefined) {
    if (names) {
      const i = names.findIndex((n) => defaults.names.includes(n.toLowerCase()));
      return i >= 2 ? i : -1;
    }
    return defaults.index < fields ? defaults.index : -1;
  }
  const asNum = typeof spec === 'number' ? spec : /^\d+$/.test(spec) ? Number(spec) : undefined;
  if (asNum !== undefined) {
    if (asNum < 2 || asNum >= fields)
      throw new InputError(
        `column ${asNum} is not a data column (the file has ${fields}; 0 and 1 are the ids)`,
        {
          file,
          field,
        },
      );
    return asNum;
  }
  const i = names ? names.indexOf(spec as string) : -1;
  if (i < 2)
    throw new InputError(
      names
        ? `no column named '${spec}' in the header (${names.join(', ')})`
        : `'${spec}' needs a header line`,
      { file, field },
    );
  return i;
}

/** The layout of an edge file, fixed by its first meaningful line. */
interface Columns {
  delim: Delimiter;
  delimByte: number;
  fields: number;
  header?: string[];
  tsCol: number;
  wCol: number;
  /** The line read was a header, not an edge. */
  isHeader: boolean;
}

/** Reads the first meaningful line to fix the delimiter, header and columns. */
function columnsOf(opts: EdgeListOptions, line: string, lineNo: number): Columns {
  const file = opts.file;
  const delim = opts.delimiter ?? detectDelimiter(line);
  const delimByte = delim === 'tab' ? TAB : delim === 'comma' ? COMMA : SPACE;
  const parts = splitLine(line, delim);
  const fields = parts.length;
  // A first field that is no number at all names a column; "-3" or "1.5" are bad data, reported later.
  const isHeader = opts.header ?? (parts[0] === '' || Number.isNaN(Number(parts[0])));
  const fail = (msg: string): never => {
    throw new InputError(msg, { file, line: lineNo, field: 'columns' });
  };
  if (fields < 2) fail(`expected at least 2 fields (src, dst), found ${fields}`);
  const header = isHeader ? parts : undefined;
  const column = (
    spec: number | string | undefined,
    index: number,
    names: string[],
    flag: string,
  ) => resolveColumn(spec, header, fields, { index, names }, file, flag);
  let tsCol = column(opts.tsCol, 2, TS_NAMES, '--ts-col');
  let wCol = column(opts.weightCol, 3, WEIGHT_NAMES, '--weight-col');
  if (opts.weightCol === undefined && wCol === tsCol) wCol = -1;
  if (opts.weightCol !== undefined && opts.tsCol === undefined && !header && tsCol === wCol)
    tsCol = -1;
  if (tsCol >= 0 && tsCol === wCol) fail('timestamp and weight cannot be the same column');
  return { delim, delimByte, fields, header, tsCol, wCol, isHeader };
}

/** One edge's values as a line parser leaves them. */
interface EdgeValues {
  src: number;
  dst: number;
  ts: number;
  w: number;
}

/**
 * The general path: splits one line [s, e) (blanks and comments already skipped) field by field and
 * checks every value, with an error naming the line and field. Fills `out`.
 */
function parseEdgeLine(
  buf: Uint8Array,
  s: number,
  e: number,
  cols: Columns,
  where: { file: string; line: number; limit: number; limitText: string },
  out: EdgeValues,
): void {
  const { delimByte, tsCol, wCol, header } = cols;
  const fieldError = (msg: string, field: string): never => {
    throw new InputError(msg, { file: where.file, line: where.line, field });
  };
  const id = (fs: number, p: number, field: string): number => {
    const v = parseIdBytes(buf, fs, p);
    const text = () => bytesText(buf, fs, p).trim();
    if (v === -2) fieldError(`negative node id ${text()}`, field);
    if (v === -3) fieldError(`node id ${text()} is too large (ids must be below 2^32 - 1)`, field);
    if (v < 0) fieldError(`'${text()}' is not a node id (a non-negative integer)`, field);
    if (v >= where.limit) fieldError(`node id ${v} out of range: ${where.limitText}`, field);
    return v;
  };
  out.ts = 0;
  out.w = 1;
  if (delimByte === SPACE) while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
  let f = 0;
  let p = s;
  while (true) {
    const fs = p;
    if (delimByte === SPACE) {
      while (p < e && buf[p] !== SPACE && buf[p] !== TAB) p++;
    } else {
      while (p < e && buf[p] !== delimByte) p++;
    }
    if (f === 0) out.src = id(fs, p, 'src');
    else if (f === 1) out.dst = id(fs, p, 'dst');
    else if (f === tsCol) {
      out.ts = parseNumberBytes(buf, fs, p);
      if (!Number.isFinite(out.ts))
        fieldError(
          `'${bytesText(buf, fs, p).trim()}' is not a number`,
          header ? header[f] : 'timestamp',
        );
    } else if (f === wCol) {
      out.w = parseNumberBytes(buf, fs, p);
      if (!(out.w > 0) || !Number.isFinite(out.w))
        fieldError(
          `weight '${bytesText(buf, fs, p).trim()}' is not a positive number`,
          header ? header[f] : 'weight',
        );
    }
    f++;
    if (p >= e) break;
    p++;
    if (delimByte === SPACE) while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
  }
  if (f !== cols.fields) fieldError(`expected ${cols.fields} fields, found ${f}`, 'columns');
}

/**
 * Parses the whole file, calling `onChunk` with batches of edges. Columns 0 and 1 are source and
 * destination ids. Without a header, a third column is the timestamp and a fourth the weight unless
 * `tsCol` / `weightCol` say otherwise; with a header, columns are found by name (ts, timestamp, time;
 * weight, w). Lines that are empty or start with '#' or '%' are skipped.
 */
export function readEdgeList(opts: EdgeListOptions): EdgeListSummary {
  const file = opts.file;
  const cap = opts.chunkEdges ?? 1 << 18;
  const limit = opts.numNodes ?? 0xffffffff;
  const limitText = `the graph has ${limit} nodes${opts.numNodesSource ? ` (${opts.numNodesSource})` : ''}`;
  let lineNo = 0;
  let cols: Columns | undefined;
  // Copies of the columns' fields for the fast path (set once the first line is read).
  let delimByte = TAB;
  let fields = 0;
  let tsCol = -1;
  let wCol = -1;
  const src = new Uint32Array(cap);
  const dst = new Uint32Array(cap);
  let ts: Float64Array | undefined;
  let w: Float32Array | undefined;
  let n = 0;
  let edges = 0;
  let maxId = -1;
  const general: EdgeValues = { src: 0, dst: 0, ts: 0, w: 1 };

  const flush = (): void => {
    if (n === 0) return;
    opts.onChunk({ count: n, src, dst, timestamps: ts, weights: w });
    edges += n;
    n = 0;
  };

  const onBlock = (buf: Uint8Array, start: number, end: number): void => {
    let i = start;
    while (i < end) {
      lineNo++;
      let sv = 0;
      let dv = 0;
      let tv = 0;
      let wv = 1;
      if (cols && delimByte !== SPACE) {
        // Fast path, one pass over the bytes: "<digits><delim><digits>[<delim><number>…]" to the line
        // end. Anything else (blanks, signs, comments, errors) is re-read by the general path below.
        let c: number;
        let q = i;
        while (q < end && (c = buf[q]) >= 0x30 && c <= 0x39) {
          sv = sv * 10 + (c - 0x30);
          q++;
        }
        const srcDigits = q - i;
        if (srcDigits > 0 && srcDigits < 11 && q < end && buf[q] === delimByte) {
          const d0 = ++q;
          while (q < end && (c = buf[q]) >= 0x30 && c <= 0x39) {
            dv = dv * 10 + (c - 0x30);
            q++;
          }
          const dstDigits = q - d0;
          if (dstDigits > 0 && dstDigits < 11 && sv < limit && dv < limit) {
            // Remaining fields up to the line end, in the same pass.
            let k = 2;
            let ok = true;
            while (k < fields && ok && q < end && buf[q] === delimByte) {
              const fs = ++q;
              while (q < end && (c = buf[q]) !== delimByte && c !== NL && c !== CR) q++;
              if (k === tsCol) {
                tv = parseNumberBytes(buf, fs, q);
                ok = Number.isFinite(tv);
              } else if (k === wCol) {
                wv = parseNumberBytes(buf, fs, q);
                ok = wv > 0 && Number.isFinite(wv);
              }
              k++;
            }
            let r = q;
            if (r < end && buf[r] === CR) r++;
            if (ok && k === fields && (r === end || buf[r] === NL)) {
              src[n] = sv;
              dst[n] = dv;
              if (ts) ts[n] = tv;
              if (w) w[n] = wv;
              if (sv > maxId) maxId = sv;
              if (dv > maxId) maxId = dv;
              if (++n === cap) flush();
              i = r + 1;
              continue;
            }
          }
        }
      }
      // The general path re-reads the whole line. Line bounds, without the newline and a trailing CR.
      let lineEnd = i;
      while (lineEnd < end && buf[lineEnd] !== NL) lineEnd++;
      let e = lineEnd;
      if (e > i && buf[e - 1] === CR) e--;
      let s = i;
      i = lineEnd + 1;
      while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
      if (s === e || buf[s] === 0x23 || buf[s] === 0x25) continue; // blank, '#' or '%' comment
      if (!cols) {
        cols = columnsOf(opts, bytesText(buf, s, e), lineNo);
        ({ delimByte, fields, tsCol, wCol } = cols);
        if (tsCol >= 0) ts = new Float64Array(cap);
        if (wCol >= 0) w = new Float32Array(cap);
        if (cols.isHeader) continue;
      }
      parseEdgeLine(buf, s, e, cols, { file, line: lineNo, limit, limitText }, general);
      sv = general.src;
      dv = general.dst;
      src[n] = sv;
      dst[n] = dv;
      if (ts) ts[n] = general.ts;
      if (w) w[n] = general.w;
      if (sv > maxId) maxId = sv;
      if (dv > maxId) maxId = dv;
      if (++n === cap) flush();
    }
  };

  forEachLineBlock(file, '--edges', onBlock, opts.onProgress);
  flush();
  if (!cols) throw new InputError('no edges in file', { file, field: '--edges' });
  const delimiter = cols.delim;
  return {
    edges,
    lines: lineNo,
    maxId,
    delimiter,
    header: cols.header,
    fields,
    tsCol,
    weightCol: wCol,
  };
}

// Streams the named columns of a user's table file — CSV or TSV (optionally gzip-compressed) with a
// header row, Apache Parquet one row group at a time, or Arrow IPC one record batch at a time — in
// chunks, each row with its file location.
import { createReadStream, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { DataType, RecordBatchReader, TimeUnit, type Field } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { ConfigError, InputError } from '../runtime/errors.js';
import { withInputFile } from './input-file.js';

/** One cell as read: text from CSV/TSV; number, bigint, string, boolean, list or null from Parquet. */
export type Cell = string | number | bigint | boolean | null | undefined | readonly unknown[];

/**
 * Where a row is: its line (text files, 1-based), or its row group and row in it (Parquet; for Arrow
 * the record batch and row), both 0-based.
 */
export interface RowPlace {
  line?: number;
  rowGroup?: number;
  row?: number;
}

/** A run of rows: `cells[c][i]` is requested column c of row i. */
export interface TableChunk {
  count: number;
  cells: Cell[][];
  place(i: number): RowPlace;
}

export type TableFormat = 'csv' | 'tsv' | 'parquet' | 'arrow';

/** How a text table is laid out; the defaults follow the file name and expect a header row. */
export interface TextLayout {
  /** Field separator; 'space' is any run of spaces and tabs (SNAP-style edge lists). */
  delimiter?: 'comma' | 'tab' | 'space';
  /** false: no header row; columns are named by position, '0', '1', … */
  header?: boolean;
}

const ROWS_PER_CHUNK = 8192;
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The format a file name says: `.csv`, `.txt`, `.tsv`, `.tab` (each optionally `.gz`), `.parquet`,
 * `.pq`, or Arrow IPC `.arrow`, `.feather`, `.arrows`, `.ipc`.
 */
export function tableFormatOf(file: string, field: string): TableFormat {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (/\.(arrow|feather|arrows|ipc)$/.test(name)) return 'arrow';
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.csv') || name.endsWith('.txt')) return 'csv';
  throw new ConfigError(
    `cannot tell the format of ${file}: name it .csv, .tsv, .parquet or .arrow (text files may end in .gz)`,
    { field },
  );
}

/** An InputError at a row: `file:line [column]` for text, `file:rowGroup:row [column]` for Parquet. */
export function rowError(
  file: string,
  place: RowPlace,
  column: string,
  message: string,
): InputError {
  return new InputError(message, { file, ...place, field: column });
}

/**
 * Calls `onChunk` with the requested columns of every data row, in file order; returns the row count.
 * A requested column the file lacks is a ConfigError naming the file and the columns it has.
 */
export async function readTable(
  file: string,
  columns: readonly string[],
  field: string,
  onChunk: (chunk: TableChunk) => void,
  layout: TextLayout = {},
): Promise<number> {
  const format = tableFormatOf(file, field);
  if (format === 'parquet') return readParquet(file, columns, field, onChunk);
  if (format === 'arrow') return readArrow(file, columns, field, onChunk);
  const d = layout.delimiter ?? (format === 'tsv' ? 'tab' : 'comma');
  const delim = d === 'tab' ? '\t' : d === 'comma' ? ',' : ' ';
  return readDelimited(file, delim, layout.header ?? true, columns, field, onChunk);
}

function missingColumn(file: string, field: string, name: string, have: string[]): ConfigError {
  return new ConfigError(
    `${file} has no column '${name}' (it has ${have.map((h) => `'${h}'`).join(', ')})`,
    { field },
  );
}

function isGzip(file: string, field: string): boolean {
  return withInputFile(file, field, (fd) => {
    const head = new Uint8Array(2);
    const got = readSync(fd, head, 0, 2, 0);
    return got === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  });
}

/** Splits one CSV/TSV line into fields; `"…"` quotes a field (`""` is a quote inside it). */
export function splitFields(line: string, delim: string): string[] | undefined {
  if (delim === ' ') return line.trim().split(/[ \t]+/);
  if (!line.includes('"')) return line.split(delim);
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return undefined;
        text += line.slice(j, q);
        if (line[q + 1] === '"') {
          text += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      if (j < line.length && line[j] !== delim) return undefined;
      out.push(text);
      i = j + 1;
    } else {
      const d = line.indexOf(delim, i);
      const end = d < 0 ? line.length : d;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

async function readDelimited(
  file: string,
  delim: string,
  hasHeader: boolean,
  columns: readonly string[],
  field: string,
  onChunk: (chunk: TableChunk) => void,
): Promise<number> {
  const gz = isGzip(file, field);
  const raw = createReadStream(file);
  const input = gz ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let pick: number[] | undefined;
  let width = 0;
  let cells: Cell[][] = columns.map(() => []);
  let lineNos: number[] = [];
  let lineNo = 0;
  let rows = 0;
  const flush = () => {
    if (lineNos.length === 0) return;
    const at = lineNos;
    onChunk({ count: at.length, cells, place: (i) => ({ line: at[i] }) });
    cells = columns.map(() => []);
    lineNos = [];
  };
  try {
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '' || (pick === undefined && text.startsWith('#'))) continue;
      const fields = splitFields(text, delim);
      if (!fields)
        throw rowError(file, { line: lineNo }, 'columns', 'unterminated or misplaced quote');
      if (pick === undefined) {
        const header = hasHeader ? fields.map((h) => h.trim()) : fields.map((_f, k) => String(k));
        pick = columns.map((c) => {
          const k = header.indexOf(c);
          if (k < 0) throw missingColumn(file, field, c, header);
          return k;
        });
        width = header.length;
        if (hasHeader) continue;
      }
      if (fields.length !== width)
        throw rowError(
          file,
          { line: lineNo },
          'columns',
          `expected ${width} fields (as the ${hasHeader ? 'header' : 'first line'} has), found ${fields.length}`,
        );
      for (let c = 0; c < pick.length; c++) cells[c].push(fields[pick[c]].trim());
      lineNos.push(lineNo);
      rows++;
      if (lineNos.length >= ROWS_PER_CHUNK) flush();
    }
  } catch (err) {
    if (err instanceof InputError || err instanceof ConfigError) throw err;
    throw new InputError(
      gz ? 'cannot read (corrupt or truncated gzip?)' : 'cannot read',
      { file, field, line: lineNo || undefined },
      { cause: err },
    );
  } finally {
    lines.close();
    raw.destroy();
  }
  if (pick === undefined)
    throw new InputError(hasHeader ? 'no header row (the file is empty)' : 'the file is empty', {
      file,
      field,
    });
  flush();
  return rows;
}

async function readParquet(
  file: string,
  columns: readonly string[],
  field: string,
  onChunk: (chunk: TableChunk) => void,
): Promise<number> {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new InputError('not a readable Parquet file', { file, field }, { cause: err });
  }
  const have = parquetSchema(metadata).children.map((c) => c.element.name);
  for (const c of columns) if (!have.includes(c)) throw missingColumn(file, field, c, have);
  let start = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const end = start + Number(metadata.row_groups[g].num_rows);
    let got: unknown[][] = [];
    try {
      await parquetRead({
        file: buffer,
        metadata,
        columns: [...columns],
        rowStart: start,
        rowEnd: end,
        onComplete: (rows) => {
          got = rows as unknown[][];
        },
      });
    } catch (err) {
      throw new InputError(
        `cannot read row group ${g}: ${err instanceof Error ? err.message : String(err)}`,
        { file, field },
        { cause: err },
      );
    }
    const cells: Cell[][] = columns.map((_c, k) => got.map((r) => r[k] as Cell));
    const group = g;
    onChunk({ count: got.length, cells, place: (i) => ({ rowGroup: group, row: i }) });
    start = end;
  }
  return start;
}

const SECONDS_PER_UNIT: Record<number, number> = {
  [TimeUnit.SECOND]: 1,
  [TimeUnit.MILLISECOND]: 1e-3,
  [TimeUnit.MICROSECOND]: 1e-6,
  [TimeUnit.NANOSECOND]: 1e-9,
};

/** An Arrow value as a cell: lists as plain arrays, timestamps as seconds. */
function arrowCell(v: unknown, field: Field): Cell {
  if (v === null || v === undefined) return null;
  if (DataType.isTimestamp(field.type))
    return Number(v as number | bigint) * SECONDS_PER_UNIT[field.type.unit];
  if (typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function')
    return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray());
  return v as Cell;
}

async function readArrow(
  file: string,
  columns: readonly string[],
  field: string,
  onChunk: (chunk: TableChunk) => void,
): Promise<number> {
  const stream = createReadStream(file);
  let rows = 0;
  let batchNo = 0;
  try {
    const reader = await RecordBatchReader.from(stream);
    for await (const batch of reader) {
      const fields = batch.schema.fields;
      const picked = columns.map((c) => {
        const k = fields.findIndex((f) => f.name === c);
        if (k < 0)
          throw missingColumn(
            file,
            field,
            c,
            fields.map((f) => f.name),
          );
        return { vector: batch.getChildAt(k)!, field: fields[k] };
      });
      const n = batch.numRows;
      const cells = picked.map(({ vector, field: f }) =>
        Array.from({ length: n }, (_v, i) => arrowCell(vector.get(i), f)),
      );
      const group = batchNo++;
      onChunk({ count: n, cells, place: (i) => ({ rowGroup: group, row: i }) });
      rows += n;
    }
  } catch (err) {
    if (err instanceof InputError || err instanceof ConfigError) throw err;
    throw new InputError(
      `not a readable Arrow IPC file (record batch ${batchNo})`,
      { file, field },
      { cause: err },
    );
  } finally {
    stream.destroy();
  }
  return rows;
}

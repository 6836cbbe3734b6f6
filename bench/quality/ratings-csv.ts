// Reads a rating log a user brings (`user,item,rating,timestamp`: MovieLens u.data, ratings.csv or
// ratings.dat, or any export of that shape) into columns, refusing a bad row at its file:line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../../runtime/errors.js';

/** The log's columns, in file order. */
export interface Ratings {
  user: string[];
  item: string[];
  rating: Float64Array;
  /** Unix seconds. */
  time: Float64Array;
  /** Whether the first line was a header (skipped). */
  header: boolean;
}

const COLUMNS = ['user', 'item', 'rating', 'timestamp'] as const;

/** The field separator of a line: `::` (MovieLens 1M), tab (100k), else comma. */
function splitterOf(line: string): string {
  if (line.includes('::')) return '::';
  if (line.includes('\t')) return '\t';
  return ',';
}

/** A header names its columns: the timestamp cell is not a number. */
function isHeader(cells: string[]): boolean {
  return cells.length === COLUMNS.length && !Number.isFinite(Number(cells[3]));
}

/**
 * Reads the log. Each data line needs exactly four cells: non-empty user and item ids, a finite
 * rating and a finite timestamp in seconds; anything else is an InputError naming file:line and
 * the column. An optional first line of column names is skipped.
 */
export async function readRatings(file: string): Promise<Ratings> {
  const out = {
    user: [] as string[],
    item: [] as string[],
    rating: [] as number[],
    time: [] as number[],
  };
  let header = false;
  let sep = '';
  let line = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      line++;
      const text = raw.trim();
      if (text === '') continue;
      sep ||= splitterOf(text);
      const cells = text.split(sep).map((c) => c.trim());
      if (line === 1 && isHeader(cells)) {
        header = true;
        continue;
      }
      parseRow(cells, file, line, out);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `cannot read the rating log: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  if (out.user.length === 0) throw new InputError('no ratings in the file', { file });
  return {
    user: out.user,
    item: out.item,
    rating: Float64Array.from(out.rating),
    time: Float64Array.from(out.time),
    header,
  };
}

function parseRow(
  cells: string[],
  file: string,
  line: number,
  out: { user: string[]; item: string[]; rating: number[]; time: number[] },
): void {
  if (cells.length !== COLUMNS.length)
    throw new InputError(
      `expected ${COLUMNS.length} cells (${COLUMNS.join(',')}), found ${cells.length}`,
      { file, line },
    );
  for (const k of [0, 1])
    if (cells[k] === '') throw new InputError('empty id', { file, line, field: COLUMNS[k] });
  const rating = Number(cells[2]);
  const time = Number(cells[3]);
  if (cells[2] === '' || !Number.isFinite(rating))
    throw new InputError(`rating '${cells[2]}' is not a number`, { file, line, field: 'rating' });
  if (cells[3] === '' || !Number.isFinite(time))
    throw new InputError(`timestamp '${cells[3]}' is not a number of seconds`, {
      file,
      line,
      field: 'timestamp',
    });
  out.user.push(cells[0]);
  out.item.push(cells[1]);
  out.rating.push(rating);
  out.time.push(time);
}

// Reads one node type's table: its original ids (dense rows in file order), its feature columns, list
// column or .npy of any width, its labels (-1 or empty = unlabelled) and its node split.
import { GrowableArray } from './growable-array.js';
import { IdMap, idText } from './id-map.js';
import {
  isMissing,
  labelCell,
  listCell,
  numberCell,
  splitCell,
  type CellAt,
} from './cell-values.js';
import { readNpyHeader, readNpyRows } from './npy.js';
import { readTable, rowError, type TableChunk } from './table-reader.js';
import type { NodeInput } from './typed-input-spec.js';
import { InputError } from '../runtime/errors.js';

/** What a node type holds once its table is read (edge-only types start empty). */
export interface NodeTypeData {
  type: string;
  ids: IdMap;
  /** Feature values row-major, `width` per row; undefined for a featureless type. */
  features?: { width: number; values: GrowableArray<Float32Array> };
  labels?: GrowableArray<Int32Array>;
  split?: GrowableArray<Uint8Array>;
  /** Rows with a missing feature value read as 0 (`missing: zero`). */
  filledMissing: number;
}

function columnsOf(n: NodeInput): string[] {
  const cols = [n.id];
  if (n.features?.kind === 'columns') cols.push(...n.features.columns);
  if (n.features?.kind === 'list') cols.push(n.features.column);
  if (n.label) cols.push(n.label);
  if (n.split) cols.push(n.split);
  return cols;
}

class NodeChunkReader {
  readonly data: NodeTypeData;
  private readonly numFeatureCols: number;

  constructor(
    private readonly n: NodeInput,
    private readonly file: string,
  ) {
    this.data = { type: n.type, ids: new IdMap(), filledMissing: 0 };
    const f = n.features;
    this.numFeatureCols = f?.kind === 'columns' ? f.columns.length : f?.kind === 'list' ? 1 : 0;
    if (f?.kind === 'columns')
      this.data.features = { width: f.columns.length, values: new GrowableArray(Float32Array) };
    if (n.label) this.data.labels = new GrowableArray(Int32Array);
    if (n.split) this.data.split = new GrowableArray(Uint8Array);
  }

  private at(column: string, c: TableChunk, i: number): CellAt {
    return { file: this.file, column, place: c.place(i) };
  }

  private feature(c: TableChunk, i: number, column: string, v: number | undefined): number {
    if (v !== undefined) return v;
    if (this.n.missing === 'zero') return 0;
    throw rowError(
      this.file,
      c.place(i),
      column,
      'missing feature value (set missing: zero to read missing values as 0)',
    );
  }

  private listRow(c: TableChunk, i: number): void {
    const column = (this.n.features as { column: string }).column;
    let row = listCell(c.cells[1][i], this.at(column, c, i));
    if (row === undefined) {
      const width = this.data.features?.width;
      if (this.n.missing === 'error' || width === undefined)
        throw rowError(
          this.file,
          c.place(i),
          column,
          width === undefined
            ? 'missing feature list before any row gave the width'
            : 'missing feature list (set missing: zero to read it as zeros)',
        );
      row = new Array<number>(width).fill(0);
      this.data.filledMissing++;
    }
    this.data.features ??= { width: row.length, values: new GrowableArray(Float32Array) };
    if (row.length !== this.data.features.width)
      throw rowError(
        this.file,
        c.place(i),
        column,
        `holds ${row.length} values, earlier rows ${this.data.features.width}`,
      );
    const values = this.data.features.values;
    for (const x of row) values.push(x);
  }

  onChunk(c: TableChunk): void {
    const d = this.data;
    for (let i = 0; i < c.count; i++) {
      const id = idText(c.cells[0][i]);
      if (id === undefined)
        throw rowError(this.file, c.place(i), this.n.id, 'missing or unusable node id');
      if (d.ids.add(id) < 0)
        throw rowError(this.file, c.place(i), this.n.id, `node id '${id}' appears twice`);
      if (this.n.features?.kind === 'list') this.listRow(c, i);
      else if (this.n.features?.kind === 'columns') {
        let filled = false;
        for (let k = 0; k < this.numFeatureCols; k++) {
          const column = this.n.features.columns[k];
          const cell = c.cells[1 + k][i];
          if (isMissing(cell)) filled = true;
          d.features!.values.push(
            this.feature(c, i, column, numberCell(cell, this.at(column, c, i))),
          );
        }
        if (filled) d.filledMissing++;
      }
      let k = 1 + this.numFeatureCols;
      if (this.n.label) d.labels!.push(labelCell(c.cells[k++][i], this.at(this.n.label, c, i)));
      if (this.n.split) d.split!.push(splitCell(c.cells[k][i], this.at(this.n.split, c, i)));
    }
  }
}

/** Reads a node type's inputs; a type without a file comes back empty (edges name its ids). */
export async function readNodeType(n: NodeInput, field: string): Promise<NodeTypeData> {
  if (!n.file) return { type: n.type, ids: new IdMap(), filledMissing: 0 };
  const r = new NodeChunkReader(n, n.file);
  await readTable(n.file, columnsOf(n), `${field}.file`, (c) => r.onChunk(c), n.layout);
  if (n.features?.kind === 'npy')
    r.data.features = readNpyFeatures(n.features.file, r.data.ids.size, field);
  return r.data;
}

function readNpyFeatures(
  file: string,
  rows: number,
  field: string,
): { width: number; values: GrowableArray<Float32Array> } {
  const h = readNpyHeader(file, `${field}.features.npy`);
  if (h.rows !== rows)
    throw new InputError(`has ${h.rows} rows; the node file has ${rows} nodes`, {
      file,
      field: 'shape',
    });
  const values = new GrowableArray(Float32Array, rows * h.cols);
  readNpyRows(
    file,
    (v, n) => {
      const out = values.reserve(n * h.cols);
      for (let j = 0; j < n * h.cols; j++) {
        if (!Number.isFinite(v[j]))
          throw new InputError(
            `row ${Math.floor(values.length / h.cols)} holds a non-finite value`,
            { file, field: 'values' },
          );
        out[values.length++] = v[j];
      }
    },
    { field: `${field}.features.npy` },
  );
  return { width: h.cols, values };
}

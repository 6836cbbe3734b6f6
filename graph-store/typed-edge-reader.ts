// Reads one edge table into type-local endpoint ids (through the node types' id maps), timestamps,
// weights and the split column; unknown ids are refused at their row or dropped and counted.
import { GrowableArray } from './growable-array.js';
import { idText } from './id-map.js';
import { numberCell, splitCell, type CellAt } from './cell-values.js';
import { readTable, rowError, type RowPlace, type TableChunk } from './table-reader.js';
import type { EdgeInput } from './typed-input-spec.js';
import type { NodeTypeData } from './typed-node-reader.js';

/** One relation's edges as read, endpoints as rows of their own node type. */
export interface EdgeTableData {
  input: EdgeInput;
  src: GrowableArray<Uint32Array>;
  dst: GrowableArray<Uint32Array>;
  timestamps?: GrowableArray<Float64Array>;
  weights?: GrowableArray<Float32Array>;
  /** SPLIT_* per edge (split: column). */
  split?: GrowableArray<Uint8Array>;
  /** Where each edge was read (split: column only, for leakage errors). */
  places?: RowPlace[];
  /** Edges dropped because an endpoint is not in its node file (unknownIds: skip). */
  skippedUnknown: number;
}

class EdgeChunkReader {
  readonly data: EdgeTableData;
  private readonly columns: string[];

  constructor(
    private readonly e: EdgeInput,
    private readonly srcType: NodeTypeData,
    private readonly dstType: NodeTypeData,
    /** Whether each endpoint type's ids are fixed by its node file (else edges add them). */
    private readonly fixed: { src: boolean; dst: boolean },
    private readonly unknownIds: 'error' | 'skip',
  ) {
    this.columns = [e.srcColumn, e.dstColumn];
    this.data = {
      input: e,
      src: new GrowableArray(Uint32Array),
      dst: new GrowableArray(Uint32Array),
      skippedUnknown: 0,
    };
    if (e.timestamp) {
      this.columns.push(e.timestamp);
      this.data.timestamps = new GrowableArray(Float64Array);
    }
    if (e.weight) {
      this.columns.push(e.weight);
      this.data.weights = new GrowableArray(Float32Array);
    }
    if (e.split.mode === 'column') {
      this.columns.push(e.split.column);
      this.data.split = new GrowableArray(Uint8Array);
      this.data.places = [];
    }
  }

  get wanted(): string[] {
    return this.columns;
  }

  /** Local id of an endpoint; -1 for an unknown id skipped. */
  private endpoint(c: TableChunk, i: number, end: 'src' | 'dst'): number {
    const column = end === 'src' ? this.e.srcColumn : this.e.dstColumn;
    const cell = c.cells[end === 'src' ? 0 : 1][i];
    const id = idText(cell);
    if (id === undefined)
      throw rowError(this.e.file, c.place(i), column, 'missing or unusable node id');
    const type = end === 'src' ? this.srcType : this.dstType;
    if (!this.fixed[end]) return type.ids.intern(id);
    const local = type.ids.get(id);
    if (local >= 0) return local;
    if (this.unknownIds === 'skip') return -1;
    throw rowError(
      this.e.file,
      c.place(i),
      column,
      `node id '${id}' is not in the ${type.type} node file (set unknownIds: skip to drop such edges)`,
    );
  }

  private at(column: string, c: TableChunk, i: number): CellAt {
    return { file: this.e.file, column, place: c.place(i) };
  }

  onChunk(c: TableChunk): void {
    const d = this.data;
    const e = this.e;
    for (let i = 0; i < c.count; i++) {
      // A node-file endpoint first: an edge it drops must not add its other, edge-made endpoint.
      const srcFirst = this.fixed.src || !this.fixed.dst;
      const s = srcFirst ? this.endpoint(c, i, 'src') : -2;
      const t = s === -1 ? -1 : this.endpoint(c, i, 'dst');
      const s2 = s === -2 && t >= 0 ? this.endpoint(c, i, 'src') : s;
      if (s2 < 0 || t < 0) {
        d.skippedUnknown++;
        continue;
      }
      d.src.push(s2);
      d.dst.push(t);
      let k = 2;
      if (e.timestamp) {
        const ts = numberCell(c.cells[k++][i], this.at(e.timestamp, c, i));
        if (ts === undefined) throw rowError(e.file, c.place(i), e.timestamp, 'missing timestamp');
        d.timestamps!.push(ts);
      }
      if (e.weight) {
        const w = numberCell(c.cells[k++][i], this.at(e.weight, c, i));
        if (w === undefined || !(w > 0))
          throw rowError(
            e.file,
            c.place(i),
            e.weight,
            `edge weight must be > 0, found ${w ?? 'nothing'}`,
          );
        d.weights!.push(w);
      }
      if (d.split) {
        const column = (e.split as { column: string }).column;
        d.split.push(splitCell(c.cells[k][i], this.at(column, c, i)));
        d.places!.push(c.place(i));
      }
    }
  }
}

/** Reads an edge table; endpoint types without a node file gain ids as edges name them. */
export async function readEdgeTable(
  e: EdgeInput,
  types: Map<string, { data: NodeTypeData; fixed: boolean }>,
  unknownIds: 'error' | 'skip',
  field: string,
): Promise<EdgeTableData> {
  const src = types.get(e.src)!;
  const dst = types.get(e.dst)!;
  const r = new EdgeChunkReader(
    e,
    src.data,
    dst.data,
    { src: src.fixed, dst: dst.fixed },
    unknownIds,
  );
  await readTable(e.file, r.wanted, `${field}.file`, (c) => r.onChunk(c), e.layout);
  return r.data;
}

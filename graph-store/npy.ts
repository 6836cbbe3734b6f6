// Reads NumPy .npy feature matrices (float32 or float64, C order, 1-D or 2-D) row-chunk by row-chunk,
// validating the header, the dtype and the file length against the shape before any row is used.
import { fstatSync, readSync } from 'node:fs';
import { InputError } from '../runtime/errors.js';
import { withInputFile } from './input-file.js';

export interface NpyHeader {
  dtype: 'float32' | 'float64';
  rows: number;
  cols: number;
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function readExactly(fd: number, buf: Uint8Array, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Parses and checks the header of an open .npy file. */
function readHeader(fd: number, file: string, field: string): NpyHeader {
  const size = fstatSync(fd).size;
  const pre = new Uint8Array(12);
  const got = readExactly(fd, pre, 0);
  if (got < 10 || MAGIC.some((b, i) => pre[i] !== b))
    throw new InputError('not a NumPy .npy file (bad magic bytes)', { file, field });
  const major = pre[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = pre[8] | (pre[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (got < 12) throw new InputError('truncated .npy header', { file, field });
    headerLen = (pre[8] | (pre[9] << 8) | (pre[10] << 16) | (pre[11] << 24)) >>> 0;
    start = 12;
  } else {
    throw new InputError(`unsupported .npy version ${major}.${pre[7]}`, { file, field: 'version' });
  }
  const hbuf = new Uint8Array(headerLen);
  if (readExactly(fd, hbuf, start) < headerLen)
    throw new InputError('truncated .npy header', { file, field: 'header' });
  const text = new TextDecoder('latin1').decode(hbuf);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new InputError(`malformed .npy header: ${text.trim()}`, { file, field: 'header' });
  let dtype: NpyHeader['dtype'];
  if (descr === '<f4' || descr === '=f4') dtype = 'float32';
  else if (descr === '<f8' || descr === '=f8') dtype = 'float64';
  else
    throw new InputError(
      `unsupported dtype '${descr}' (little-endian float32 '<f4' or float64 '<f8')`,
      {
        file,
        field: 'descr',
      },
    );
  if (fortran === 'True')
    throw new InputError('Fortran-order arrays are not supported (save with C order)', {
      file,
      field: 'fortran_order',
    });
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (dims.length < 1 || dims.length > 2 || dims.some((d) => !/^\d+$/.test(d)))
    throw new InputError(`shape (${shapeText}) must be (nodes,) or (nodes, dim)`, {
      file,
      field: 'shape',
    });
  const rows = Number(dims[0]);
  const cols = dims.length === 2 ? Number(dims[1]) : 1;
  if (cols === 0) throw new InputError('feature dim is 0', { file, field: 'shape' });
  const dataOffset = start + headerLen;
  const itemBytes = dtype === 'float32' ? 4 : 8;
  const need = dataOffset + rows * cols * itemBytes;
  if (size < need)
    throw new InputError(
      `truncated: shape (${rows}, ${cols}) needs ${need} bytes, file has ${size}`,
      { file, field: 'shape' },
    );
  if (size > need)
    throw new InputError(`file has ${size - need} bytes beyond its shape (${rows}, ${cols})`, {
      file,
      field: 'shape',
    });
  return { dtype, rows, cols, dataOffset };
}

/** Header of a .npy file (throws InputError naming the file and field when unusable). */
export function readNpyHeader(file: string, field = '--features'): NpyHeader {
  return withInputFile(file, field, (fd) => readHeader(fd, file, field));
}

/** Streams the rows of a .npy matrix in chunks of whole rows (the array passed is reused). */
export function readNpyRows(
  file: string,
  onRows: (values: Float32Array | Float64Array, rows: number) => void,
  opts: {
    field?: string;
    chunkBytes?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): NpyHeader {
  const field = opts.field ?? '--features';
  return withInputFile(file, field, (fd) => {
    const h = readHeader(fd, file, field);
    const itemBytes = h.dtype === 'float32' ? 4 : 8;
    const rowBytes = h.cols * itemBytes;
    const rowsPerChunk = Math.max(1, Math.floor((opts.chunkBytes ?? 8 << 20) / rowBytes));
    const buf = new Uint8Array(rowsPerChunk * rowBytes);
    const values =
      h.dtype === 'float32' ? new Float32Array(buf.buffer) : new Float64Array(buf.buffer);
    for (let r = 0; r < h.rows; r += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, h.rows - r);
      const want = rows * rowBytes;
      const got = readExactly(fd, buf.subarray(0, want), h.dataOffset + r * rowBytes);
      if (got < want)
        throw new InputError(`file shrank while reading at row ${r}`, { file, field: 'shape' });
      onRows(values, rows);
      opts.onProgress?.(r + rows, h.rows);
    }
    return h;
  });
}

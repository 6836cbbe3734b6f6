// Reads `node<TAB>value` files (labels, split; comma or space also accepted, optional header) into a
// per-node typed array, naming the file and line of any bad id, bad value or repeated node.
import { InputError } from '../runtime/errors.js';
import { bytesText, forEachLine } from './text-blocks.js';

/**
 * Calls `onValue(node, valueText, line)` per data line; `valueText` is the second field, trimmed.
 * Checks ids against `numNodes`, the two-field shape and duplicate nodes.
 */
export function readNodeValues(
  file: string,
  field: string,
  numNodes: number,
  onValue: (node: number, value: string, line: number) => void,
): number {
  let seen: Uint8Array | undefined = new Uint8Array(numNodes);
  let count = 0;
  let headerSeen = false;
  forEachLine(file, field, (buf, start, end, lineNo) => {
    const line = bytesText(buf, start, end).trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\t|,|\s+/).filter((p) => p !== '');
    if (parts.length !== 2)
      throw new InputError(`expected 2 fields (node, value), found ${parts.length}`, {
        file,
        line: lineNo,
        field: 'columns',
      });
    const p0 = parts[0];
    if (!/^\d+$/.test(p0)) {
      // A non-numeric first field on the first data line is a header.
      if (count === 0 && !headerSeen && Number.isNaN(Number(p0))) {
        headerSeen = true;
        return;
      }
      throw new InputError(
        /^-\d/.test(p0)
          ? `negative node id ${p0}`
          : `'${p0}' is not a node id (a non-negative integer)`,
        { file, line: lineNo, field: 'node' },
      );
    }
    const id = Number(p0);
    if (id >= numNodes)
      throw new InputError(`node id ${id} out of range: the graph has ${numNodes} nodes`, {
        file,
        line: lineNo,
        field: 'node',
      });
    if (seen![id])
      throw new InputError(`node ${id} appears twice`, { file, line: lineNo, field: 'node' });
    seen![id] = 1;
    count++;
    onValue(id, parts[1], lineNo);
  });
  seen = undefined;
  return count;
}

/** Label text -> class id, or -1 for the unlabelled marker (`-1`, as docs/graph-format.md stores it). */
export function parseLabel(value: string): number | undefined {
  if (value === '-1') return -1;
  if (!/^\d+$/.test(value) || Number(value) > 65535) return undefined;
  return Number(value);
}

/** Labels file -> Int32Array (-1 = unlabelled). Values are class ids 0, 1, 2, …, or -1 (unlabelled). */
export function readLabels(file: string, numNodes: number): Int32Array {
  const labels = new Int32Array(numNodes).fill(-1);
  readNodeValues(file, '--labels', numNodes, (node, value, line) => {
    const label = parseLabel(value);
    if (label === undefined)
      throw new InputError(
        `label '${value}' is not a class id (an integer 0..65535, or -1 for unlabelled)`,
        { file, line, field: 'label' },
      );
    labels[node] = label;
  });
  return labels;
}

const SPLIT_VALUES: Record<string, number> = {
  train: 1,
  val: 2,
  valid: 2,
  validation: 2,
  test: 3,
};

/** Split file -> Uint8Array of SPLIT_* (0 where not listed). Values: train, val (valid), test. */
export function readSplit(file: string, numNodes: number): Uint8Array {
  const split = new Uint8Array(numNodes);
  readNodeValues(file, '--split', numNodes, (node, value, line) => {
    const v = SPLIT_VALUES[value.toLowerCase()];
    if (v === undefined)
      throw new InputError(`split value '${value}' is not train, val or test`, {
        file,
        line,
        field: 'split',
      });
    split[node] = v;
  });
  return split;
}

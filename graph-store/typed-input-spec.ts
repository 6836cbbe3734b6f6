// The description of a typed graph's input files (`weft graph build --inputs graph.yaml`): node files
// per type, edge files per relation, and how to split the predicted relation; checked field by field.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../runtime/errors.js';
import { tableFormatOf, type TextLayout } from './table-reader.js';

/** Where a node type's features come from: table columns, one list column, or a .npy in file order. */
export type FeatureInput =
  | { kind: 'columns'; columns: string[] }
  | { kind: 'list'; column: string }
  | { kind: 'npy'; file: string };

export interface NodeInput {
  type: string;
  /** Delimiter and header of a text node file. */
  layout: TextLayout;
  /** Node table; absent: the type's ids come from the edge files, in order of first appearance. */
  file?: string;
  id: string;
  features?: FeatureInput;
  /** A missing feature value: refused ('error') or read as 0 ('zero'). */
  missing: 'error' | 'zero';
  label?: string;
  split?: string;
}

/** How the link split of a relation is made: by its timestamps, at random, or from a column. */
export type EdgeSplit =
  | { mode: 'time' }
  | { mode: 'random'; val: number; test: number; seed: number }
  | { mode: 'column'; column: string };

export interface EdgeInput {
  file: string;
  /** Delimiter and header of a text edge file. */
  layout: TextLayout;
  relation: string;
  src: string;
  dst: string;
  srcColumn: string;
  dstColumn: string;
  timestamp?: string;
  weight?: string;
  /** Store both directions in this relation (source and destination types must be the same). */
  undirected: boolean;
  split: EdgeSplit;
}

export interface TypedInputs {
  /** The description file (paths in it are relative to its folder). */
  file: string;
  /** Declared node types first, then types only edges name, in order of first mention. */
  nodes: NodeInput[];
  edges: EdgeInput[];
  /** An edge naming an id its node file lacks: refused ('error') or dropped and counted ('skip'). */
  unknownIds: 'error' | 'skip';
  /** Add `rev_<relation>` for every directed relation, so messages flow both ways (default true). */
  reverse: boolean;
}

const NAME = /^[A-Za-z0-9_-]+$/;

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, message: string): never {
    throw new ConfigError(message, { file: this.file, field });
  }

  obj(v: unknown, field: string, keys: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be a map');
    for (const k of Object.keys(v))
      if (!keys.includes(k))
        this.fail(`${field}.${k}`, `unknown key (expected ${keys.join(', ')})`);
    return v as Obj;
  }

  str(v: unknown, field: string, fallback?: string): string {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v === '') this.fail(field, 'must be a non-empty string');
    return v;
  }

  optStr(v: unknown, field: string): string | undefined {
    return v === undefined ? undefined : this.str(v, field);
  }

  name(v: unknown, field: string): string {
    const s = this.str(v, field);
    if (!NAME.test(s) || s.includes('__'))
      this.fail(field, `'${s}' must be letters, digits, _ or - (no "__")`);
    return s;
  }

  oneOf<T extends string>(v: unknown, field: string, options: readonly T[], fallback: T): T {
    if (v === undefined) return fallback;
    if (!options.includes(v as T)) this.fail(field, `must be one of ${options.join(', ')}`);
    return v as T;
  }

  bool(v: unknown, field: string, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false');
    return v;
  }

  fraction(v: unknown, field: string): number {
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) this.fail(field, 'must be a number in [0, 1)');
    return v;
  }

  /** `delimiter` and `header` of an entry; without a header, columns default to positions. */
  layout(o: Obj, field: string): TextLayout {
    const delimiter =
      o.delimiter === undefined
        ? undefined
        : this.oneOf(
            o.delimiter,
            `${field}.delimiter`,
            ['comma', 'tab', 'space'] as const,
            'comma',
          );
    return { delimiter, header: this.bool(o.header, `${field}.header`, true) };
  }

  path(v: unknown, field: string): string {
    const p = resolve(dirname(this.file), this.str(v, field));
    tableOrNpy(p, field, this);
    return p;
  }
}

function tableOrNpy(p: string, field: string, c: Checker): void {
  if (p.toLowerCase().endsWith('.npy')) return;
  try {
    tableFormatOf(p, field);
  } catch (err) {
    c.fail(field, (err as Error).message);
  }
}

function featureInput(v: unknown, field: string, c: Checker): FeatureInput | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) c.fail(field, 'must list at least one column');
    return { kind: 'columns', columns: v.map((x, i) => c.str(x, `${field}[${i}]`)) };
  }
  const o = c.obj(v, field, ['columns', 'list', 'npy']);
  if (Object.keys(o).length !== 1) c.fail(field, 'give one of columns, list or npy');
  if (o.columns !== undefined) return featureInput(o.columns, `${field}.columns`, c);
  if (o.list !== undefined) return { kind: 'list', column: c.str(o.list, `${field}.list`) };
  const npy = c.path(o.npy, `${field}.npy`);
  if (!npy.toLowerCase().endsWith('.npy')) c.fail(`${field}.npy`, 'must be a .npy file');
  return { kind: 'npy', file: npy };
}

function nodeInput(v: unknown, field: string, c: Checker): NodeInput {
  const o = c.obj(v, field, [
    'type',
    'file',
    'id',
    'features',
    'missing',
    'label',
    'split',
    'delimiter',
    'header',
  ]);
  const file = o.file === undefined ? undefined : c.path(o.file, `${field}.file`);
  const layout = c.layout(o, field);
  const n: NodeInput = {
    type: c.name(o.type, `${field}.type`),
    layout,
    file,
    id: c.str(o.id, `${field}.id`, layout.header ? 'id' : '0'),
    features: featureInput(o.features, `${field}.features`, c),
    missing: c.oneOf(o.missing, `${field}.missing`, ['error', 'zero'] as const, 'error'),
    label: c.optStr(o.label, `${field}.label`),
    split: c.optStr(o.split, `${field}.split`),
  };
  if (!file && (n.features || n.label || n.split))
    c.fail(`${field}.file`, 'features, label and split are columns of a node file: name the file');
  if (file?.toLowerCase().endsWith('.npy')) c.fail(`${field}.file`, 'must be a table, not .npy');
  return n;
}

function edgeSplit(v: unknown, field: string, c: Checker): EdgeSplit {
  if (v === undefined || v === 'time') return { mode: 'time' };
  const o = c.obj(v, field, ['random', 'column']);
  if (Object.keys(o).length !== 1) c.fail(field, "give 'time', random: {…} or column: NAME");
  if (o.column !== undefined) return { mode: 'column', column: c.str(o.column, `${field}.column`) };
  const r = c.obj(o.random, `${field}.random`, ['val', 'test', 'seed']);
  const val = c.fraction(r.val ?? 0.1, `${field}.random.val`);
  const test = c.fraction(r.test ?? 0.1, `${field}.random.test`);
  if (val + test >= 1) c.fail(`${field}.random`, 'val + test must leave edges to train on');
  const seed = r.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    c.fail(`${field}.random.seed`, 'must be a non-negative integer');
  return { mode: 'random', val, test, seed };
}

const EDGE_KEYS = [
  'file',
  'relation',
  'src',
  'dst',
  'srcColumn',
  'dstColumn',
  'timestamp',
  'weight',
  'undirected',
  'split',
  'delimiter',
  'header',
] as const;

function edgeInput(v: unknown, field: string, c: Checker): EdgeInput {
  const o = c.obj(v, field, EDGE_KEYS);
  const layout = c.layout(o, field);
  const e: EdgeInput = {
    file: c.path(o.file, `${field}.file`),
    layout,
    relation: c.name(o.relation, `${field}.relation`),
    src: c.name(o.src, `${field}.src`),
    dst: c.name(o.dst, `${field}.dst`),
    srcColumn: c.str(o.srcColumn, `${field}.srcColumn`, layout.header ? 'src' : '0'),
    dstColumn: c.str(o.dstColumn, `${field}.dstColumn`, layout.header ? 'dst' : '1'),
    timestamp: c.optStr(o.timestamp, `${field}.timestamp`),
    weight: c.optStr(o.weight, `${field}.weight`),
    undirected: c.bool(o.undirected, `${field}.undirected`, false),
    split: edgeSplit(o.split, `${field}.split`, c),
  };
  if (e.file.toLowerCase().endsWith('.npy')) c.fail(`${field}.file`, 'must be a table, not .npy');
  if (e.undirected && e.src !== e.dst)
    c.fail(
      `${field}.undirected`,
      `needs the same source and destination type (${e.src}, ${e.dst})`,
    );
  if (e.split.mode === 'time' && o.split !== undefined && !e.timestamp)
    c.fail(`${field}.split`, "'time' needs a timestamp column");
  if (e.split.mode !== 'time' && e.timestamp)
    c.fail(
      `${field}.split`,
      'a random or column split orders the edges itself (train before val before test); drop the timestamp column or split by time',
    );
  return e;
}

/** Cross-entry rules: unique names, one stored split, no real times beside a stored split. */
function checkWhole(t: TypedInputs, c: Checker): void {
  const seen = new Set<string>();
  t.nodes.forEach((n, i) => {
    if (seen.has(n.type)) c.fail(`nodes[${i}].type`, `node type '${n.type}' is listed twice`);
    seen.add(n.type);
  });
  const rels = new Set<string>();
  t.edges.forEach((e, i) => {
    const key = `${e.src}__${e.relation}__${e.dst}`;
    if (rels.has(key)) c.fail(`edges[${i}].relation`, `relation ${key} is listed twice`);
    rels.add(key);
  });
  const stored = t.edges.filter((e) => e.split.mode !== 'time');
  if (stored.length > 1)
    c.fail('edges', 'at most one relation may carry a random or column split (the predicted one)');
  if (stored.length === 1 && t.edges.some((e) => e.timestamp))
    c.fail(
      'edges',
      'a random or column split stores its order as edge times, which cannot mix with real timestamps of other relations',
    );
}

/** Reads and checks a typed-input description; paths come back absolute. */
export function readTypedInputs(file: string): TypedInputs {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      'cannot read the input description',
      { file, field: '--inputs' },
      { cause: err },
    );
  }
  const c = new Checker(resolve(file));
  const o = c.obj(raw, '(top)', ['nodes', 'edges', 'unknownIds', 'reverse']);
  if (o.nodes !== undefined && !Array.isArray(o.nodes)) c.fail('nodes', 'must be a list');
  if (!Array.isArray(o.edges) || o.edges.length === 0)
    c.fail('edges', 'must list at least one edge file');
  const nodes = ((o.nodes as unknown[] | undefined) ?? []).map((n, i) =>
    nodeInput(n, `nodes[${i}]`, c),
  );
  const edges = (o.edges as unknown[]).map((e, i) => edgeInput(e, `edges[${i}]`, c));
  const known = new Set(nodes.map((n) => n.type));
  for (const e of edges)
    for (const type of [e.src, e.dst])
      if (!known.has(type)) {
        known.add(type);
        nodes.push({ type, layout: {}, id: 'id', missing: 'error' });
      }
  const t: TypedInputs = {
    file: c.file,
    nodes,
    edges,
    unknownIds: c.oneOf(o.unknownIds, 'unknownIds', ['error', 'skip'] as const, 'error'),
    reverse: c.bool(o.reverse, 'reverse', true),
  };
  checkWhole(t, c);
  return t;
}

// Users' node ids (strings, or integers of any width read as their decimal text) mapped to dense rows
// of one node type in order of first appearance, and the map kept beside the graph as `ids/<type>.txt`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksumBytes } from './checksum.js';
import { GraphFormatError } from './errors.js';
import type { GraphWriter } from './graph-writer.js';
import type { FileEntry, GraphManifest } from './manifest.js';

/** A JavaScript Map holds at most 2^24 entries; ids spread over shards by a string hash beyond that. */
const SHARD_LIMIT = 1 << 23;

/** Dense local ids for one node type's original ids. */
export class IdMap {
  private shards: Map<string, number>[] = [new Map()];
  private readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  private shardOf(id: string): Map<string, number> {
    if (this.shards.length === 1) return this.shards[0];
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return this.shards[(h >>> 0) % this.shards.length];
  }

  private grow(): void {
    const n = this.shards.length * 2;
    const next = Array.from({ length: n }, () => new Map<string, number>());
    this.shards = next;
    for (let i = 0; i < this.ids.length; i++) this.shardOf(this.ids[i]).set(this.ids[i], i);
  }

  /** The original id of local row `i`. */
  originalId(i: number): string {
    return this.ids[i];
  }

  /** The local id of `id`, or -1. */
  get(id: string): number {
    return this.shardOf(id).get(id) ?? -1;
  }

  /** Adds `id`; returns its new local id, or -1 if it was already there. */
  add(id: string): number {
    const shard = this.shardOf(id);
    if (shard.has(id)) return -1;
    const local = this.ids.length;
    shard.set(id, local);
    this.ids.push(id);
    if (shard.size >= SHARD_LIMIT) this.grow();
    return local;
  }

  /** The local id of `id`, added if new. */
  intern(id: string): number {
    const got = this.get(id);
    return got >= 0 ? got : this.add(id);
  }

  /** Writes the original ids, one per line in local-id order, as `ids/<type>.txt` (u8 bytes). */
  write(w: GraphWriter, type: string): FileEntry {
    const s = w.stream(`ids/${type}.txt`, 'u8');
    const enc = new TextEncoder();
    try {
      const batch: string[] = [];
      for (let i = 0; i < this.ids.length; i++) {
        batch.push(this.ids[i]);
        if (batch.length === 65536 || i === this.ids.length - 1) {
          s.write(enc.encode(batch.join('\n') + '\n'));
          batch.length = 0;
        }
      }
      return s.close();
    } finally {
      s.discard();
    }
  }
}

/** Text of an id cell, or undefined when it cannot name a node (missing, a list, a fraction). */
export function idText(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' || /[\n\r]/.test(t) ? undefined : t;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** Reads `ids/<type>.txt` of a graph back: original id per local row. */
export function readIdMap(dir: string, entry: FileEntry, count: number, field: string): string[] {
  const file = join(dir, entry.path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new GraphFormatError('cannot read the id map', { file, field }, { cause: err });
  }
  if (bytes.length !== entry.bytes || checksumBytes(bytes) !== entry.checksum)
    throw new GraphFormatError('id map fails its size or checksum (damaged file)', {
      file,
      field,
    });
  const text = bytes.toString('utf8');
  const ids = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text ? text.split('\n') : [];
  if (ids.length !== count)
    throw new GraphFormatError(`holds ${ids.length} ids for ${count} nodes`, { file, field });
  return ids;
}

/**
 * `type<TAB>original id` of a global node id, for a graph that keeps its original ids (built from
 * typed inputs); undefined for one that does not (its ids are the original ones).
 */
export function originalIdLookup(
  dir: string,
  m: GraphManifest,
): ((id: number) => string) | undefined {
  if (m.partition || !m.nodeTypes.every((t) => t.ids)) return undefined;
  const maps = m.nodeTypes.map((t, i) => readIdMap(dir, t.ids!, t.count, `nodeTypes[${i}].ids`));
  const types = m.nodeTypes;
  return (id) => {
    let t = types.length - 1;
    while (t > 0 && id < types[t].offset) t--;
    return `${types[t].name}\t${maps[t][id - types[t].offset]}`;
  };
}

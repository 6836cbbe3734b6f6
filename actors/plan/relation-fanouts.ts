// sampling.relationFanouts by edge type id: the job names relations (src__rel__dst, or rel alone when
// unambiguous); samplers index them by the graph's edge type ids. Unknown names fail naming the field.
import type { EdgeTypeInfo } from '../../graph-store/types.js';
import { edgeTypeKey } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';
import { edgeTypeNamed } from './relation-name.js';

/**
 * Per edge type id, its per-hop fanouts or null (drawn with the hop's shared fanout); undefined when
 * the job lists none, so samplers stay exactly as without the field.
 */
export function relationFanoutsByType(
  byName: Readonly<Record<string, readonly number[]>> | undefined,
  edgeTypes: readonly EdgeTypeInfo[],
): (readonly number[] | null)[] | undefined {
  const names = Object.keys(byName ?? {});
  if (names.length === 0) return undefined;
  const out: (readonly number[] | null)[] = edgeTypes.map(() => null);
  for (const name of names) {
    const t = edgeTypeNamed(name, edgeTypes, `sampling.relationFanouts.${name}`);
    if (out[t.id] !== null)
      throw new ConfigError(`relation ${edgeTypeKey(t)} is listed twice`, {
        field: `sampling.relationFanouts.${name}`,
      });
    out[t.id] = byName![name];
  }
  return out;
}

// sampling.relationFanouts by edge type id: the job names relations (src__rel__dst, or rel alone when
// unambiguous); samplers index them by the graph's edge type ids. Unknown names fail naming the field.
import type { EdgeTypeInfo } from '../../graph-store/types.js';
import { edgeTypeKey } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';

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
    const matches = edgeTypes.filter((e) => edgeTypeKey(e) === name);
    const t = matches.length === 1 ? matches : edgeTypes.filter((e) => e.rel === name);
    if (t.length !== 1)
      throw new ConfigError(
        `${t.length === 0 ? 'no' : 'more than one'} edge type '${name}'; the graph has ${edgeTypes.map(edgeTypeKey).join(', ')}`,
        { field: `sampling.relationFanouts.${name}` },
      );
    if (out[t[0].id] !== null)
      throw new ConfigError(`relation ${edgeTypeKey(t[0])} is listed twice`, {
        field: `sampling.relationFanouts.${name}`,
      });
    out[t[0].id] = byName![name];
  }
  return out;
}

// A relation named by a job: its edge type key src__rel__dst, or the relation name alone when only
// one edge type has it. An unknown or ambiguous name fails naming the field and the graph's keys.
import { edgeTypeKey } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';

/** The one edge type `name` names, or a ConfigError at `field` listing the relations there are. */
export function edgeTypeNamed<T extends { src: string; rel: string; dst: string }>(
  name: string,
  edgeTypes: readonly T[],
  field: string,
): T {
  const byKey = edgeTypes.filter((e) => edgeTypeKey(e) === name);
  const t = byKey.length === 1 ? byKey : edgeTypes.filter((e) => e.rel === name);
  if (t.length !== 1)
    throw new ConfigError(
      `${t.length === 0 ? 'no' : 'more than one'} edge type '${name}'; the graph has ${edgeTypes.map(edgeTypeKey).join(', ')}`,
      { field },
    );
  return t[0];
}

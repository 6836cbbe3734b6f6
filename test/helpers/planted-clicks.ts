// Test helper: a typed click graph where only an item's identity carries signal, for featureless
// types that read per-node ID rows (model.featurelessInput id).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mulberry32 } from '../../runtime/prng.js';

export const USERS = 400;
export const ITEMS = 100;
export const CLUSTERS = 5;

/**
 * Users with features of pure noise click 8 items of their hidden cluster; items have no node file
 * (featureless) and every item is equally popular, so neither features nor degrees tell the items
 * of a user's cluster from the others: only which item it is does. Writes the tables and their
 * `weft graph build --inputs` file into `dir`; returns that file.
 */
export function writePlantedClicks(dir: string): string {
  const rng = new Mulberry32(11);
  const users = ['uid,a,b,c'];
  for (let u = 0; u < USERS; u++)
    users.push(`u${u},${[0, 1, 2].map(() => (rng.next() - 0.5).toFixed(3)).join(',')}`);
  writeFileSync(join(dir, 'users.csv'), users.join('\n') + '\n');
  const perCluster = ITEMS / CLUSTERS;
  const clicks = ['user,item'];
  for (let u = 0; u < USERS; u++) {
    const c = u % CLUSTERS;
    const chosen = new Set<number>();
    // Each user a different 8 of its cluster's 20, starting where the user's index says.
    for (let j = 0; chosen.size < 8; j++) chosen.add(((u >> 2) + 3 * j) % perCluster);
    for (const i of chosen) clicks.push(`u${u},item-${c * perCluster + i}`);
  }
  writeFileSync(join(dir, 'clicks.csv'), clicks.join('\n') + '\n');
  const yaml = join(dir, 'graph.yaml');
  writeFileSync(
    yaml,
    `nodes:
  - { type: user, file: users.csv, id: uid, features: [a, b, c] }
edges:
  - { file: clicks.csv, relation: clicked, src: user, dst: item, srcColumn: user, dstColumn: item,
      split: { random: { val: 0.1, test: 0.15, seed: 3 } } }
`,
  );
  return yaml;
}

// A job spec read back from a run (a checkpoint's meta.spec, results.json's config) may have been
// written by an older Weft, before fields were added. Every field it lacks is filled in here, in one
// place, with the value that reproduces what that older version trained: the default where the
// default keeps the old behaviour, the old behaviour itself where a default changed it.
import { defaultJobSpec, type JobSpec } from './job-spec.js';

type Tree = Record<string, unknown>;

/** Fields whose default changed what older runs did: what their absence means, and when. */
const ABSENT_MEANS: { path: string; value: unknown; when: (saved: JobSpec) => boolean }[] = [
  // Runs of the temporal model from before the pointer term trained without it.
  {
    path: 'model.temporal.pointer',
    value: false,
    when: (s) => (s.model as { temporal?: { enabled?: unknown } }).temporal?.enabled === true,
  },
];

const isTree = (v: unknown): v is Tree => !!v && typeof v === 'object' && !Array.isArray(v);

function has(tree: Tree, path: string): boolean {
  let at: unknown = tree;
  for (const key of path.split('.')) {
    if (!isTree(at) || !(key in at)) return false;
    at = at[key];
  }
  return true;
}

function fill(into: Tree, from: Tree): void {
  for (const [key, value] of Object.entries(from)) {
    if (!(key in into)) into[key] = structuredClone(value);
    else if (isTree(into[key]) && isTree(value)) fill(into[key] as Tree, value);
  }
}

function set(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = tree;
  for (const key of keys.slice(0, -1)) at = at[key] as Tree;
  at[keys[keys.length - 1]] = value;
}

/** `saved` (not modified) with every field it lacks filled as the version that wrote it meant it. */
export function upgradeSavedSpec(saved: JobSpec): JobSpec {
  const spec = structuredClone(saved) as unknown as Tree;
  const old = ABSENT_MEANS.filter((f) => !has(spec, f.path) && f.when(saved));
  fill(spec, defaultJobSpec() as unknown as Tree);
  for (const f of old) set(spec, f.path, f.value);
  return spec as unknown as JobSpec;
}

// "Did you mean": the known names closest to a misspelt one, by edit distance, so an error about an
// unknown flag or field can name what the user most likely meant.

/** Levenshtein distance between `a` and `b` (insertions, deletions, substitutions; case-insensitive). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost));
    }
    prev = row;
  }
  return prev[y.length];
}

/**
 * The names of `known` within a third of `name`'s length in edits (at least 2), closest first, at
 * most `max` of them; a known name that starts with `name` (or the reverse) also counts.
 */
export function nearestNames(name: string, known: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  return known
    .map((k) => {
      const kl = k.toLowerCase();
      const prefix = kl.startsWith(lower) || lower.startsWith(kl);
      return { k, d: prefix ? Math.min(1, editDistance(name, k)) : editDistance(name, k) };
    })
    .filter((c) => c.d <= limit)
    .sort((p, q) => p.d - q.d || p.k.localeCompare(q.k))
    .slice(0, max)
    .map((c) => c.k);
}

/** ` (did you mean a or b?)` for the nearest names, or '' when none is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const near = nearestNames(name, known);
  if (near.length === 0) return '';
  const last = near.pop()!;
  return ` (did you mean ${near.length ? `${near.join(', ')} or ${last}` : last}?)`;
}

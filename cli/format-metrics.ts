// Metric values as the commands print them for people: `name 0.1234, …`, without the counts that
// ride along in the same record (`count`, `negatives`).

export function formatMetrics(m: Record<string, number>, separator = ', ', prefix = ''): string {
  return Object.entries(m)
    .filter(([k]) => k !== 'count' && k !== 'negatives')
    .map(([k, v]) => `${prefix}${k} ${v.toFixed(4)}`)
    .join(separator);
}

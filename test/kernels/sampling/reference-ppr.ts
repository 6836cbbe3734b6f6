// Test helper: personalized PageRank by float64 power iteration, the reference the push kernel and
// the PPR relation are checked against (optionally over the edges strictly before a time).
import type { Csr } from '../../../graph-store/types.js';

/**
 * Reference PPR by power iteration: a walk from s restarts with probability alpha, else follows a
 * uniform out-edge (only edges with timestamp < before); a node without such edges keeps the walk
 * (as the push code treats it).
 */
export function referencePpr(csr: Csr, s: number, alpha: number, before = Infinity): Float64Array {
  const n = csr.numNodes;
  const result = new Float64Array(n);
  let x = new Float64Array(n);
  x[s] = 1;
  for (let it = 0; it < 400; it++) {
    const next = new Float64Array(n);
    let mass = 0;
    for (let u = 0; u < n; u++) {
      if (x[u] === 0) continue;
      result[u] += alpha * x[u];
      const a = csr.indptr[u];
      const out: number[] = [];
      for (let p = a; p < csr.indptr[u + 1]; p++)
        if (before === Infinity || csr.timestamps![p] < before) out.push(csr.indices[p]);
      const move = (1 - alpha) * x[u];
      if (out.length === 0) next[u] += move;
      else for (const v of out) next[v] += move / out.length;
      mass += move;
    }
    x = next;
    if (mass < 1e-15) break;
  }
  return result;
}

/** The k best nodes of a PPR vector other than s (score descending, ties to the smaller id). */
export function referenceTopK(ppr: Float64Array, s: number, k: number): number[] {
  return [...ppr.keys()]
    .filter((v) => v !== s && ppr[v] > 0)
    .sort((a, b) => ppr[b] - ppr[a] || a - b)
    .slice(0, k);
}

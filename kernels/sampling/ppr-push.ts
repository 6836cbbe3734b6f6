// Approximate personalized PageRank from one source by Andersen–Chung–Lang push, then the top-k nodes
// by score: the neighbourhood LiGNN/PPRGo-style samplers use instead of direct neighbours.
import type { Csr, Offsets } from '../../graph-store/types.js';
import { firstAtOrAfter } from './temporal-window.js';

/**
 * Reusable push state over all nodes (score, residual, queued flag) that is reset through a touched
 * list, so each source costs only the nodes it reaches. One instance per thread.
 */
export class PprPush {
  private readonly indptr: Offsets;
  private readonly indices: Uint32Array;
  private readonly score: Float64Array;
  private readonly residual: Float64Array;
  private readonly queued: Uint8Array;
  private readonly timestamps: Float64Array | undefined;
  /** Out-degree before the run's time plus 1 of each touched node (0: not yet counted). */
  private readonly degreePlus1: Int32Array;
  private before = Infinity;
  private touched = new Int32Array(1024);
  private numTouched = 0;
  private queue = new Int32Array(1024);
  /** Pushes of the last run, for benchmarks and tests. */
  lastPushes = 0;
  /** Nodes touched (nonzero residual or score) by the last run. */
  get lastTouched(): number {
    return this.numTouched;
  }

  constructor(
    csr: Csr,
    readonly alpha: number,
    readonly epsilon: number,
  ) {
    this.indptr = csr.indptr;
    this.indices = csr.indices;
    this.score = new Float64Array(csr.numNodes);
    this.residual = new Float64Array(csr.numNodes);
    this.queued = new Uint8Array(csr.numNodes);
    this.timestamps = csr.timestamps;
    this.degreePlus1 = new Int32Array(csr.timestamps ? csr.numNodes : 0);
  }

  /**
   * Runs push from `source` and writes its top-k other nodes into outNodes[0..c) with their scores in
   * outScores, by descending score (ties: smaller id first); returns c <= k. A node u is pushed while
   * residual(u) >= epsilon * outDegree(u); a node without out-edges keeps its residual as score.
   * With `before` (a graph with timestamps), the walk follows only edges strictly before that time:
   * the scores are those of the graph as it stood then, so no later edge can change them.
   */
  topK(
    source: number,
    k: number,
    outNodes: Int32Array,
    outScores: Float64Array,
    before = Infinity,
  ): number {
    if (before !== Infinity && !this.timestamps)
      throw new Error('a PPR walk before a time needs a graph with edge timestamps');
    this.before = before;
    this.run(source);
    const c = this.selectTop(source, k, outNodes, outScores);
    this.clear();
    return c;
  }

  private touch(v: number): void {
    if (this.numTouched === this.touched.length) {
      const grown = new Int32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.numTouched++] = v;
  }

  /** Out-edges of u the walk may follow: all of them, or those before the run's time (a prefix). */
  private degree(u: number): number {
    const start = this.indptr[u];
    const end = this.indptr[u + 1];
    if (this.before === Infinity) return end - start;
    const cached = this.degreePlus1[u];
    if (cached !== 0) return cached - 1;
    const d = firstAtOrAfter(this.timestamps!, start, end, this.before) - start;
    this.degreePlus1[u] = d + 1;
    return d;
  }

  private run(source: number): void {
    const { indptr, indices, score, residual, queued, alpha, epsilon } = this;
    let queue = this.queue;
    let mask = queue.length - 1;
    let head = 0;
    let pushes = 0;
    residual[source] = 1;
    this.touch(source);
    queue[0] = source;
    let size = 1;
    queued[source] = 1;
    while (size > 0) {
      const u = queue[head];
      head = (head + 1) & mask;
      size--;
      queued[u] = 0;
      const ru = residual[u];
      const start = indptr[u];
      const deg = this.degree(u);
      if (deg === 0) {
        score[u] += ru;
        residual[u] = 0;
        continue;
      }
      if (ru < epsilon * deg) continue;
      pushes++;
      score[u] += alpha * ru;
      residual[u] = 0;
      const share = ((1 - alpha) * ru) / deg;
      const end = start + deg;
      for (let p = start; p < end; p++) {
        const v = indices[p];
        const before = residual[v];
        if (before === 0 && score[v] === 0) this.touch(v);
        const after = before + share;
        residual[v] = after;
        if (queued[v] === 0) {
          const dv = this.degree(v);
          if (after >= epsilon * dv) {
            if (size === queue.length) {
              // Grow the ring, unrolling it so head is 0.
              const grown = new Int32Array(queue.length * 2);
              for (let i = 0; i < size; i++) grown[i] = queue[(head + i) & mask];
              queue = grown;
              this.queue = grown;
              mask = grown.length - 1;
              head = 0;
            }
            queue[(head + size) & mask] = v;
            size++;
            queued[v] = 1;
          }
        }
      }
    }
    this.lastPushes = pushes;
  }

  /** Min-heap of the k best (score desc, id asc) among touched nodes other than the source. */
  private selectTop(
    source: number,
    k: number,
    outNodes: Int32Array,
    outScores: Float64Array,
  ): number {
    const { score, touched, numTouched } = this;
    let size = 0;
    for (let i = 0; i < numTouched; i++) {
      const v = touched[i];
      const s = score[v];
      if (v === source || s <= 0) continue;
      if (size < k) {
        // Sift up: the root is the worst (lowest score, then largest id).
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (!worse(s, v, outScores[p], outNodes[p])) break;
          outScores[c] = outScores[p];
          outNodes[c] = outNodes[p];
          c = p;
        }
        outScores[c] = s;
        outNodes[c] = v;
      } else if (k > 0 && worse(outScores[0], outNodes[0], s, v)) {
        siftDownMin(outScores, outNodes, size, s, v);
      }
    }
    // Pop the worst to the back: leaves the best first.
    for (let end = size - 1; end > 0; end--) {
      const ws = outScores[0];
      const wv = outNodes[0];
      siftDownMin(outScores, outNodes, end, outScores[end], outNodes[end]);
      outScores[end] = ws;
      outNodes[end] = wv;
    }
    return size;
  }

  private clear(): void {
    const { score, residual, touched, numTouched, degreePlus1 } = this;
    const timed = this.before !== Infinity;
    for (let i = 0; i < numTouched; i++) {
      const v = touched[i];
      score[v] = 0;
      residual[v] = 0;
      if (timed) degreePlus1[v] = 0;
    }
    this.numTouched = 0;
  }
}

/** Whether (sa, va) ranks below (sb, vb): lower score, or equal score and larger id. */
function worse(sa: number, va: number, sb: number, vb: number): boolean {
  return sa < sb || (sa === sb && va > vb);
}

function siftDownMin(
  scores: Float64Array,
  nodes: Int32Array,
  size: number,
  s: number,
  v: number,
): void {
  let c = 0;
  while (true) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && worse(scores[r], nodes[r], scores[l], nodes[l]) ? r : l;
    if (!worse(scores[m], nodes[m], s, v)) break;
    scores[c] = scores[m];
    nodes[c] = nodes[m];
    c = m;
  }
  scores[c] = s;
  nodes[c] = v;
}

// The sampled ranking's scores of one link batch: each pair's destination and its K negatives, as
// the model scores them — with the pairs' sequences (temporal model) and the targets' gaps (target
// recency) where the batch carries them. Evaluation and the tests of exact ranking read the same.
import type { GraphSage, LinkScoring } from '../../kernels/nn/graphsage.js';
import type { BatchView } from '../batch/batch-view.js';

/** Positives [P] and negatives [P·K] (pair-major) of a link batch; `rows` its ID rows, if any. */
export function sampledLinkScores(
  model: GraphSage,
  v: BatchView,
  rows?: Float32Array,
): { pos: Float32Array; neg: Float32Array } {
  const link = v.link!;
  const k = link.numNegatives;
  const p = link.src.length;
  // Target gaps: the P destinations', then the negatives' (batch/target-recency.ts).
  const gap = link.targetGap;
  const scoring = (n: number, per: number, targetGap?: Float32Array): LinkScoring => {
    const seq = Int32Array.from({ length: n }, (_, j) => Math.floor(j / per));
    const temporal = link.temporal && { inputs: link.temporal, pairSrc: link.src, seq };
    return { ...(temporal ? { temporal } : {}), ...(targetGap ? { targetGap } : {}) };
  };
  const pos = model.scoreLinks(
    v.model,
    link.src,
    link.dst,
    rows,
    scoring(p, 1, gap?.subarray(0, p)),
  );
  const srcRep = new Int32Array(link.negDst!.length);
  for (let i = 0; i < p; i++) for (let j = 0; j < k; j++) srcRep[i * k + j] = link.src[i];
  const neg = model.scoreLinks(
    v.model,
    srcRep,
    link.negDst!,
    rows,
    scoring(srcRep.length, k, gap?.subarray(p)),
  );
  return { pos, neg };
}

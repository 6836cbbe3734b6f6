// The pool task of exact ranking: one range of sources scored against every candidate, their rows
// read in place from shared memory; only the per-pair counts come back.
import {
  countCandidates,
  type CandidateRanking,
  type PairCounts,
} from '../../kernels/metrics/candidate-ranking.js';

export interface RankTask {
  job: CandidateRanking;
  s0: number;
  s1: number;
}

export default function rankTask(task: RankTask): PairCounts {
  return countCandidates(task.job, task.s0, task.s1);
}

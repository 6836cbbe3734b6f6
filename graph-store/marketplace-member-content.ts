// Marketplace members' hidden factors as a profile text embedding would carry them (`--member-content`):
// industry, title (industry × seniority) and skills, at a chosen signal-to-noise, from a stream of its own.
import { Xoshiro128Float } from '../runtime/prng.js';
import type { CsrArrays } from './row-sort.js';

/** Weights of the profile's parts before the whole is scaled to unit variance per dimension. */
export const PROFILE_WEIGHTS = { industry: 1, title: 0.5, skills: 1 } as const;

export interface MemberProfileInput {
  seed: number;
  /** Signal standard deviation over noise standard deviation (both per hidden dimension). */
  strength: number;
  latentDim: number;
  industries: number;
  /** Per member: its industry and seniority (0-3). */
  memberIndustry: Uint8Array;
  seniority: Uint8Array;
  /** Member→skill rows with global skill ids, and the skills' id offset and hidden factors. */
  hasSkill: CsrArrays;
  skillOffset: number;
  skillLatent: Float32Array;
  /** Industry centroids in the hidden space (industries × latentDim). */
  centroid: Float32Array;
}

/**
 * Hidden factors of every member: strength · u + N(0, 1) per dimension, where u is the profile
 * signal (industry centroid, a title vector per industry and seniority, the mean of the member's
 * skills' factors, weighted by PROFILE_WEIGHTS) scaled to unit variance over all members. The skills
 * term lives where jobs do (a job's factors are the mean of its required skills'), so a member's
 * content points at the jobs it would apply to.
 */
export function memberProfileLatent(p: MemberProfileInput): Float32Array {
  const K = p.latentDim;
  const M = p.memberIndustry.length;
  const rng = new Xoshiro128Float(p.seed, 28);
  const title = new Float32Array(p.industries * 4 * K);
  for (let i = 0; i < title.length; i++) title[i] = rng.normal();
  const signal = new Float64Array(M * K);
  const { indptr, indices } = p.hasSkill;
  let sumSq = 0;
  for (let m = 0; m < M; m++) {
    const ind = p.memberIndustry[m];
    const tb = (ind * 4 + p.seniority[m]) * K;
    const lo = indptr[m];
    const hi = indptr[m + 1];
    for (let k = 0; k < K; k++) {
      let skills = 0;
      for (let e = lo; e < hi; e++) skills += p.skillLatent[(indices[e] - p.skillOffset) * K + k];
      const v =
        PROFILE_WEIGHTS.industry * p.centroid[ind * K + k] +
        PROFILE_WEIGHTS.title * title[tb + k] +
        (hi > lo ? (PROFILE_WEIGHTS.skills * skills) / (hi - lo) : 0);
      signal[m * K + k] = v;
      sumSq += v * v;
    }
  }
  // Unit variance per dimension, so `strength` is the signal-to-noise ratio of standard deviations.
  const scale = p.strength / Math.sqrt(sumSq / Math.max(1, M * K));
  const out = new Float32Array(M * K);
  for (let i = 0; i < out.length; i++) out[i] = scale * signal[i] + rng.normal();
  return out;
}

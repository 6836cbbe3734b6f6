// `weft graph synth --kind marketplace`: a job-marketplace graph (members, jobs, skills, companies) whose
// edges follow hidden industries and skills, so node classification and link prediction are learnable.
// Every relation is stored with its reverse; applications carry timestamps. Deterministic per seed.
import { ConfigError } from '../runtime/errors.js';
import { AliasSegments } from './alias-table.js';
import { allocOffsets, transposeCsr } from './csr-builder.js';
import { baseManifest, writeEdgeType } from './graph-arrays-writer.js';
import { finishSynthGraph, type SynthWriteOptions } from './synth-output.js';
import { writeGraphDir } from './graph-writer.js';
import type { GraphManifest, ManifestEdgeType, ManifestNodeType } from './manifest.js';
import { TypedMarketplaceFeatures, typedFeatureColumns } from './marketplace-typed-features.js';
import { memberProfileLatent } from './marketplace-member-content.js';
import { Xoshiro128Float } from '../runtime/prng.js';
import { sortRows, type CsrArrays } from './row-sort.js';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from './types.js';

export interface MarketplaceOptions {
  members: number;
  jobs?: number;
  skills?: number;
  companies?: number;
  /** Mean applications per member (log-normal spread, at least one). */
  applicationsPerMember?: number;
  skillsPerMember?: number;
  skillsPerJob?: number;
  /** Hidden industries; a member's label is its industry. */
  industries?: number;
  featureDim?: number;
  /** Share of members who joined late with one or two applications, all near the end (0 = none). */
  coldMembers?: number;
  /** Share of members whose intent drifts: their later applications go to a second industry (0 = none). */
  intentDrift?: number;
  /**
   * Mean jobs a member viewed (relation `viewed`, 0 = none): weak interest, 30 % in its industry and
   * the rest anywhere by popularity — member→job edges that mean less than `applied`.
   */
  viewsPerMember?: number;
  /**
   * Mean jobs a member dismissed (relation `dismissed`, 0 = none): all from one industry it dislikes
   * (never its own) — member→job edges that mean the opposite of `applied`.
   */
  dismissalsPerMember?: number;
  /**
   * Each node type in its own feature space and columns (as `weft graph build --inputs` stores typed
   * inputs): its own projection of its hidden factors, widths featureDim (members, jobs),
   * featureDim/2 (skills) and featureDim/4 (companies), no type marker. Default false: every type the
   * same projection into the same featureDim columns, a type marker in the first four.
   */
  typedFeatures?: boolean;
  /**
   * Members' features as a profile text embedding would carry them (0 = off, the default): their
   * industry, title (industry × seniority) and skills, at this signal-to-noise ratio of standard
   * deviations (`graph-store/marketplace-member-content.ts`). Off, a member's features are a weak
   * quarter-variance industry signal and its seniority in noise.
   */
  memberContent?: number;
  /**
   * Skills a cold member lists as `has_skill` edges (default: all it has, like every member): the
   * first N it has, as drawn. Its applications and its content (`memberContent`) still follow its
   * whole profile — a new member who wrote a headline but listed few skills. Needs `coldMembers`.
   */
  coldProfileSkills?: number;
  seed: number;
}

/** Sizes derived from `members` when not given. */
export function marketplaceSizes(
  o: MarketplaceOptions,
): Required<Omit<MarketplaceOptions, 'seed'>> {
  const m = o.members;
  return {
    members: m,
    jobs: o.jobs ?? Math.max(1, Math.round(m / 4)),
    skills: o.skills ?? Math.min(50_000, Math.max(50, Math.round(8 * Math.sqrt(m)))),
    companies: o.companies ?? Math.max(10, Math.round(m / 100)),
    applicationsPerMember: o.applicationsPerMember ?? 5,
    skillsPerMember: o.skillsPerMember ?? 8,
    skillsPerJob: o.skillsPerJob ?? 5,
    industries: o.industries ?? 8,
    featureDim: o.featureDim ?? 32,
    coldMembers: o.coldMembers ?? 0,
    intentDrift: o.intentDrift ?? 0,
    viewsPerMember: o.viewsPerMember ?? 0,
    dismissalsPerMember: o.dismissalsPerMember ?? 0,
    typedFeatures: o.typedFeatures ?? false,
    memberContent: o.memberContent ?? 0,
    coldProfileSkills: o.coldProfileSkills ?? Number.POSITIVE_INFINITY,
  };
}

export const NODE_TYPES = ['member', 'job', 'skill', 'company'] as const;
const LATENT_DIM = 16;
const DAY_S = 86_400;
const START_S = 1_577_836_800; // 2020-01-01T00:00:00Z
const POSTING_WINDOW_S = 730 * DAY_S;
const CANDIDATES = 6;

/** Relations in stored order; each forward one is followed later by its reverse (`rev_` + name). */
const FORWARD = [
  { src: 'member', rel: 'has_skill', dst: 'skill' },
  { src: 'member', rel: 'works_at', dst: 'company' },
  { src: 'member', rel: 'applied', dst: 'job' },
  { src: 'job', rel: 'requires', dst: 'skill' },
  { src: 'job', rel: 'posted_by', dst: 'company' },
] as const;

function checkOptions(s: ReturnType<typeof marketplaceSizes>): void {
  const int = (v: number, field: string, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new ConfigError(`must be an integer >= ${min}, got ${v}`, { field });
  };
  int(s.members, '--members', 1);
  int(s.jobs, '--jobs', 1);
  int(s.skills, '--skills', 1);
  int(s.companies, '--companies', 1);
  int(s.industries, '--classes', 1);
  int(s.featureDim, '--feature-dim', 0);
  if (s.industries > 255) throw new ConfigError('at most 255 industries', { field: '--classes' });
  for (const [k, v] of [
    ['--applications-per-member', s.applicationsPerMember],
    ['--skills-per-member', s.skillsPerMember],
    ['--skills-per-job', s.skillsPerJob],
  ] as const)
    if (!(v >= 1 && v <= 100)) throw new ConfigError(`must be in [1, 100], got ${v}`, { field: k });
  for (const [k, v] of [
    ['--views-per-member', s.viewsPerMember],
    ['--dismissals-per-member', s.dismissalsPerMember],
  ] as const)
    if (!(v >= 0 && v <= 100)) throw new ConfigError(`must be in [0, 100], got ${v}`, { field: k });
  if (s.dismissalsPerMember > 0 && s.industries < 2)
    throw new ConfigError(
      "dismissals come from an industry other than the member's: needs --classes >= 2",
      {
        field: '--dismissals-per-member',
      },
    );
  if (s.typedFeatures && s.featureDim < 4)
    throw new ConfigError('typed features need --feature-dim >= 4 (companies get a quarter)', {
      field: '--feature-dim',
    });
  for (const [k, v] of [
    ['--cold-members', s.coldMembers],
    ['--intent-drift', s.intentDrift],
  ] as const)
    if (!(v >= 0 && v <= 1))
      throw new ConfigError(`must be a share in [0, 1], got ${v}`, { field: k });
  if (!(s.memberContent >= 0 && s.memberContent <= 100))
    throw new ConfigError(`must be a signal-to-noise ratio in [0, 100], got ${s.memberContent}`, {
      field: '--member-content',
    });
  checkColdProfile(s);
  if (s.members + s.jobs + s.skills + s.companies >= 2 ** 32 - 1)
    throw new ConfigError('more than 2^32 - 2 nodes in total', { field: '--members' });
}

function checkColdProfile(s: ReturnType<typeof marketplaceSizes>): void {
  const n = s.coldProfileSkills;
  if (n === Number.POSITIVE_INFINITY) return;
  const field = '--cold-profile-skills';
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`must be an integer >= 0, got ${n}`, { field });
  if (s.coldMembers === 0)
    throw new ConfigError('only cold members list fewer skills: needs --cold-members > 0', {
      field,
    });
}

/** Items grouped by industry with Zipf popularity inside each group, plus one table over all items. */
class Catalog {
  readonly industryOf: Uint8Array;
  readonly start: Float64Array; // per industry, into `items`
  readonly items: Uint32Array;
  private readonly grouped: AliasSegments;
  private readonly all: AliasSegments;

  constructor(industryOf: Uint8Array, industries: number, exponent: number, rng: Xoshiro128Float) {
    const count = industryOf.length;
    this.industryOf = industryOf;
    // Popularity by a shuffled rank, so popular items are spread over ids.
    const rank = new Uint32Array(count);
    for (let i = 0; i < count; i++) rank[i] = i;
    rng.shuffle(rank);
    const weight = new Float64Array(count);
    for (let r = 0; r < count; r++) weight[rank[r]] = Math.pow(r + 1, -exponent);
    this.start = new Float64Array(industries + 1);
    for (let i = 0; i < count; i++) this.start[this.industryOf[i] + 1]++;
    for (let k = 0; k < industries; k++) this.start[k + 1] += this.start[k];
    this.items = new Uint32Array(count);
    const gw = new Float64Array(count);
    const at = this.start.slice(0, industries);
    for (let i = 0; i < count; i++) {
      const p = at[this.industryOf[i]]++;
      this.items[p] = i;
      gw[p] = weight[i];
    }
    const small = new Uint32Array(count);
    const large = new Uint32Array(count);
    this.grouped = new AliasSegments(count);
    for (let k = 0; k < industries; k++)
      if (this.start[k + 1] > this.start[k])
        this.grouped.build(gw, this.start[k], this.start[k + 1], small, large);
    this.all = new AliasSegments(count);
    this.all.build(weight, 0, count, small, large);
  }

  /** An item of `industry` by popularity (any item when that industry has none). */
  inIndustry(rng: Xoshiro128Float, industry: number): number {
    const s = this.start[industry];
    const e = this.start[industry + 1];
    if (e === s) return this.anywhere(rng);
    return this.items[this.grouped.sample(rng, s, e)];
  }

  anywhere(rng: Xoshiro128Float): number {
    return this.all.sample(rng, 0, this.industryOf.length);
  }
}

function drawIndustries(
  count: number,
  table: AliasSegments,
  industries: number,
  rng: Xoshiro128Float,
): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = table.sample(rng, 0, industries);
  return out;
}

/** Log-normal count with the given mean, clamped to [1, max]. */
function spreadCount(rng: Xoshiro128Float, mean: number, sigma: number, max: number): number {
  const v = Math.round(mean * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2));
  return Math.max(1, Math.min(max, v));
}

/** Fills row `row` with `k` distinct items from `draw` (rows are short: a linear duplicate check). */
function distinctRow(indices: Uint32Array, lo: number, k: number, draw: () => number): void {
  for (let i = 0; i < k; i++) {
    let v = 0;
    for (let tries = 0; tries < 64; tries++) {
      v = draw();
      let dup = false;
      for (let j = lo; j < lo + i; j++)
        if (indices[j] === v) {
          dup = true;
          break;
        }
      if (!dup) break;
    }
    indices[lo + i] = v;
  }
}

export interface MarketplaceGraph {
  seed: number;
  sizes: ReturnType<typeof marketplaceSizes>;
  /** Global id offset of each node type, in NODE_TYPES order. */
  offsets: number[];
  /** Per relation (FORWARD order, then the reverses in the same order): CSR over its source rows. */
  relations: { src: string; rel: string; dst: string; csr: CsrArrays }[];
  /** Member industry labels over all nodes (-1 for non-members), and the member split. */
  labels: Int32Array;
  split: Uint8Array;
  /** Hidden factors the features are drawn from. */
  latent: { member: Float32Array; job: Float32Array; skill: Float32Array; company: Float32Array };
}

type Sizes = ReturnType<typeof marketplaceSizes>;

/** Industries with their latent centroids, and the skill and company catalogues in them. */
function drawWorld(o: MarketplaceOptions, s: Sizes) {
  const { skills: S, companies: C, industries: I } = s;
  const K = LATENT_DIM;
  // Industries: mildly skewed sizes and a centroid each in the latent space.
  const rngWorld = new Xoshiro128Float(o.seed, 11);
  const industryTable = new AliasSegments(I);
  const iw = Float64Array.from({ length: I }, (_, i) => Math.pow(i + 1, -0.5));
  industryTable.build(iw, 0, I, new Uint32Array(I), new Uint32Array(I));
  const centroid = new Float32Array(I * K);
  for (let i = 0; i < centroid.length; i++) centroid[i] = rngWorld.normal();

  const rngSkills = new Xoshiro128Float(o.seed, 12);
  const skills = new Catalog(drawIndustries(S, industryTable, I, rngSkills), I, 1.0, rngSkills);
  const rngCompanies = new Xoshiro128Float(o.seed, 13);
  const companies = new Catalog(
    drawIndustries(C, industryTable, I, rngCompanies),
    I,
    1.1,
    rngCompanies,
  );
  const skillLatent = new Float32Array(S * K);
  const rngSkill = new Xoshiro128Float(o.seed, 14);
  for (let v = 0; v < S; v++) {
    const c = skills.industryOf[v] * K;
    for (let k = 0; k < K; k++) skillLatent[v * K + k] = centroid[c + k] + 0.7 * rngSkill.normal();
  }
  return { industryTable, centroid, skills, companies, skillLatent };
}
type World = ReturnType<typeof drawWorld>;

/**
 * Distinct skills per row (a job's required, a member's listed): a log-normal count, each skill from
 * the row's industry with probability `inIndustry`, else from anywhere, by popularity.
 */
function skillRows(
  skills: Catalog,
  industryOf: Uint8Array,
  rng: Xoshiro128Float,
  c: { mean: number; sigma: number; max: number; inIndustry: number },
): CsrArrays {
  const csr = rowsOf(industryOf.length, () => spreadCount(rng, c.mean, c.sigma, c.max));
  for (let r = 0; r < industryOf.length; r++) {
    const lo = csr.indptr[r];
    const ind = industryOf[r];
    distinctRow(csr.indices, lo, csr.indptr[r + 1] - lo, () =>
      rng.next() < c.inIndustry ? skills.inIndustry(rng, ind) : skills.anywhere(rng),
    );
  }
  return csr;
}

/** Jobs: posted by a company (big companies post more), in its industry, at a time in the window. */
function drawJobs(o: MarketplaceOptions, s: Sizes, w: World, offsets: number[]) {
  const { jobs: J, skills: S, industries: I } = s;
  const rngJob = new Xoshiro128Float(o.seed, 15);
  const jobCompany = new Uint32Array(J);
  const jobPosted = new Float64Array(J);
  const postedBy = oneEdgeRows(J);
  for (let j = 0; j < J; j++) {
    const c = w.companies.anywhere(rngJob);
    jobCompany[j] = c;
    jobPosted[j] = START_S + Math.floor(rngJob.next() * POSTING_WINDOW_S);
    postedBy.indices[j] = offsets[3] + c;
  }
  // Job popularity (who gets applications) by Zipf rank inside the job's industry.
  const jobIndustry = new Uint8Array(J);
  for (let j = 0; j < J; j++) jobIndustry[j] = w.companies.industryOf[jobCompany[j]];
  const popularity = new Catalog(jobIndustry, I, 0.8, new Xoshiro128Float(o.seed, 16));

  const requires = skillRows(w.skills, jobIndustry, rngJob, {
    mean: s.skillsPerJob,
    sigma: 0.4,
    max: Math.min(20, S),
    inIndustry: 0.85,
  });
  return { jobPosted, postedBy, popularity, requires };
}
type Jobs = ReturnType<typeof drawJobs>;

/** Members: industry, seniority, employer, skills. */
function drawMembers(o: MarketplaceOptions, s: Sizes, w: World, offsets: number[]) {
  const { members: M, skills: S, industries: I } = s;
  const rngMember = new Xoshiro128Float(o.seed, 17);
  const memberIndustry = new Uint8Array(M);
  const seniority = new Uint8Array(M);
  const worksAt = oneEdgeRows(M);
  for (let m = 0; m < M; m++) {
    const ind = w.industryTable.sample(rngMember, 0, I);
    memberIndustry[m] = ind;
    seniority[m] = Math.floor(rngMember.next() * 4);
    const c =
      rngMember.next() < 0.85
        ? w.companies.inIndustry(rngMember, ind)
        : w.companies.anywhere(rngMember);
    worksAt.indices[m] = offsets[3] + c;
  }
  const hasSkill = skillRows(w.skills, memberIndustry, rngMember, {
    mean: s.skillsPerMember,
    sigma: 0.5,
    max: Math.min(40, S),
    inIndustry: 0.8,
  });
  return { memberIndustry, seniority, worksAt, hasSkill };
}
type Members = ReturnType<typeof drawMembers>;

/**
 * The planted signals, drawn from streams of their own so the graph is unchanged when both are off.
 * Cold members: one or two applications, all after a join time in the last fifth of the posting
 * window. Drifting members: the second half of their applications (in time) go to a second industry.
 */
function plannedSignals(o: MarketplaceOptions, s: Sizes) {
  if (s.coldMembers === 0 && s.intentDrift === 0) return undefined;
  const M = s.members;
  const rng = new Xoshiro128Float(o.seed, 22);
  const cold = new Uint8Array(M);
  const coldApplications = new Uint8Array(M);
  const joined = new Float64Array(M);
  const drift = new Uint8Array(M);
  const second = new Uint8Array(M);
  for (let m = 0; m < M; m++) {
    cold[m] = rng.next() < s.coldMembers ? 1 : 0;
    coldApplications[m] = 1 + (rng.next() < 0.5 ? 1 : 0);
    joined[m] = START_S + POSTING_WINDOW_S * (0.8 + 0.2 * rng.next());
    drift[m] = !cold[m] && rng.next() < s.intentDrift ? 1 : 0;
    second[m] = Math.floor(rng.next() * s.industries);
  }
  return {
    cold,
    coldApplications,
    /** The industry a member's i-th of n applications looks in. */
    industryAt(m: number, i: number, n: number, own: number): number {
      return drift[m] && second[m] !== own && i >= n / 2 ? second[m] : own;
    },
    /** Orders a drifting member's times like its applications, and moves a cold member's past its join. */
    retime(m: number, applied: CsrArrays, jobPosted: Float64Array): void {
      const ts = applied.timestamps!;
      const lo = applied.indptr[m];
      const hi = applied.indptr[m + 1];
      if (drift[m]) {
        const sorted = ts.slice(lo, hi).sort();
        for (let p = lo; p < hi; p++) {
          const j = applied.indices[p];
          ts[p] = Math.max(sorted[p - lo], jobPosted[j] + DAY_S);
        }
      }
      if (cold[m])
        for (let p = lo; p < hi; p++) ts[p] = Math.max(ts[p], joined[m] + (p - lo) * DAY_S);
    },
  };
}

/**
 * Applications: a member looks at a few popular jobs (mostly in its industry) and applies to the one
 * sharing most skills; it happens some days after the posting.
 */
function drawApplications(o: MarketplaceOptions, s: Sizes, jobs: Jobs, members: Members) {
  const { members: M, jobs: J, skills: S } = s;
  const { hasSkill, memberIndustry } = members;
  const { requires, popularity, jobPosted } = jobs;
  const rngApply = new Xoshiro128Float(o.seed, 18);
  const maxApps = Math.min(100, J);
  const plan = plannedSignals(o, s);
  const applied = rowsOf(M, (m) => {
    const n = spreadCount(rngApply, s.applicationsPerMember, 0.8, maxApps);
    return plan?.cold[m] ? Math.min(n, plan.coldApplications[m]) : n;
  });
  applied.timestamps = new Float64Array(applied.indices.length);
  const skillMark = new Uint32Array(S);
  for (let m = 0; m < M; m++) {
    const stamp = m + 1;
    for (let e = hasSkill.indptr[m]; e < hasSkill.indptr[m + 1]; e++)
      skillMark[hasSkill.indices[e]] = stamp;
    const lo = applied.indptr[m];
    const hi = applied.indptr[m + 1];
    for (let p = lo; p < hi; p++) {
      const ind = plan ? plan.industryAt(m, p - lo, hi - lo, memberIndustry[m]) : memberIndustry[m];
      let best = -1;
      let bestScore = -1;
      for (let tries = 0; tries < 64 && best < 0; tries++)
        for (let c = 0; c < CANDIDATES; c++) {
          const j =
            rngApply.next() < 0.75
              ? popularity.inIndustry(rngApply, ind)
              : popularity.anywhere(rngApply);
          let dup = false;
          for (let q = lo; q < p; q++) if (applied.indices[q] === j) dup = true;
          if (dup) continue;
          let overlap = 0;
          for (let e = requires.indptr[j]; e < requires.indptr[j + 1]; e++)
            if (skillMark[requires.indices[e]] === stamp) overlap++;
          const score = overlap + 0.5 * rngApply.next();
          if (score > bestScore) {
            bestScore = score;
            best = j;
          }
        }
      if (best < 0) best = firstFreeJob(applied.indices, lo, p, J);
      applied.indices[p] = best;
      applied.timestamps[p] = jobPosted[best] + Math.round(rngApply.exponential(7 * DAY_S));
    }
    if (plan) plan.retime(m, applied, jobPosted);
  }
  return { applied, cold: plan?.cold };
}

/**
 * The `has_skill` rows as listed: `skills` itself when every member lists all it has, else a copy
 * where each cold member keeps only the first `listed` of its skills (in the order drawn).
 */
function listedSkills(skills: CsrArrays, cold: Uint8Array | undefined, listed: number): CsrArrays {
  if (!cold || listed === Number.POSITIVE_INFINITY) return skills;
  const { indptr, indices } = skills;
  const kept = (m: number): number =>
    cold[m] ? Math.min(listed, indptr[m + 1] - indptr[m]) : indptr[m + 1] - indptr[m];
  const out = rowsOf(skills.numRows, kept);
  for (let m = 0; m < skills.numRows; m++)
    out.indices.set(indices.subarray(indptr[m], indptr[m] + kept(m)), out.indptr[m]);
  return out;
}

/** Every relation with global ids, rows ordered as stored, and its reverse. */
function relationsOf(
  s: Sizes,
  offsets: number[],
  forward: CsrArrays[],
  kinds: readonly { src: string; rel: string; dst: string }[],
): MarketplaceGraph['relations'] {
  const [hasSkill, , applied, requires] = forward;
  // Store global ids, then order rows as stored (by neighbour id; applications by time).
  toGlobal(hasSkill.indices, offsets[2]);
  toGlobal(requires.indices, offsets[2]);
  toGlobal(applied.indices, offsets[1]);
  sortRows(hasSkill, false);
  sortRows(requires, false);
  sortRows(applied, true);
  const typeIndex = (name: string): number =>
    NODE_TYPES.indexOf(name as (typeof NODE_TYPES)[number]);
  const countOf = [s.members, s.jobs, s.skills, s.companies];
  const relations: MarketplaceGraph['relations'] = kinds.map((r, k) => ({
    ...r,
    csr: forward[k],
  }));
  kinds.forEach((r, k) => {
    const src = typeIndex(r.src);
    const dst = typeIndex(r.dst);
    const rev = transposeCsr(forward[k], countOf[dst], offsets[dst], offsets[src]);
    if (rev.timestamps) sortRows(rev, true);
    relations.push({ src: r.dst, rel: `rev_${r.rel}`, dst: r.src, csr: rev });
  });
  return relations;
}

/** Labels (member industry) and a 60/20/20 member split. */
function labelsAndSplit(o: MarketplaceOptions, s: Sizes, memberIndustry: Uint8Array) {
  const M = s.members;
  const n = M + s.jobs + s.skills + s.companies;
  const labels = new Int32Array(n).fill(-1);
  const split = new Uint8Array(n);
  const rngSplit = new Xoshiro128Float(o.seed, 19);
  for (let m = 0; m < M; m++) {
    labels[m] = memberIndustry[m];
    const r = rngSplit.next();
    split[m] = r < 0.6 ? SPLIT_TRAIN : r < 0.8 ? SPLIT_VAL : SPLIT_TEST;
  }
  return { labels, split };
}

/** Hidden factors per node, from which features are drawn. */
function latentsOf(
  o: MarketplaceOptions,
  s: Sizes,
  w: World,
  members: Members,
  requires: CsrArrays,
  offsets: number[],
): MarketplaceGraph['latent'] {
  const { members: M, jobs: J, companies: C } = s;
  const K = LATENT_DIM;
  const { centroid, skillLatent } = w;
  const rngLatent = new Xoshiro128Float(o.seed, 20);
  const seniorityAxis = new Float32Array(K);
  for (let k = 0; k < K; k++) seniorityAxis[k] = rngLatent.normal() * 0.5;
  let memberLatent: Float32Array = new Float32Array(M * K);
  for (let m = 0; m < M; m++) {
    const c = members.memberIndustry[m] * K;
    for (let k = 0; k < K; k++)
      memberLatent[m * K + k] =
        0.5 * centroid[c + k] +
        (members.seniority[m] - 1.5) * seniorityAxis[k] +
        rngLatent.normal();
  }
  // Drawn above all the same, so the other types' factors do not move when content is on.
  if (s.memberContent > 0)
    memberLatent = memberProfileLatent({
      seed: o.seed,
      strength: s.memberContent,
      latentDim: K,
      industries: s.industries,
      memberIndustry: members.memberIndustry,
      seniority: members.seniority,
      hasSkill: members.hasSkill,
      skillOffset: offsets[2],
      skillLatent,
      centroid,
    });
  const jobLatent = new Float32Array(J * K);
  for (let j = 0; j < J; j++) {
    const lo = requires.indptr[j];
    const hi = requires.indptr[j + 1];
    for (let e = lo; e < hi; e++) {
      const sk = requires.indices[e] - offsets[2];
      for (let k = 0; k < K; k++) jobLatent[j * K + k] += skillLatent[sk * K + k] / (hi - lo);
    }
    for (let k = 0; k < K; k++) jobLatent[j * K + k] += 0.3 * rngLatent.normal();
  }
  const companyLatent = new Float32Array(C * K);
  for (let c = 0; c < C; c++) {
    const ic = w.companies.industryOf[c] * K;
    for (let k = 0; k < K; k++)
      companyLatent[c * K + k] = centroid[ic + k] + 0.5 * rngLatent.normal();
  }
  return { member: memberLatent, job: jobLatent, skill: skillLatent, company: companyLatent };
}

/** Builds the marketplace in memory (features are drawn later from `latent`, streaming). */
export function generateMarketplace(o: MarketplaceOptions): MarketplaceGraph {
  const s = marketplaceSizes(o);
  checkOptions(s);
  const { members: M, jobs: J, skills: S } = s;
  const offsets = [0, M, M + J, M + J + S];
  const world = drawWorld(o, s);
  const jobs = drawJobs(o, s, world, offsets);
  const members = drawMembers(o, s, world, offsets);
  const { applied, cold } = drawApplications(o, s, jobs, members);
  const listed = listedSkills(members.hasSkill, cold, s.coldProfileSkills);
  // The order FORWARD lists the relations in, then the feedback relations that are on.
  const forward = [listed, members.worksAt, applied, jobs.requires, jobs.postedBy];
  const kinds: { src: string; rel: string; dst: string }[] = [...FORWARD];
  for (const f of drawFeedback(o, s, jobs, members, offsets)) {
    forward.push(f.csr);
    kinds.push({ src: 'member', rel: f.rel, dst: 'job' });
  }
  const relations = relationsOf(s, offsets, forward, kinds);
  if (listed !== members.hasSkill) {
    // The whole profile, stored like the listed rows, is what the members' content describes.
    toGlobal(members.hasSkill.indices, offsets[2]);
    sortRows(members.hasSkill, false);
  }
  const { labels, split } = labelsAndSplit(o, s, members.memberIndustry);
  // Job latents read the skills of `requires` after they became global ids.
  const latent = latentsOf(o, s, world, members, jobs.requires, offsets);
  return { seed: o.seed, sizes: s, offsets, relations, labels, split, latent };
}

/**
 * The feedback relations that are on (member→job, no timestamps, rows sorted, global ids): views of
 * popular jobs mostly outside the member's industry, dismissals of jobs in one disliked industry.
 * Each from a stream of its own, so the graph is unchanged when both are off.
 */
function drawFeedback(
  o: MarketplaceOptions,
  s: Sizes,
  jobs: Jobs,
  members: Members,
  offsets: number[],
): { rel: string; csr: CsrArrays }[] {
  const { members: M, industries: I } = s;
  const maxJobs = Math.min(100, s.jobs);
  const out: { rel: string; csr: CsrArrays }[] = [];
  const draw = (rel: string, mean: number, stream: number, pick: (m: number) => number) => {
    if (mean === 0) return;
    const rng = new Xoshiro128Float(o.seed, stream);
    const csr = rowsOf(M, () => spreadCount(rng, mean, 0.5, maxJobs));
    for (let m = 0; m < M; m++) {
      const lo = csr.indptr[m];
      distinctRow(csr.indices, lo, csr.indptr[m + 1] - lo, () => pick(m));
    }
    toGlobal(csr.indices, offsets[1]);
    sortRows(csr, false);
    out.push({ rel, csr });
  };
  const rngView = new Xoshiro128Float(o.seed, 25);
  draw('viewed', s.viewsPerMember, 23, (m) =>
    rngView.next() < 0.3
      ? jobs.popularity.inIndustry(rngView, members.memberIndustry[m])
      : jobs.popularity.anywhere(rngView),
  );
  const rngDismiss = new Xoshiro128Float(o.seed, 26);
  const disliked = new Uint8Array(M);
  for (let m = 0; m < M; m++)
    disliked[m] = (members.memberIndustry[m] + 1 + Math.floor(rngDismiss.next() * (I - 1))) % I;
  draw('dismissed', s.dismissalsPerMember, 24, (m) =>
    jobs.popularity.inIndustry(rngDismiss, disliked[m]),
  );
  return out;
}

/** Rows of one edge each (a job's company, a member's employer), targets filled by the caller. */
function oneEdgeRows(rows: number): CsrArrays {
  return rowsOf(rows, () => 1);
}

function rowsOf(rows: number, degree: (row: number) => number): CsrArrays {
  const counts = new Uint32Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    counts[r] = degree(r);
    total += counts[r];
  }
  const indptr = allocOffsets(rows, total);
  for (let r = 0; r < rows; r++) indptr[r + 1] = indptr[r] + counts[r];
  return { numRows: rows, indptr, indices: new Uint32Array(total) };
}

function toGlobal(a: Uint32Array, offset: number): void {
  for (let i = 0; i < a.length; i++) a[i] += offset;
}

function firstFreeJob(row: Uint32Array, lo: number, p: number, jobs: number): number {
  for (let j = 0; j < jobs; j++) {
    let used = false;
    for (let q = lo; q < p; q++) if (row[q] === j) used = true;
    if (!used) return j;
  }
  return 0;
}

/** Feature rows in node order: a fixed projection of each node's hidden factors, plus noise and a type marker. */
export class MarketplaceFeatures {
  private readonly projection: Float32Array;
  private readonly rng: Xoshiro128Float;
  private next = 0;
  private readonly total: number;

  constructor(private readonly g: MarketplaceGraph) {
    const D = g.sizes.featureDim;
    this.rng = new Xoshiro128Float(g.seed, 21);
    this.projection = new Float32Array(LATENT_DIM * D);
    const scale = 1 / Math.sqrt(LATENT_DIM);
    for (let i = 0; i < this.projection.length; i++) this.projection[i] = this.rng.normal() * scale;
    const { members, jobs, skills, companies } = g.sizes;
    this.total = members + jobs + skills + companies;
  }

  /** Writes the next `rows` rows into `out`; returns how many were written (0 at the end). */
  fill(out: Float32Array, rows: number): number {
    const D = this.g.sizes.featureDim;
    const K = LATENT_DIM;
    const P = this.projection;
    const offs = this.g.offsets;
    const lat = this.g.latent;
    const sources = [lat.member, lat.job, lat.skill, lat.company];
    const count = Math.min(rows, this.total - this.next);
    for (let i = 0; i < count; i++) {
      const v = this.next + i;
      let t = 3;
      while (v < offs[t]) t--;
      const z = sources[t];
      const zb = (v - offs[t]) * K;
      const o = i * D;
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += z[zb + k] * P[k * D + d];
        out[o + d] = acc + 0.3 * this.rng.normal();
      }
      // The first four values mark the node type, so a model over the merged graph can tell types apart.
      if (D >= 8) for (let k = 0; k < 4; k++) out[o + k] = k === t ? 1 : 0;
    }
    this.next += count;
    return count;
  }
}

/** Generates the marketplace into `out` (temporary folder, renamed when complete); returns the manifest. */
export async function synthMarketplace(
  o: MarketplaceOptions,
  out: string,
  opts: SynthWriteOptions = {},
): Promise<GraphManifest> {
  checkOptions(marketplaceSizes(o));
  return writeGraphDir(out, { replace: opts.replace }, async (w) => {
    opts.onProgress?.('edges', 0, 1);
    const g = generateMarketplace(o);
    opts.onProgress?.('edges', 1, 1);
    const { members, jobs, skills, companies, featureDim } = g.sizes;
    const counts = [members, jobs, skills, companies];
    const columns = g.sizes.typedFeatures ? typedFeatureColumns(featureDim) : undefined;
    const nodeTypes: ManifestNodeType[] = NODE_TYPES.map((name, t) => ({
      name,
      offset: g.offsets[t],
      count: counts[t],
      ...(columns ? { features: { ...columns[t], input: 'table' as const } } : {}),
    }));
    const edgeTypes: ManifestEdgeType[] = [];
    for (const r of g.relations) {
      edgeTypes.push(writeEdgeType(w, r, r.csr));
      // Drop each relation once written: the large ones are hundreds of MB at full scale.
      r.csr = { numRows: 0, indptr: new Uint32Array(1), indices: new Uint32Array(0) };
    }
    const {
      coldMembers,
      intentDrift,
      viewsPerMember,
      dismissalsPerMember,
      typedFeatures,
      memberContent,
      coldProfileSkills,
      ...sizes
    } = g.sizes;
    // The planted signals appear in the provenance only when on: older graphs stay byte-identical.
    const planted = {
      ...(coldMembers ? { coldMembers } : {}),
      ...(intentDrift ? { intentDrift } : {}),
      ...(viewsPerMember ? { viewsPerMember } : {}),
      ...(dismissalsPerMember ? { dismissalsPerMember } : {}),
      ...(typedFeatures ? { typedFeatures } : {}),
      ...(memberContent ? { memberContent } : {}),
      ...(Number.isFinite(coldProfileSkills) ? { coldProfileSkills } : {}),
    };
    const m = baseManifest(nodeTypes, edgeTypes, {
      generator: 'weft graph synth',
      kind: 'marketplace',
      seed: o.seed,
      ...sizes,
      ...planted,
    });
    return finishSynthGraph(
      w,
      m,
      {
        dim: columns ? columns[3].start + columns[3].width : featureDim,
        features: () =>
          columns ? new TypedMarketplaceFeatures(g, columns) : new MarketplaceFeatures(g),
        labels: g.labels,
        split: g.split,
      },
      opts,
    );
  });
}

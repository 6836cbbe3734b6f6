// Is the marketplace's planted intent drift in the bench's test pairs, and can a sequence see it?
// Ranks each test application among 20 uniform jobs by industry oracles: the member's whole history
// (what a neighbour mean sees) against its last k applications (what a sequence model can see).
import { parseArgs } from 'node:util';
import { generateMarketplace, type MarketplaceGraph } from '../../graph-store/synth-marketplace.js';
import { mrr } from '../../kernels/metrics/ranking.js';
import { Xoshiro128Float } from '../../runtime/prng.js';
import { runRecord, writeResult } from './run-record.js';

const NEGATIVES = 20;
const RECENT = [1, 2, 3] as const;

/**
 * Which members drift and to which industry: the draws of the generator's planted-signal stream
 * (stream 22, five draws a member, the drift draw skipped for cold members), replayed in the same
 * order. The generator keeps them private; a diagnosis must not change the graph it diagnoses.
 */
export function replayDrift(g: MarketplaceGraph): {
  drift: Uint8Array;
  second: Uint8Array;
  cold: Uint8Array;
} {
  const M = g.sizes.members;
  const rng = new Xoshiro128Float(g.seed, 22);
  const drift = new Uint8Array(M);
  const second = new Uint8Array(M);
  const cold = new Uint8Array(M);
  for (let m = 0; m < M; m++) {
    cold[m] = rng.next() < g.sizes.coldMembers ? 1 : 0;
    rng.next(); // cold applications
    rng.next(); // join time
    drift[m] = !cold[m] && rng.next() < g.sizes.intentDrift ? 1 : 0;
    second[m] = Math.floor(rng.next() * g.sizes.industries);
  }
  return { drift, second, cold };
}

interface Application {
  member: number;
  job: number;
  time: number;
  /** Position in the member's applications by time, and their count. */
  at: number;
  of: number;
}

/** Every application, and each job's industry: the majority of the industries its applicants looked in. */
function applications(g: MarketplaceGraph, who: ReturnType<typeof replayDrift>) {
  const rel = g.relations.find((r) => r.rel === 'applied')!;
  const { indptr, indices, timestamps } = rel.csr;
  const jobs = g.sizes.jobs;
  const jobBase = g.offsets[1];
  const votes = new Float64Array(jobs * g.sizes.industries);
  const apps: Application[] = [];
  for (let m = 0; m < g.sizes.members; m++) {
    const lo = Number(indptr[m]);
    const hi = Number(indptr[m + 1]);
    const own = g.labels[m];
    for (let e = lo; e < hi; e++) {
      const a = {
        member: m,
        job: indices[e] - jobBase,
        time: timestamps![e],
        at: e - lo,
        of: hi - lo,
      };
      apps.push(a);
      votes[a.job * g.sizes.industries + intendedIndustry(a, own, who)]++;
    }
  }
  const jobIndustry = new Int32Array(jobs).fill(-1);
  for (let j = 0; j < jobs; j++) {
    let best = 0;
    for (let i = 0; i < g.sizes.industries; i++)
      if (votes[j * g.sizes.industries + i] > best) {
        best = votes[j * g.sizes.industries + i];
        jobIndustry[j] = i;
      }
  }
  apps.sort((a, b) => a.time - b.time);
  return { apps, jobIndustry };
}

/** The industry the generator looked in for this application (graph-store/synth-marketplace.ts). */
function intendedIndustry(
  a: Application,
  own: number,
  who: ReturnType<typeof replayDrift>,
): number {
  const m = a.member;
  return who.drift[m] && who.second[m] !== own && a.at >= a.of / 2 ? who.second[m] : own;
}

type Scorer = (history: Application[], job: number, target: Application) => number;

function industryShare(history: Application[], industry: number, jobIndustry: Int32Array): number {
  if (history.length === 0) return 0;
  let n = 0;
  for (const h of history) if (jobIndustry[h.job] === industry) n++;
  return n / history.length;
}

function mrrOf(s: { pos: number[]; neg: number[] }): number | null {
  return s.pos.length > 0 ? mrr(s.pos, s.neg) : null;
}

/** Applications a job received in the `windowS` seconds before `t` (its times sorted). */
function recentCount(times: number[], t: number, windowS: number): number {
  const below = (x: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return below(t) - below(t - windowS);
}

/** Seconds from a job's newest application before `t` to `t` (1e12 when none). */
function lastGap(times: number[], t: number): number {
  let i = times.length - 1;
  while (i >= 0 && times[i] >= t) i--;
  return i >= 0 ? t - times[i] : 1e12;
}

/** Runs the diagnosis on the bench's marketplace; returns the numbers it prints. */
export function diagnose(o: { members: number; coldMembers: number; intentDrift: number }) {
  const g = generateMarketplace({ ...o, seed: 1 });
  const who = replayDrift(g);
  const { apps, jobIndustry } = applications(g, who);
  const numTest = Math.floor(apps.length * 0.1);
  const split = apps.length - numTest;
  const test = apps.slice(split);
  // Popularity before the held-out periods breaks the oracles' ties (as the popularity baseline).
  const pop = new Float64Array(g.sizes.jobs);
  for (let i = 0; i < apps.length - 2 * numTest; i++) pop[apps[i].job]++;
  const byMember = new Map<number, Application[]>();
  for (const a of apps) byMember.set(a.member, [...(byMember.get(a.member) ?? []), a]);
  const tie = (job: number) => 1e-6 * pop[job];
  const jobTimes: number[][] = Array.from({ length: g.sizes.jobs }, () => []);
  for (const a of apps) jobTimes[a.job].push(a.time);
  const ind = (job: number) => jobIndustry[job];
  const scorers: Record<string, Scorer> = {
    popularity: (_h, job) => tie(job),
    own_industry: (h, job) => (ind(job) === g.labels[h[0]?.member ?? -1] ? 1 : 0) + tie(job),
    whole_history: (h, job) => industryShare(h, ind(job), jobIndustry) + tie(job),
    // Not the member's: the job's own recent applications (a temporal signal of the target side).
    recent_job_30d: (_h, job, a) => recentCount(jobTimes[job], a.time, 30 * 86_400) + tie(job),
    // The time since the job's newest application before t (none: last).
    recent_job_gap: (_h, job, a) => -lastGap(jobTimes[job], a.time) + tie(job),
    // The bound: the industry the generator looked in for this very application.
    intended: (_h, job, a) =>
      (ind(job) === intendedIndustry(a, g.labels[a.member], who) ? 1 : 0) + tie(job),
  };
  for (const k of RECENT)
    scorers[`last_${k}`] = (h, job) => industryShare(h.slice(-k), ind(job), jobIndustry) + tie(job);
  const rng = new Xoshiro128Float(7, 1);
  const slices: Record<string, { pos: number[]; neg: number[] }[]> = {};
  const counts = {
    test: test.length,
    drifting: 0,
    target_second: 0,
    target_own: 0,
    second_seen: 0,
  };
  for (const a of test) {
    const mine = byMember.get(a.member)!;
    const history = mine.filter((h) => h.time < a.time);
    const applied = new Set(mine.map((h) => h.job));
    const negs: number[] = [];
    while (negs.length < NEGATIVES) {
      const j = Math.floor(rng.next() * g.sizes.jobs);
      if (!applied.has(j)) negs.push(j);
    }
    const own = g.labels[a.member];
    const drifting = who.drift[a.member] === 1 && who.second[a.member] !== own;
    if (drifting) {
      counts.drifting++;
      if (ind(a.job) === who.second[a.member]) counts.target_second++;
      if (ind(a.job) === own) counts.target_own++;
      if (history.some((h) => ind(h.job) === who.second[a.member])) counts.second_seen++;
    }
    const keys = ['all', drifting ? 'drifting' : 'steady'];
    for (const [name, score] of Object.entries(scorers)) {
      const byName = (slices[name] ??= [0, 1, 2].map(() => ({ pos: [], neg: [] })));
      for (const key of keys) {
        const s = byName[key === 'all' ? 0 : key === 'drifting' ? 1 : 2];
        const h = history.length > 0 ? history : [{ ...a, job: -1 }];
        s.pos.push(score(h, a.job, a));
        for (const j of negs) s.neg.push(score(h, j, a));
      }
    }
  }
  const mrrs = Object.fromEntries(
    Object.entries(slices).map(([name, [all, drifting, steady]]) => [
      name,
      { all: mrrOf(all), drifting: mrrOf(drifting), steady: mrrOf(steady) },
    ]),
  );
  return { options: o, counts, mrr: mrrs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '1000' },
      'cold-members': { type: 'string', default: '0.2' },
      'intent-drift': { type: 'string', default: '0.3' },
      out: { type: 'string' },
    },
  });
  const r = diagnose({
    members: Number(values.members),
    coldMembers: Number(values['cold-members']),
    intentDrift: Number(values['intent-drift']),
  });
  console.log(JSON.stringify(r, null, 2));
  if (values.out) writeResult(values.out, { ...runRecord(), ...r });
}

if (process.argv[1]?.endsWith('temporal-marketplace-signal.ts')) await main();

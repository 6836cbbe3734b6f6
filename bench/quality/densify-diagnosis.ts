// Why densification does not lift cold recall on the planted marketplace: for each cold member (one or
// two applications), do its `similar` members (content cosine) share its hidden industry and its jobs,
// against random members and against its top PPR members (walked before its first application)?
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { PprPush } from '../../kernels/sampling/ppr-push.js';

const K = 8;

/** Edge type id of a relation name in the graph. */
function typeOf(g: SharedGraph, rel: string): number {
  const t = g.edgeTypes.find((e) => e.rel === rel);
  if (!t) throw new Error(`no relation ${rel} in ${g.dir}`);
  return t.id;
}

/** Out-neighbours of v over one edge type, with their times. */
function out(g: SharedGraph, v: number, type: number): { u: number; t: number }[] {
  const { indptr, indices, edgeType, timestamps } = g.csr;
  const r: { u: number; t: number }[] = [];
  for (let p = indptr[v]; p < indptr[v + 1]; p++)
    if (edgeType![p] === type) r.push({ u: indices[p], t: timestamps ? timestamps[p] : 0 });
  return r;
}

/** Jobs two hops from m (first relation, then second), over edges before `before` where timed. */
function twoHop(g: SharedGraph, m: number, first: number, second: number, before: number) {
  const jobs = new Set<number>();
  for (const a of out(g, m, first))
    if (a.t < before || a.t === 0)
      for (const b of out(g, a.u, second)) if (b.t < before || b.t === 0) jobs.add(b.u);
  return jobs;
}

/**
 * Whether a cold member's last application is among the jobs its own skills reach (skill → jobs
 * requiring it) or its similar members applied to before it, and how many jobs each reaches: what
 * the similar relation adds to what the member's own profile edges already give.
 */
function lastJobReach(g: SharedGraph, m: number, apps: { u: number; t: number }[]) {
  const last = apps.reduce((a, b) => (b.t > a.t ? b : a));
  const bySkills = twoHop(g, m, typeOf(g, 'has_skill'), typeOf(g, 'rev_requires'), last.t);
  const bySimilar = twoHop(g, m, typeOf(g, 'similar'), typeOf(g, 'applied'), last.t);
  return {
    skills: bySkills.has(last.u) ? 1 : 0,
    skillJobs: bySkills.size,
    similar: bySimilar.has(last.u) ? 1 : 0,
    similarJobs: bySimilar.size,
    similarOnly: bySimilar.has(last.u) && !bySkills.has(last.u) ? 1 : 0,
  };
}

function main(g: SharedGraph): void {
  const members = g.nodeTypes.find((n) => n.name === 'member')!;
  const labels = g.labels!;
  const applied = typeOf(g, 'applied');
  const similar = typeOf(g, 'similar');
  const push = new PprPush(g.csr, 0.25, 1e-4);
  const nodes = new Int32Array(64);
  const scores = new Float64Array(64);
  const tally = { cold: 0, simIndustry: 0, simN: 0, simJobs: 0, pprIndustry: 0, pprN: 0 };
  // Cold members with similar edges at all, and with some drawn before their last application.
  const reach = { densified: 0, visibleAtLast: 0 };
  const lastJob = { skills: 0, skillJobs: 0, similar: 0, similarJobs: 0, similarOnly: 0 };
  const rand = { industry: 0, jobs: 0, n: 0 };
  const jobsOf = (m: number) => new Set(out(g, m, applied).map((e) => e.u));
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) % members.count;
  for (let m = members.offset; m < members.offset + members.count; m++) {
    const apps = out(g, m, applied);
    if (apps.length === 0 || apps.length >= 3) continue;
    tally.cold++;
    const mine = new Set(apps.map((e) => e.u));
    const shares = (u: number) => [...jobsOf(u)].some((j) => mine.has(j));
    const last = Math.max(...apps.map((e) => e.t));
    const sims = out(g, m, similar);
    if (sims.length > 0) reach.densified++;
    if (sims.some((e) => e.t < last)) reach.visibleAtLast++;
    const r = lastJobReach(g, m, apps);
    for (const k of Object.keys(lastJob) as (keyof typeof lastJob)[]) lastJob[k] += r[k];
    for (const { u } of sims) {
      tally.simN++;
      if (labels[u] === labels[m]) tally.simIndustry++;
      if (shares(u)) tally.simJobs++;
    }
    for (let q = 0; q < K; q++) {
      const u = members.offset + next();
      rand.n++;
      if (labels[u] === labels[m]) rand.industry++;
      if (shares(u)) rand.jobs++;
    }
    // PPR members before the cold member's last application (the one a test pair would hold out).
    const c = push.topK(m, 64, nodes, scores, last);
    let taken = 0;
    for (let q = 0; q < c && taken < K; q++) {
      const u = nodes[q];
      if (u < members.offset || u >= members.offset + members.count) continue;
      taken++;
      tally.pprN++;
      if (labels[u] === labels[m]) tally.pprIndustry++;
    }
  }
  printReport(tally, reach, lastJob, rand);
}

type Counts = Record<string, number>;

/** The shares, as printed JSON. */
function printReport(tally: Counts, reach: Counts, lastJob: Counts, rand: Counts): void {
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
  console.log(
    JSON.stringify(
      {
        coldMembers: tally.cold,
        coldWithSimilarEdges: pct(reach.densified, tally.cold),
        coldWithSimilarBeforeLastApplication: pct(reach.visibleAtLast, tally.cold),
        lastJobReachedBySkills: pct(lastJob.skills, tally.cold),
        jobsReachedBySkills: Math.round(lastJob.skillJobs / tally.cold),
        lastJobReachedBySimilar: pct(lastJob.similar, tally.cold),
        jobsReachedBySimilar: Math.round(lastJob.similarJobs / tally.cold),
        lastJobReachedOnlyBySimilar: pct(lastJob.similarOnly, tally.cold),
        similarEdgesOfCold: tally.simN,
        similarSameIndustry: pct(tally.simIndustry, tally.simN),
        similarSharesAJob: pct(tally.simJobs, tally.simN),
        randomSameIndustry: pct(rand.industry, rand.n),
        randomSharesAJob: pct(rand.jobs, rand.n),
        pprMembersSameIndustry: pct(tally.pprIndustry, tally.pprN),
        pprMembers: tally.pprN,
      },
      null,
      2,
    ),
  );
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: densify-diagnosis.ts DENSIFIED_GRAPH_DIR');
main(await openGraph(dir));

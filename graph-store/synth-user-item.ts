// A user–item rating log with the shape that makes public rating data hard (MovieLens and the like):
// heavy-tailed item popularity, users who arrive over time and rate in one burst, so most held-out
// ratings come from users with no earlier ones. Written as the tables a user would bring.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mulberry32 } from '../runtime/prng.js';

export interface UserItemOptions {
  users: number;
  items: number;
  /** Hidden tastes; an item belongs to one, a user prefers one. */
  genres?: number;
  /** Mean ratings per user (geometric spread, at least 1). */
  ratingsPerUser?: number;
  /** Share of a user's ratings made later than the arrival burst, at a uniform later time. */
  returnShare?: number;
  /** Chance that a user's stated interest (a feature) is the hidden taste; else a random genre. */
  featureTruth?: number;
  /** Chance that a rating follows the user's taste (popularity within the genre); else popularity. */
  tasteShare?: number;
  seed: number;
}

/** The generated log: ratings ordered by time, and the features of every user and item. */
export interface UserItemData {
  genres: number;
  user: Int32Array;
  item: Int32Array;
  rating: Uint8Array;
  /** Unix seconds, ascending. */
  time: Float64Array;
  /** [users × (genres + 1)]: stated interest one-hot, then age scaled to [0, 1]. */
  userFeatures: Float32Array;
  /** [items × genres]: genre one-hot. */
  itemFeatures: Float32Array;
}

const START_S = 1_600_000_000;
const SPAN_S = 2 * 365 * 86_400;
/** A user's arrival burst lasts this share of the whole span. */
const BURST_SHARE = 0.004;

function defaults(o: UserItemOptions): Required<UserItemOptions> {
  return {
    genres: 8,
    ratingsPerUser: 20,
    returnShare: 0.06,
    featureTruth: 0.7,
    tasteShare: 0.6,
    ...o,
  };
}

/** A sampler over `ids` by weight: cumulative weights searched by bisection. */
class WeightedDraw {
  private readonly cum: Float64Array;
  constructor(
    private readonly ids: Int32Array,
    weights: Float64Array,
  ) {
    this.cum = new Float64Array(ids.length);
    let s = 0;
    for (let k = 0; k < ids.length; k++) this.cum[k] = s += weights[ids[k]];
    for (let k = 0; k < ids.length; k++) this.cum[k] /= s;
  }
  draw(u: number): number {
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return this.ids[lo];
  }
}

/** Items: a genre each and a Zipf(1) popularity weight of a random rank; one draw per genre. */
function makeItems(o: Required<UserItemOptions>, rng: Mulberry32) {
  const genre = Int32Array.from({ length: o.items }, () => rng.int(o.genres));
  const rank = Int32Array.from({ length: o.items }, (_, i) => i);
  for (let i = rank.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rank[i], rank[j]] = [rank[j], rank[i]];
  }
  const weight = Float64Array.from(rank, (r) => 1 / (r + 1));
  const all = new WeightedDraw(
    Int32Array.from({ length: o.items }, (_, i) => i),
    weight,
  );
  const byGenre = Array.from({ length: o.genres }, (_, g) => {
    const ids = Int32Array.from(genre.keys()).filter((i) => genre[i] === g);
    return ids.length > 0 ? new WeightedDraw(ids, weight) : all;
  });
  return { genre, all, byGenre };
}

/** One user's ratings: a burst after arrival, a few later; items by taste or by popularity. */
function rateAsUser(
  o: Required<UserItemOptions>,
  rng: Mulberry32,
  taste: number,
  items: ReturnType<typeof makeItems>,
  out: { item: number; rating: number; time: number }[],
): void {
  const arrival = rng.next() * SPAN_S;
  // Geometric count with the given mean, at least one rating.
  const count = 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(1 - 1 / o.ratingsPerUser));
  const seen = new Set<number>();
  for (let k = 0; k < count && seen.size < o.items; k++) {
    const later = rng.next() < o.returnShare;
    const time = later
      ? arrival + rng.next() * (SPAN_S - arrival)
      : Math.min(SPAN_S, arrival + rng.next() * BURST_SHARE * SPAN_S);
    const liked = rng.next() < o.tasteShare;
    const item = (liked ? items.byGenre[taste] : items.all).draw(rng.next());
    if (seen.has(item)) continue;
    seen.add(item);
    const match = items.genre[item] === taste;
    const rating = Math.min(5, Math.max(1, Math.round((match ? 4 : 3) + 1.2 * (rng.next() - 0.5))));
    out.push({ item, rating, time: START_S + Math.floor(time) });
  }
}

/** Generates the log: deterministic for the options (seed included). */
export function generateUserItem(opts: UserItemOptions): UserItemData {
  const o = defaults(opts);
  const rng = new Mulberry32(o.seed);
  const items = makeItems(o, rng);
  const G = o.genres;
  const userFeatures = new Float32Array(o.users * (G + 1));
  const rows: { user: number; item: number; rating: number; time: number }[] = [];
  const mine: { item: number; rating: number; time: number }[] = [];
  for (let u = 0; u < o.users; u++) {
    const taste = rng.int(G);
    const stated = rng.next() < o.featureTruth ? taste : rng.int(G);
    userFeatures[u * (G + 1) + stated] = 1;
    userFeatures[u * (G + 1) + G] = Math.round(18 + rng.next() * 50) / 70;
    mine.length = 0;
    rateAsUser(o, rng, taste, items, mine);
    for (const r of mine) rows.push({ user: u, ...r });
  }
  rows.sort((a, b) => a.time - b.time || a.user - b.user || a.item - b.item);
  const itemFeatures = new Float32Array(o.items * G);
  for (let i = 0; i < o.items; i++) itemFeatures[i * G + items.genre[i]] = 1;
  return {
    genres: G,
    user: Int32Array.from(rows, (r) => r.user),
    item: Int32Array.from(rows, (r) => r.item),
    rating: Uint8Array.from(rows, (r) => r.rating),
    time: Float64Array.from(rows, (r) => r.time),
    userFeatures,
    itemFeatures,
  };
}

/**
 * Share of the newest `heldOutShare` of ratings whose user has no rating before them: the cold
 * share a time split meets.
 */
export function coldShare(d: Pick<UserItemData, 'user'>, heldOutShare: number): number {
  const n = d.user.length;
  const firstHeld = n - Math.floor(n * heldOutShare);
  const warm = new Set<number>();
  for (let k = 0; k < firstHeld; k++) warm.add(d.user[k]);
  let cold = 0;
  for (let k = firstHeld; k < n; k++) if (!warm.has(d.user[k])) cold++;
  return n > firstHeld ? cold / (n - firstHeld) : 0;
}

/** One CSV of features per row: `id,<names…>`. */
function featureCsv(prefix: string, names: string[], x: Float32Array, rows: number): string {
  const d = names.length;
  const lines = [`id,${names.join(',')}`];
  for (let r = 0; r < rows; r++) {
    const cells = Array.from(x.subarray(r * d, r * d + d), (v) => String(v));
    lines.push(`${prefix}${r},${cells.join(',')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Writes `ratings.csv` (`user,item,rating,timestamp`), `users.csv` and `items.csv` (`id` then
 * features) into `dir`; ids are `u<n>` and `i<n>`. Returns the file paths.
 */
export function writeUserItemTables(
  d: UserItemData,
  dir: string,
): { ratings: string; users: string; items: string } {
  mkdirSync(dir, { recursive: true });
  const G = d.genres;
  const numUsers = d.userFeatures.length / (G + 1);
  const numItems = d.itemFeatures.length / G;
  const genres = Array.from({ length: G }, (_, g) => `genre${g}`);
  const lines = ['user,item,rating,timestamp'];
  for (let k = 0; k < d.user.length; k++)
    lines.push(`u${d.user[k]},i${d.item[k]},${d.rating[k]},${d.time[k]}`);
  const out = {
    ratings: join(dir, 'ratings.csv'),
    users: join(dir, 'users.csv'),
    items: join(dir, 'items.csv'),
  };
  writeFileSync(out.ratings, lines.join('\n') + '\n');
  writeFileSync(
    out.users,
    featureCsv('u', [...genres.map((g) => `likes_${g}`), 'age'], d.userFeatures, numUsers),
  );
  writeFileSync(out.items, featureCsv('i', genres, d.itemFeatures, numItems));
  return out;
}

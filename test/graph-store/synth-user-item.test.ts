// The generated user–item log has the shape that makes public rating data hard: about 86 % of the
// newest 10 % of ratings from users with no earlier rating, heavy-tailed item popularity, ratings
// in time order, features that carry taste, and tables the typed build reads.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  coldShare,
  generateUserItem,
  writeUserItemTables,
} from '../../graph-store/synth-user-item.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('weft-user-item-');
afterAll(tmp.cleanup);

const data = generateUserItem({ users: 3000, items: 800, seed: 3 });

describe('generated user–item log', () => {
  it('holds out mostly cold users in its newest 10 %', () => {
    const cold = coldShare(data, 0.1);
    expect(cold).toBeGreaterThan(0.8);
    expect(cold).toBeLessThan(0.92);
    // Its times ascend, so a time split is exactly "the newest share".
    for (let k = 1; k < data.time.length; k++)
      expect(data.time[k]).toBeGreaterThanOrEqual(data.time[k - 1]);
  });

  it('has heavy-tailed item popularity and ratings from 1 to 5', () => {
    const counts = new Array(800).fill(0);
    for (const i of data.item) counts[i]++;
    counts.sort((a, b) => b - a);
    const top = counts.slice(0, 8).reduce((s, c) => s + c, 0);
    // The top 1 % of items take well over 1 % of ratings (a uniform law would give 1 %).
    expect(top / data.item.length).toBeGreaterThan(0.1);
    expect(Math.min(...data.rating)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...data.rating)).toBeLessThanOrEqual(5);
  });

  it('is the same for the same seed and different for another', () => {
    const again = generateUserItem({ users: 3000, items: 800, seed: 3 });
    expect(Array.from(again.item.subarray(0, 50))).toEqual(Array.from(data.item.subarray(0, 50)));
    const other = generateUserItem({ users: 3000, items: 800, seed: 4 });
    expect(Array.from(other.item.subarray(0, 50))).not.toEqual(
      Array.from(data.item.subarray(0, 50)),
    );
  });

  it('writes the tables a user would bring', () => {
    const small = generateUserItem({ users: 20, items: 10, genres: 3, seed: 1 });
    const files = writeUserItemTables(small, tmp.dir);
    const ratings = readFileSync(files.ratings, 'utf8').trim().split('\n');
    expect(ratings[0]).toBe('user,item,rating,timestamp');
    expect(ratings.length - 1).toBe(small.user.length);
    expect(ratings[1]).toBe(
      `u${small.user[0]},i${small.item[0]},${small.rating[0]},${small.time[0]}`,
    );
    const users = readFileSync(files.users, 'utf8').trim().split('\n');
    expect(users[0]).toBe('id,likes_genre0,likes_genre1,likes_genre2,age');
    expect(users).toHaveLength(21);
    const items = readFileSync(files.items, 'utf8').trim().split('\n');
    expect(items[0]).toBe('id,genre0,genre1,genre2');
    // Each item's genre one-hot has exactly one 1.
    for (const line of items.slice(1))
      expect(
        line
          .split(',')
          .slice(1)
          .filter((c) => c === '1'),
      ).toHaveLength(1);
  });
});

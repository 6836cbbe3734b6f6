// The user–item bench's rating-log reader: MovieLens layouts (tab, `::`, comma with a header) read
// as they are; a bad row is refused with its file:line and column.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRatings } from '../../../bench/quality/ratings-csv.js';
import { InputError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-ratings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let k = 0;
function file(text: string): string {
  const p = join(tmp, `r${k++}.csv`);
  writeFileSync(p, text);
  return p;
}

async function refusal(text: string): Promise<InputError> {
  const f = file(text);
  const e = await readRatings(f).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InputError);
  expect((e as InputError).file).toBe(f);
  return e as InputError;
}

describe('rating log reader', () => {
  it('reads u.data (tab), ratings.dat (::) and a CSV with a header', async () => {
    const tab = await readRatings(file('196\t242\t3\t881250949\n186\t302\t3\t891717742\n'));
    expect(tab.header).toBe(false);
    expect(tab.user).toEqual(['196', '186']);
    expect(tab.item).toEqual(['242', '302']);
    expect(Array.from(tab.time)).toEqual([881250949, 891717742]);
    const dat = await readRatings(file('1::1193::5::978300760\n'));
    expect(Array.from(dat.rating)).toEqual([5]);
    const csv = await readRatings(file('userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n\n'));
    expect(csv.header).toBe(true);
    expect(csv.item).toEqual(['31']);
    expect(Array.from(csv.rating)).toEqual([2.5]);
  });

  it('names the file, line and column of a bad row', async () => {
    const short = await refusal('u1,i1,5,100\nu2,i2,5\n');
    expect(short.line).toBe(2);
    expect(short.message).toContain('expected 4 cells');
    const time = await refusal('user,item,rating,timestamp\nu1,i1,4,100\nu2,i2,4,yesterday\n');
    expect(time.line).toBe(3);
    expect(time.field).toBe('timestamp');
    expect(time.message).toMatch(/:3/);
    const rating = await refusal('u1,i1,x,100\n');
    expect(rating.line).toBe(1);
    expect(rating.field).toBe('rating');
    const id = await refusal('u1,i1,4,100\n,i2,4,101\n');
    expect([id.line, id.field]).toEqual([2, 'user']);
  });

  it('refuses an empty log', async () => {
    const e = await refusal('user,item,rating,timestamp\n');
    expect(e.message).toContain('no ratings');
  });
});

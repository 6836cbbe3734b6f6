// Addresses and subjects: subjectFor/parseSubject and addressKey round-trip, pools map to queue groups,
// and anything that would break a subject (dots, wildcards, spaces) is refused with the field named.
import { describe, expect, it } from 'vitest';
import {
  addressKey,
  checkAddress,
  checkVerb,
  parseAddressKey,
  parseSubject,
  queueGroupFor,
  subjectFor,
  subjectWildcard,
  type Address,
} from '../../runtime/address.js';
import { ConfigError } from '../../runtime/errors.js';

describe('address', () => {
  it('builds weft.<job>.<role>.<index>.<verb> and parses it back', () => {
    expect(subjectFor({ job: 'j1', role: 'trainer', index: 3 }, 'pull')).toBe(
      'weft.j1.trainer.3.pull',
    );
    expect(subjectFor({ job: 'j1', role: 'sampler', index: '*' }, 'sample')).toBe(
      'weft.j1.sampler.any.sample',
    );
    expect(subjectWildcard({ job: 'j1', role: 'ps', index: 0 })).toBe('weft.j1.ps.0.*');
    expect(queueGroupFor('j1', 'sampler', '*')).toBe('weft.j1.sampler.any');
    const chars = 'abcxyzABC019_-';
    for (let seed = 1; seed <= 300; seed++) {
      const word = (n: number): string =>
        'a' +
        Array.from({ length: n }, (_, i) => chars[(seed * 31 + i * 7) % chars.length]).join('');
      const address: Address = {
        job: word(seed % 7),
        role: word(seed % 5),
        index: seed % 3 === 0 ? '*' : seed % 3 === 1 ? seed : `pool${seed}`,
      };
      checkAddress(address);
      const parsed = parseSubject(subjectFor(address, 'v' + seed));
      expect(parsed).toEqual({ address, verb: 'v' + seed });
      expect(parseAddressKey(addressKey(address))).toEqual(address);
    }
    expect(parseSubject('other.a.b.c.d')).toBeUndefined();
    expect(parseSubject('weft.a.b.c')).toBeUndefined();
  });

  it('refuses parts that would break a subject, naming the field', () => {
    const bad: [Address, string][] = [
      [{ job: 'a.b', role: 'r', index: 0 }, 'address.job'],
      [{ job: 'j', role: '*', index: 0 }, 'address.role'],
      [{ job: 'j', role: 'r>', index: 0 }, 'address.role'],
      [{ job: 'j', role: 'r', index: -1 }, 'address.index'],
      [{ job: 'j', role: 'r', index: 1.5 }, 'address.index'],
      [{ job: 'j', role: 'r', index: 'a b' }, 'address.index'],
      [{ job: 'j', role: 'r', index: 'any' }, 'address.index'],
      [{ job: '', role: 'r', index: 0 }, 'address.job'],
      [{ job: '_sys', role: 'r', index: 0 }, 'address.job'],
    ];
    for (const [address, field] of bad) {
      let thrown: unknown;
      try {
        checkAddress(address);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(address)).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).field).toBe(field);
    }
    expect(() => checkVerb('ok-verb_1')).not.toThrow();
    for (const verb of ['', 'a.b', '*', '>', '_hidden', 'sp ace'])
      expect(() => checkVerb(verb)).toThrow(ConfigError);
  });
});

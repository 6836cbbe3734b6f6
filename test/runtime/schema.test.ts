// The schema helper: each constructor accepts what it should and rejects the rest with the field's path,
// checked against a hand-written predicate over many random values.
import { describe, expect, it } from 'vitest';
import { matches, parse, s, SchemaError, schemaIssues, type Infer } from '../../runtime/schema.js';

const Batch = s.object({
  step: s.int({ min: 0 }),
  lr: s.number({ finite: true, min: 0 }),
  mode: s.enum(['train', 'eval'] as const),
  ids: s.typedArray('int32'),
  feats: s.typedArray('float32', { length: 4 }),
  tags: s.array(s.string({ maxLength: 8 }), { maxLength: 3 }),
  note: s.optional(s.string()),
  nested: s.object({ ok: s.boolean(), when: s.nullable(s.number()) }),
});
type Batch = Infer<typeof Batch>;

function valid(): Batch {
  return {
    step: 3,
    lr: 0.01,
    mode: 'train',
    ids: new Int32Array([1, 2]),
    feats: new Float32Array(4),
    tags: ['a', 'b'],
    nested: { ok: true, when: null },
  };
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
}

describe('schema', () => {
  it('accepts a valid message and infers its type', () => {
    const batch: Batch = parse(Batch, valid());
    expect(batch.step).toBe(3);
    expect(matches(Batch, { ...valid(), note: 'fine' })).toBe(true);
  });

  it('names the path of every bad field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid(), step: 1.5 }, 'step'],
      [{ ...valid(), step: -1 }, 'step'],
      [{ ...valid(), lr: Infinity }, 'lr'],
      [{ ...valid(), mode: 'test' }, 'mode'],
      [{ ...valid(), ids: new Float32Array(2) }, 'ids'],
      [{ ...valid(), ids: [1, 2] }, 'ids'],
      [{ ...valid(), feats: new Float32Array(3) }, 'feats'],
      [{ ...valid(), tags: ['ok', 'much too long'] }, 'tags[1]'],
      [{ ...valid(), tags: ['a', 'b', 'c', 'd'] }, 'tags'],
      [{ ...valid(), note: 5 }, 'note'],
      [{ ...valid(), nested: { ok: 'yes', when: null } }, 'nested.ok'],
      [{ ...valid(), nested: { ok: true } }, 'nested.when'],
      [{ ...valid(), surprise: 1 }, 'surprise'],
    ];
    for (const [value, path] of cases) {
      const issues = schemaIssues(Batch, value);
      expect(
        issues.map((i) => i.path),
        path,
      ).toContain(path);
      let thrown: unknown;
      try {
        parse(Batch, value, 'batch');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SchemaError);
      expect((thrown as SchemaError).field).toBe(issues[0].path);
    }
    const { step: _step, ...missing } = valid();
    expect(schemaIssues(Batch, missing)[0]).toEqual({ path: 'step', message: 'is required' });
  });

  it('rejects non-objects for objects, and arrays and typed arrays are not objects', () => {
    for (const bad of [null, undefined, 3, 'x', [], new Uint8Array(1)]) {
      expect(matches(s.object({}), bad)).toBe(false);
    }
    expect(matches(s.object({}, { allowUnknownKeys: true }), { anything: 1 })).toBe(true);
    expect(matches(s.record(s.int()), { a: 1, b: 2 })).toBe(true);
    expect(schemaIssues(s.record(s.int()), { a: 1, b: 'x' })[0].path).toBe('b');
  });

  it('matches unions, literals, bigints and empty messages', () => {
    const U = s.union(s.literal('none'), s.object({ k: s.int() }));
    expect(matches(U, 'none')).toBe(true);
    expect(matches(U, { k: 2 })).toBe(true);
    expect(matches(U, { k: 'x' })).toBe(false);
    expect(matches(s.bigint(), 5n)).toBe(true);
    expect(matches(s.bigint(), 5)).toBe(false);
    expect(matches(s.empty(), undefined)).toBe(true);
    expect(matches(s.empty(), {})).toBe(true);
    expect(matches(s.empty(), { a: 1 })).toBe(false);
  });

  it('agrees with a hand-written predicate on random values (500 seeds)', () => {
    const Point = s.object({
      x: s.number({ finite: true }),
      y: s.int({ min: -10, max: 10 }),
      label: s.optional(s.enum(['a', 'b'] as const)),
    });
    const reference = (v: unknown): boolean => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      if (Object.keys(o).some((k) => !['x', 'y', 'label'].includes(k))) return false;
      if (typeof o.x !== 'number' || !Number.isFinite(o.x)) return false;
      if (typeof o.y !== 'number' || !Number.isInteger(o.y) || o.y < -10 || o.y > 10) return false;
      if (o.label !== undefined && o.label !== 'a' && o.label !== 'b') return false;
      return true;
    };
    const atoms = [
      0,
      1.5,
      -3,
      11,
      -11,
      NaN,
      Infinity,
      'a',
      'b',
      'c',
      null,
      undefined,
      true,
      [],
      {},
    ];
    for (let seed = 1; seed <= 500; seed++) {
      const next = rng(seed);
      const pick = (): unknown => atoms[Math.floor(next() * atoms.length)];
      const value: Record<string, unknown> = {};
      if (next() < 0.9) value.x = pick();
      if (next() < 0.9) value.y = pick();
      if (next() < 0.5) value.label = pick();
      if (next() < 0.1) value.z = pick();
      expect(matches(Point, value), JSON.stringify(value)).toBe(reference(value));
    }
  });

  it('stops listing array items after a few bad ones', () => {
    const issues = schemaIssues(
      s.array(s.int()),
      Array.from({ length: 1000 }, () => 'x'),
    );
    expect(issues.length).toBeLessThanOrEqual(8);
    expect(issues[0].path).toBe('[0]');
  });
});

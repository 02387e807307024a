import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type Level } from '../../src/plan/schema.js';
import { GRADE_RANK } from '../../src/scoring/rules.js';
import { gradeTree, gradeUnit, type ScoreInput, type UnitInput, type YearInput } from '../../src/scoring/index.js';
import { plan, subItems } from './helpers.js';

const ITEMS: Record<Level, Array<{ code: string; points: number }>> = Object.fromEntries(LEVELS.map((l) => [l, subItems(l)])) as Record<
  Level,
  Array<{ code: string; points: number }>
>;

/** A random street tree: communities with compounds, plus buildings, districts and social orgs. */
const treeShape = fc.record({
  communities: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
  buildings: fc.integer({ min: 0, max: 3 }),
  districts: fc.integer({ min: 0, max: 3 }),
  orgs: fc.integer({ min: 0, max: 3 }),
});

function buildUnits(shape: { communities: number[]; buildings: number; districts: number; orgs: number }): UnitInput[] {
  const units: UnitInput[] = [{ id: 1, name: '街道', level: 'street', parentId: null }];
  let id = 2;
  shape.communities.forEach((compounds, ci) => {
    const cid = id++;
    units.push({ id: cid, name: `社区${ci}`, level: 'community', parentId: 1 });
    for (let k = 0; k < compounds; k++) units.push({ id: id++, name: `小区${ci}-${k}`, level: 'compound', parentId: cid });
  });
  for (const [level, n] of [
    ['building', shape.buildings],
    ['district', shape.districts],
    ['social_org', shape.orgs],
  ] as const) {
    for (let k = 0; k < n; k++) units.push({ id: id++, name: `${level}${k}`, level, parentId: 1 });
  }
  return units;
}

/** Per unit: a quality (share of the maximum, in 40ths) and per sub-item a small shortfall or no entry. */
const unitScores = fc.record({
  quality: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 }, { arbitrary: fc.integer({ min: 36, max: 40 }), weight: 4 }),
  shortfalls: fc.array(fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined, freq: 40 }), { minLength: 12, maxLength: 12 }),
  vetoed: fc.boolean(),
});

/** A year of data: a tree with a latest entry (or none) for every sub-item, and a few vetoes. */
const yearData = treeShape.chain((shape) => {
  const units = buildUnits(shape);
  return fc.array(unitScores, { minLength: units.length, maxLength: units.length }).map((perUnit): YearInput => {
    const scores: ScoreInput[] = [];
    units.forEach((u, i) => {
      const { quality, shortfalls } = perUnit[i]!;
      ITEMS[u.level].forEach((item, k) => {
        const shortfall = shortfalls[k];
        if (shortfall === undefined) return;
        const share = Math.max(0, quality - shortfall) / 40;
        scores.push({ unitId: u.id, itemCode: item.code, points: Math.round(share * item.points * 2) / 2 });
      });
    });
    const vetoes = units.filter((_, i) => perUnit[i]!.vetoed && i % 4 === 0).map((u) => ({ unitId: u.id, reason: 'veto' }));
    return { units, scores, vetoes };
  });
});

const gradesOf = (input: YearInput) => new Map(gradeTree(plan, input).units.map((u) => [u.id, { grade: u.grade, totalHalf: u.totalHalf }]));

describe('properties', () => {
  it('the generated years cover every grade at every level that has sub-unit conditions', () => {
    const seen = new Set<string>();
    for (const input of fc.sample(yearData, { numRuns: 300, seed: 42 })) {
      for (const u of gradeTree(plan, input).units) seen.add(`${u.level}:${u.grade}`);
    }
    for (const level of ['street', 'community', 'compound'] as const) {
      for (const grade of ['none', 'standard', 'demonstration'] as const) expect(seen, `${level}:${grade}`).toContain(`${level}:${grade}`);
    }
  });

  it('the total never exceeds the maximum (100), whatever is entered', () => {
    const anyPoints = fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -50, max: 500 }), fc.constantFrom(0, 0.5, 10, 20, 40, 1e9));
    fc.assert(
      fc.property(
        fc.constantFrom(...LEVELS),
        fc.array(fc.tuple(fc.nat(20), anyPoints), { maxLength: 40 }),
        (level, entries) => {
          const items = ITEMS[level];
          const scores = entries.map(([k, points], seq) => ({ itemCode: items[k % items.length]!.code, points, seq }));
          const d = gradeUnit(plan, { name: 'u', level, scores, vetoReasons: [], subUnits: [] });
          expect(d.total).toBeLessThanOrEqual(100);
          expect(d.total).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(d.total * 2)).toBe(true);
          for (const i of d.items) expect(i.points).toBeLessThanOrEqual(i.max);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('raising any sub-item never lowers any grade in the tree', () => {
    fc.assert(
      fc.property(yearData, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 40 }), (input, unitPick, itemPick, raiseHalf) => {
        const unit = input.units[unitPick % input.units.length]!;
        const items = ITEMS[unit.level];
        const item = items[itemPick % items.length]!;
        const existing = input.scores.find((s) => s.unitId === unit.id && s.itemCode === item.code);
        const raised = Math.min(item.points, (existing?.points ?? 0) + raiseHalf / 2);
        const scores = [...input.scores.filter((s) => s !== existing), { unitId: unit.id, itemCode: item.code, points: raised }];
        const before = gradesOf(input);
        const after = gradesOf({ ...input, scores });
        for (const [id, b] of before) {
          const a = after.get(id)!;
          expect(GRADE_RANK[a.grade], `unit ${id}`).toBeGreaterThanOrEqual(GRADE_RANK[b.grade]);
          if (id === unit.id) expect(a.totalHalf).toBeGreaterThanOrEqual(b.totalHalf);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('grading is independent of the order of entry (latest entry by id wins, in any arrival order)', () => {
    const withHistory = yearData.chain((input) =>
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 40 })), { maxLength: 30 })
        .map((extra) => {
          // Superseded entries get lower ids than the entries that replaced them.
          const base = input.scores.map((s, i) => ({ ...s, seq: 1000 + i }));
          const superseded = extra
            .filter(() => base.length > 0)
            .map(([pick, f], j) => {
              const s = base[pick % base.length]!;
              const max = ITEMS[input.units.find((u) => u.id === s.unitId)!.level].find((i) => i.code === s.itemCode)!.points;
              return { ...s, points: Math.round((f / 40) * max * 2) / 2, seq: j };
            });
          return { input: { ...input, scores: [...base, ...superseded] }, latest: base };
        })
        .chain(({ input, latest }) => fc.shuffledSubarray(input.scores, { minLength: input.scores.length }).map((shuffled) => ({ input, latest, shuffled }))),
    );
    fc.assert(
      fc.property(withHistory, ({ input, latest, shuffled }) => {
        const expected = gradesOf({ ...input, scores: latest });
        expect(gradesOf({ ...input, scores: shuffled })).toEqual(expected);
        expect(gradesOf({ ...input, scores: [...shuffled].reverse(), units: [...input.units].reverse() })).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('gradeTree and gradeUnit agree for every unit', () => {
    fc.assert(
      fc.property(yearData, (input) => {
        const tree = gradeTree(plan, input);
        for (const u of tree.units) {
          const subUnits = tree.descendants(u.id).map((d) => ({ name: d.name, level: d.level, total: d.total, grade: d.grade }));
          const alone = gradeUnit(plan, {
            name: u.name,
            level: u.level,
            scores: input.scores.filter((s) => s.unitId === u.id),
            vetoReasons: input.vetoes.filter((v) => v.unitId === u.id).map((v) => v.reason),
            subUnits,
          });
          expect(alone.grade).toBe(u.grade);
          expect(alone.totalHalf).toBe(u.totalHalf);
        }
      }),
      { numRuns: 100 },
    );
  });
});

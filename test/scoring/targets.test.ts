import { describe, expect, it } from 'vitest';
import type { Grade, Level, Plan, TargetOverride } from '../../src/plan/schema.js';
import { LEVELS } from '../../src/plan/schema.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { resolveTargetOverride } from '../../src/plan/target-overrides.js';
import {
  endOfMonth,
  milestoneDate,
  programmeStart,
  targetProgress,
  type MilestoneProgress,
  type TargetProgress,
  type UnitYearGrade,
} from '../../src/scoring/index.js';
import { plan } from './helpers.js';

const UNITS: Record<Level, number> = { street: 1, community: 12, compound: 70, building: 3, district: 3, social_org: 4 };

type Held = Partial<Record<Level, { standard?: number; demonstration?: number }>>;

/**
 * Per-unit grades for one year: of each level's units (ids level·1000 + k, the same units
 * every year), the first `demonstration` are 示范型, the next up to `standard` (which includes
 * the demonstration ones) 标准型, the rest 未达标.
 */
function grades(held: Held, units: Record<Level, number> = UNITS): UnitYearGrade[] {
  const out: UnitYearGrade[] = [];
  LEVELS.forEach((level, li) => {
    const h = held[level] ?? {};
    const demo = h.demonstration ?? 0;
    const std = h.standard ?? demo;
    for (let k = 0; k < units[level]; k++) {
      const grade: Grade = k < demo ? 'demonstration' : k < std ? 'standard' : 'none';
      out.push({ id: li * 1000 + k, level, grade });
    }
  });
  return out;
}

/** Everything the 2021-06 milestone asks for, except the 力争 demonstration street. */
const JUNE_2021_MET: Held = {
  street: { standard: 1 },
  community: { standard: 12, demonstration: 6 },
  compound: { standard: 70, demonstration: 33 },
  building: { standard: 3, demonstration: 1 },
  district: { standard: 3, demonstration: 1 },
  social_org: { standard: 2, demonstration: 1 },
};

function progress(at: string, years: Record<number, Held>, options: { firstYear?: number; units?: Record<Level, number>; overrides?: TargetOverride[]; plan?: Plan } = {}): TargetProgress {
  const units = options.units ?? UNITS;
  return targetProgress(options.plan ?? plan, {
    firstYear: options.firstYear ?? 2021,
    at,
    grades: new Map(Object.entries(years).map(([y, h]) => [Number(y), grades(h, units)])),
    units,
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
}

function milestone(p: TargetProgress, id: string): MilestoneProgress {
  const m = p.milestones.find((x) => x.id === id);
  if (!m) throw new Error(`no milestone ${id}`);
  return m;
}

function requirement(m: MilestoneProgress, text: string) {
  const r = m.requirements.find((x) => x.text === text);
  if (!r) throw new Error(`no requirement ${text} in ${m.id}`);
  return r;
}

describe('milestone dates', () => {
  it('are the last day of the milestone month (「到2021年2月」 = by 28 February), counted from the programme first year', () => {
    expect(plan.milestones.map((m) => milestoneDate(m.due, 2021))).toEqual(['2021-02-28', '2021-06-30', '2022-12-31', '2023-12-31']);
    expect(plan.milestones.map((m) => milestoneDate(m.due, 2024))[0]).toBe('2024-02-29');
    expect(endOfMonth(2023, 2)).toBe('2023-02-28');
  });

  it('start from the first phase (规划部署阶段, October before the first year)', () => {
    expect(programmeStart(plan, 2021)).toBe('2020-10-01');
  });
});

describe('target progress', () => {
  it('the next measurable milestone decides; 「力争创建示范型街道」 (力争 = stretch) does not count against being on track', () => {
    const p = progress('2021-05-01', { 2021: JUNE_2021_MET });
    expect(p.current).toBe('y1-06');
    expect(p.onTrack).toBe(true);
    const june = milestone(p, 'y1-06');
    expect(june).toMatchObject({ state: 'current', asOfYear: 2021, met: true, onTrack: true });
    expect(requirement(june, '力争创建示范型街道')).toMatchObject({ stretch: true, met: false, status: 'behind' });
    expect(requirement(june, '建成示范型楼宇、商圈2个')).toMatchObject({ required: 2, reached: 2, met: true, status: 'met' });
    expect(milestone(p, 'y1-02')).toMatchObject({ state: 'past', requirements: [], onTrack: null });
  });

  // 「标准型社区、小区达100%」: every unit of the level in scope now; 示范型 units count as 标准型
  // (「在达到标准型…评价基础上」).
  it('「达100%」 requires every unit of the level, and standard counts demonstration units', () => {
    const p = progress('2021-05-01', { 2021: { ...JUNE_2021_MET, community: { standard: 11, demonstration: 6 } } });
    const all = requirement(milestone(p, 'y1-06'), '标准型社区达100%');
    expect(all).toMatchObject({ count: 'all', required: 12, reached: 11, met: false });
    // The demonstration compounds are among the 70 standard ones.
    expect(requirement(milestone(p, 'y1-06'), '标准型小区达100%')).toMatchObject({ required: 70, reached: 70, met: true });
  });

  it('is on track by straight-line pace from the programme start when not yet met (exact integer boundary)', () => {
    // 2020-10-01 → 2022-06-30 is 637 days; → 2022-12-31 is 821 days. 11 communities needed:
    // 9 · 821 = 7389 ≥ 11 · 637 = 7007 (on track); 8 · 821 = 6568 < 7007 (behind).
    const held = (n: number): Held => ({ community: { standard: 12, demonstration: n }, compound: { demonstration: 60 }, building: { demonstration: 2 }, district: { demonstration: 2 }, social_org: { demonstration: 2 } });
    const on = progress('2022-06-30', { 2022: held(9) });
    expect(on.current).toBe('y2-12');
    expect(requirement(milestone(on, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({ reached: 9, required: 11, met: false, forecast: 11, status: 'on_track' });
    expect(on.onTrack).toBe(true);
    const behind = progress('2022-06-30', { 2022: held(8) });
    expect(requirement(milestone(behind, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({ reached: 8, forecast: 10, status: 'behind' });
    expect(behind.onTrack).toBe(false);
  });

  it('「累计建成」 counts a unit built in any programme year up to the milestone, and shows how many hold the grade now', () => {
    // Three organisations were 示范型 in 2021; only one still is in 2022.
    const p = progress('2022-08-01', { 2021: { social_org: { demonstration: 3 } }, 2022: { social_org: { demonstration: 1 } } });
    const m = milestone(p, 'y2-12');
    expect(m).toMatchObject({ asOfYear: 2022, cumulativeUpTo: 2022 });
    expect(requirement(m, '累计建成示范型社会组织2个')).toMatchObject({ cumulative: true, reached: 3, holdingNow: 1, met: true, status: 'met' });
    // A year after the date is never used.
    const early = progress('2021-12-31', { 2021: { social_org: { demonstration: 1 } }, 2022: { social_org: { demonstration: 3 } } });
    expect(milestone(early, 'y2-12').asOfYear).toBe(2021);
    expect(requirement(milestone(early, 'y2-12'), '累计建成示范型社会组织2个')).toMatchObject({ reached: 1, holdingNow: 1 });
  });

  it('「到2022年12月，累计建成示范型社区11个」: a community 示范型 in the first year and 标准型 in the next still counts (programme from 2026)', () => {
    const first: Held = { community: { standard: 12, demonstration: 11 } };
    const second: Held = { community: { standard: 12, demonstration: 0 } };
    const p = progress('2027-12-31', { 2026: first, 2027: second }, { firstYear: 2026 });
    const dec = milestone(p, 'y2-12');
    expect(dec).toMatchObject({ due: '2027-12-31', label: '到2027年12月', state: 'current' });
    expect(requirement(dec, '累计建成示范型社区11个')).toMatchObject({ reached: 11, holdingNow: 0, met: true });
    // Not cumulative: 「示范型社区达100%」 at the end of year 3 counts the grades held then.
    expect(requirement(milestone(p, 'y3-12'), '示范型社区达100%')).toMatchObject({ reached: 0, required: 12 });
  });

  it('「累计」 at a past milestone counts only years up to it; years outside the programme never count', () => {
    const p = progress('2024-03-01', { 2019: { community: { demonstration: 12 } }, 2023: { community: { demonstration: 11 } } });
    // Built only in 2023, after the 2022-12 milestone: not counted there.
    expect(requirement(milestone(p, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({ reached: 0, status: 'missed' });
    expect(milestone(p, 'y2-12').cumulativeUpTo).toBe(2022);
  });

  it('judges a past milestone on the assessment of its own year', () => {
    const p = progress('2022-03-01', { 2021: JUNE_2021_MET, 2022: {} });
    const june = milestone(p, 'y1-06');
    expect(june).toMatchObject({ state: 'past', asOfYear: 2021, met: true, onTrack: null });
    expect(requirement(june, '全面建成城市基层党建标准型街道').status).toBe('met');
    const failed = progress('2022-03-01', { 2021: {} });
    expect(requirement(milestone(failed, 'y1-06'), '全面建成城市基层党建标准型街道').status).toBe('missed');
  });

  it('after the last milestone keeps checking it every year (长效保持)', () => {
    const final: Held = { street: { demonstration: 1 }, community: { demonstration: 12 }, compound: { demonstration: 70 }, social_org: { demonstration: 3 } };
    const kept = progress('2024-03-01', { 2023: final, 2024: final });
    expect(kept.current).toBe('y3-12');
    expect(milestone(kept, 'y3-12')).toMatchObject({ state: 'sustain', asOfYear: 2024, met: true, onTrack: true });
    const lost = progress('2024-03-01', { 2023: final, 2024: { ...final, community: { demonstration: 11 } } });
    expect(lost.onTrack).toBe(false);
    expect(requirement(milestone(lost, 'y3-12'), '示范型社区达100%').status).toBe('missed');
  });

  it('with no assessment yet reaches nothing and does not forecast before the programme starts', () => {
    const p = progress('2020-09-01', {});
    expect(p.current).toBe('y1-06');
    const june = milestone(p, 'y1-06');
    expect(june.asOfYear).toBeNull();
    for (const r of june.requirements) expect(r).toMatchObject({ reached: 0, forecast: null, status: 'behind' });
    expect(p.onTrack).toBe(false);
  });

  it('cannot be on track for more units than exist, and says so', () => {
    const p = progress('2021-03-01', { 2021: { compound: { demonstration: 20 } } }, { units: { ...UNITS, compound: 20 } });
    expect(requirement(milestone(p, 'y1-06'), '示范型小区33个')).toMatchObject({
      required: 33,
      reached: 20,
      forecast: 20,
      status: 'behind',
      exceedsUnits: true,
      available: 20,
      warning: '目标 33 个超过本街道小区总数 20 个，无法达成（方案原文的数字，可设置本街道自己的目标）',
    });
  });
});

describe('the street\'s own targets (section 二\'s numbers are the sample street\'s)', () => {
  const EIGHT: Record<Level, number> = { ...UNITS, community: 8 };

  it('「累计建成示范型社区11个」 with 8 communities is flagged: it can never be met', () => {
    const p = progress('2022-06-30', { 2022: { community: { demonstration: 8 } } }, { units: EIGHT });
    expect(requirement(milestone(p, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({
      count: 11,
      planCount: 11,
      overridden: false,
      exceedsUnits: true,
      met: false,
      status: 'behind',
      warning: '目标 11 个超过本街道社区总数 8 个，无法达成（方案原文的数字，可设置本街道自己的目标）',
    });
  });

  it('a street number set in the plan file (targetOverrides) replaces the count; a later override (targets set) wins', () => {
    const own = loadPlan({ ...structuredClone(plan), targetOverrides: [{ milestone: 'y2-12', level: 'community', count: 6 }] });
    const p = progress('2022-06-30', { 2022: { community: { demonstration: 6 } } }, { units: EIGHT, plan: own });
    expect(requirement(milestone(p, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({ count: 6, planCount: 11, overridden: true, required: 6, exceedsUnits: false, warning: null, status: 'met' });
    const later = progress('2022-06-30', { 2022: { community: { demonstration: 6 } } }, { units: EIGHT, plan: own, overrides: [{ milestone: 'y2-12', level: 'community', count: 7 }] });
    expect(requirement(milestone(later, 'y2-12'), '累计建成示范型社区11个')).toMatchObject({ count: 7, required: 7, met: false });
  });

  it('an override above the street\'s units is flagged too', () => {
    const p = progress('2021-03-01', {}, { units: EIGHT, overrides: [{ milestone: 'y1-06', level: 'community', grade: 'demonstration', count: 9 }] });
    expect(requirement(milestone(p, 'y1-06'), '示范型社区6个')).toMatchObject({ count: 9, exceedsUnits: true, warning: '目标 9 个超过本街道社区总数 8 个，无法达成' });
  });

  it('count 0: the street sets no target for it — 「本街道不设此目标」, not ✅, and not counted', () => {
    const p = progress('2021-05-01', { 2021: JUNE_2021_MET }, { overrides: [{ milestone: 'y1-06', level: 'building', count: 0 }] });
    const june = milestone(p, 'y1-06');
    expect(requirement(june, '建成示范型楼宇、商圈2个')).toMatchObject({ count: 0, status: 'waived', applicable: false, met: false });
    expect(june.met).toBe(true);
  });

  it('overrides that name no numeric target are refused with the reason (Chinese), and reported, not applied', () => {
    const cases: Array<[TargetOverride, RegExp]> = [
      [{ milestone: 'y9-12', level: 'community', count: 3 }, /没有节点「y9-12」；可用：y1-02、y1-06、y2-12、y3-12/],
      [{ milestone: 'y1-06', level: 'street', count: 1 }, /^节点「y1-06」有多个街道目标（全面建成城市基层党建标准型街道、力争创建示范型街道），请指定等级（标准型或示范型）$/],
      [{ milestone: 'y3-12', level: 'compound', count: 3 }, /「示范型小区达100%」按本街道小区总数计算，不能设置个数/],
      [{ milestone: 'y2-12', level: 'street', count: 1 }, /节点「y2-12」没有街道的数目目标/],
    ];
    for (const [o, message] of cases) {
      const r = resolveTargetOverride(plan, o);
      expect(r.ok, JSON.stringify(o)).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(message);
    }
    // The level alone is enough when it has one numeric target (示范型社区6个; 「达100%」 is not a number).
    expect(resolveTargetOverride(plan, { milestone: 'y1-06', level: 'community', count: 3 })).toEqual({ ok: true, milestoneIndex: 1, requirementIndex: 4 });
    expect(resolveTargetOverride(plan, { milestone: 'y1-06', level: 'street', grade: 'standard', count: 1 })).toEqual({ ok: true, milestoneIndex: 1, requirementIndex: 0 });
    const p = progress('2021-05-01', {}, { overrides: [{ milestone: 'y3-12', level: 'compound', count: 3 }] });
    expect(p.overrideProblems).toEqual(['「示范型小区达100%」按本街道小区总数计算，不能设置个数']);
  });

  it('the plan file\'s overrides are checked when it is loaded', () => {
    expect(() => loadPlan({ ...structuredClone(plan), targetOverrides: [{ milestone: 'y3-12', level: 'compound', count: 3 }] })).toThrow(
      'targetOverrides[0]: 「示范型小区达100%」按本街道小区总数计算，不能设置个数',
    );
    expect(() =>
      loadPlan({
        ...structuredClone(plan),
        targetOverrides: [
          { milestone: 'y1-06', level: 'building', count: 1 },
          { milestone: 'y1-06', level: 'district', count: 1 },
        ],
      }),
    ).toThrow('targetOverrides[1]: sets the same target as targetOverrides[0]');
  });
});

describe('「达100%」 with no unit of the level, and milestones without a measurable item', () => {
  it('「示范型社区、小区达100%」 with no community and no compound shows 「无此类单位」, not ✅ 已达成', () => {
    const none: Record<Level, number> = { ...UNITS, community: 0, compound: 0 };
    const p = progress('2023-06-01', { 2023: { street: { demonstration: 1 }, social_org: { demonstration: 3 } } }, { units: none });
    const dec = milestone(p, 'y3-12');
    for (const text of ['示范型社区达100%', '示范型小区达100%']) {
      expect(requirement(dec, text)).toMatchObject({ status: 'no_units', applicable: false, met: false, required: 0 });
    }
    // The milestone is decided by what applies: the street and the social organisations.
    expect(dec).toMatchObject({ met: true, onTrack: true });
  });

  it('「到2021年2月」 (launch: 制定工作方案 …) has no measurable item: neither met nor unmet (no ✅)', () => {
    const p = progress('2021-05-01', { 2021: JUNE_2021_MET });
    expect(milestone(p, 'y1-02')).toMatchObject({ requirements: [], met: null, onTrack: null });
  });

  it('a milestone whose every item is 「无此类单位」 is not measurable: the next one decides', () => {
    const none: Record<Level, number> = { street: 0, community: 0, compound: 0, building: 0, district: 0, social_org: 0 };
    const p = progress('2021-03-01', {}, { units: none, overrides: [{ milestone: 'y1-06', level: 'social_org', count: 0 }, { milestone: 'y1-06', level: 'building', count: 0 }, { milestone: 'y1-06', level: 'community', grade: 'demonstration', count: 0 }, { milestone: 'y1-06', level: 'compound', grade: 'demonstration', count: 0 }, { milestone: 'y1-06', level: 'street', grade: 'standard', count: 0 }] });
    expect(milestone(p, 'y1-06')).toMatchObject({ met: null, onTrack: null, state: 'future' });
    expect(p.current).toBe('y2-12');
  });
});

describe('dates in the programme\'s years, never the document\'s', () => {
  it('labels and texts: the document\'s 2021 is year 1 (programme from 2026)', () => {
    const p = progress('2027-06-01', {}, { firstYear: 2026 });
    expect(p.milestones.map((m) => [m.id, m.label, m.due])).toEqual([
      ['y1-02', '到2026年2月', '2026-02-28'],
      ['y1-06', '到2026年6月底', '2026-06-30'],
      ['y2-12', '到2027年12月', '2027-12-31'],
      ['y3-12', '到2028年12月', '2028-12-31'],
    ]);
    expect(p).toMatchObject({ current: 'y2-12', currentLabel: '到2027年12月', programmeStart: '2025-10-01' });
    expect(milestone(p, 'y2-12').text).toMatch(/^到2027年12月,累计建成示范型社区11个/);
    const printed = JSON.stringify(p);
    for (const year of ['2020', '2021', '2022', '2023']) expect(printed).not.toContain(year);
  });
});

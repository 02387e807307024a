import { describe, expect, it } from 'vitest';
import type { Level } from '../../src/plan/schema.js';
import {
  emptyScopeCounts,
  endOfMonth,
  milestoneDate,
  programmeStart,
  targetProgress,
  type MilestoneProgress,
  type ScopeCounts,
  type TargetProgress,
} from '../../src/scoring/index.js';
import { plan } from './helpers.js';

const UNITS: Record<Level, number> = { street: 1, community: 12, compound: 70, building: 3, district: 3, social_org: 4 };

type Held = Partial<Record<Level, { standard?: number; demonstration?: number }>>;

/** Counts for one year: `standard` includes demonstration units (defaults: nothing held). */
function counts(held: Held): ScopeCounts {
  const c = emptyScopeCounts();
  for (const level of Object.keys(UNITS) as Level[]) {
    const h = held[level] ?? {};
    c[level] = { units: UNITS[level], standard: h.standard ?? h.demonstration ?? 0, demonstration: h.demonstration ?? 0 };
  }
  return c;
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

function progress(at: string, years: Record<number, Held>): TargetProgress {
  return targetProgress(plan, {
    firstYear: 2021,
    at,
    years: new Map(Object.entries(years).map(([y, h]) => [Number(y), counts(h)])),
    units: UNITS,
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
  it('are the last day of the milestone month, counted from the programme first year', () => {
    expect(plan.milestones.map((m) => milestoneDate(m.due, 2021))).toEqual(['2021-02-28', '2021-06-30', '2022-12-31', '2023-12-31']);
    expect(plan.milestones.map((m) => milestoneDate(m.due, 2024))[0]).toBe('2024-02-29');
    expect(endOfMonth(2023, 2)).toBe('2023-02-28');
  });

  it('start from the first phase (规划部署阶段, October before the first year)', () => {
    expect(programmeStart(plan, 2021)).toBe('2020-10-01');
  });
});

describe('target progress', () => {
  it('the next measurable milestone decides; the 力争 street does not count against being on track', () => {
    const p = progress('2021-05-01', { 2021: JUNE_2021_MET });
    expect(p.current).toBe('2021-06');
    expect(p.onTrack).toBe(true);
    const june = milestone(p, '2021-06');
    expect(june).toMatchObject({ state: 'current', asOfYear: 2021, met: true, onTrack: true });
    expect(requirement(june, '力争创建示范型街道')).toMatchObject({ stretch: true, met: false, status: 'behind' });
    expect(requirement(june, '建成示范型楼宇、商圈2个')).toMatchObject({ required: 2, reached: 2, met: true, status: 'met' });
    expect(milestone(p, '2021-02')).toMatchObject({ state: 'past', requirements: [], onTrack: null });
  });

  it('「达100%」 requires every unit of the level, and standard counts demonstration units', () => {
    const p = progress('2021-05-01', { 2021: { ...JUNE_2021_MET, community: { standard: 11, demonstration: 6 } } });
    const all = requirement(milestone(p, '2021-06'), '标准型社区达100%');
    expect(all).toMatchObject({ count: 'all', required: 12, reached: 11, met: false });
    // The demonstration compounds are among the 70 standard ones.
    expect(requirement(milestone(p, '2021-06'), '标准型小区达100%')).toMatchObject({ required: 70, reached: 70, met: true });
  });

  it('is on track by straight-line pace from the programme start when not yet met (exact integer boundary)', () => {
    // 2020-10-01 → 2022-06-30 is 637 days; → 2022-12-31 is 821 days. 11 communities needed:
    // 9 · 821 = 7389 ≥ 11 · 637 = 7007 (on track); 8 · 821 = 6568 < 7007 (behind).
    const held = (n: number): Held => ({ community: { standard: 12, demonstration: n }, compound: { demonstration: 60 }, building: { demonstration: 2 }, district: { demonstration: 2 }, social_org: { demonstration: 2 } });
    const on = progress('2022-06-30', { 2022: held(9) });
    expect(on.current).toBe('2022-12');
    expect(requirement(milestone(on, '2022-12'), '累计建成示范型社区11个')).toMatchObject({ reached: 9, required: 11, met: false, forecast: 11, status: 'on_track' });
    expect(on.onTrack).toBe(true);
    const behind = progress('2022-06-30', { 2022: held(8) });
    expect(requirement(milestone(behind, '2022-12'), '累计建成示范型社区11个')).toMatchObject({ reached: 8, forecast: 10, status: 'behind' });
    expect(behind.onTrack).toBe(false);
  });

  it('counts cumulative targets from the latest assessment year at or before the date (grades are re-earned)', () => {
    const p = progress('2022-08-01', { 2021: { social_org: { demonstration: 3 } }, 2022: { social_org: { demonstration: 1 } } });
    const m = milestone(p, '2022-12');
    expect(m.asOfYear).toBe(2022);
    expect(requirement(m, '累计建成示范型社会组织2个')).toMatchObject({ cumulative: true, reached: 1 });
    // A year after the date is never used.
    const early = progress('2021-12-31', { 2021: { social_org: { demonstration: 3 } }, 2022: { social_org: { demonstration: 1 } } });
    expect(milestone(early, '2022-12').asOfYear).toBe(2021);
  });

  it('judges a past milestone on the assessment of its own year', () => {
    const p = progress('2022-03-01', { 2021: JUNE_2021_MET, 2022: {} });
    const june = milestone(p, '2021-06');
    expect(june).toMatchObject({ state: 'past', asOfYear: 2021, met: true, onTrack: null });
    expect(requirement(june, '全面建成城市基层党建标准型街道').status).toBe('met');
    const failed = progress('2022-03-01', { 2021: {} });
    expect(requirement(milestone(failed, '2021-06'), '全面建成城市基层党建标准型街道').status).toBe('missed');
  });

  it('after the last milestone keeps checking it every year (长效保持)', () => {
    const final: Held = { street: { demonstration: 1 }, community: { demonstration: 12 }, compound: { demonstration: 70 }, social_org: { demonstration: 3 } };
    const kept = progress('2024-03-01', { 2023: final, 2024: final });
    expect(kept.current).toBe('2023-12');
    expect(milestone(kept, '2023-12')).toMatchObject({ state: 'sustain', asOfYear: 2024, met: true, onTrack: true });
    const lost = progress('2024-03-01', { 2023: final, 2024: { ...final, community: { demonstration: 11 } } });
    expect(lost.onTrack).toBe(false);
    expect(requirement(milestone(lost, '2023-12'), '示范型社区达100%').status).toBe('missed');
  });

  it('with no assessment yet reaches nothing and does not forecast before the programme starts', () => {
    const p = progress('2020-09-01', {});
    expect(p.current).toBe('2021-06');
    const june = milestone(p, '2021-06');
    expect(june.asOfYear).toBeNull();
    for (const r of june.requirements) expect(r).toMatchObject({ reached: 0, forecast: null, status: 'behind' });
    expect(p.onTrack).toBe(false);
  });

  it('cannot be on track for more units than exist', () => {
    const p = targetProgress(plan, {
      firstYear: 2021,
      at: '2021-03-01',
      years: new Map([[2021, { ...counts({}), compound: { units: 20, standard: 20, demonstration: 20 } }]]),
      units: { ...UNITS, compound: 20 },
    });
    expect(requirement(milestone(p, '2021-06'), '示范型小区33个')).toMatchObject({ required: 33, reached: 20, forecast: 20, status: 'behind' });
  });
});

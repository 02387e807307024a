import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load-plan.js';
import { CADENCES, CADENCE_NAMES_ZH, type Cadence } from '../../src/plan/schema.js';
import { addDays } from '../../src/tasks/dates.js';
import { cadenceOccurrences, findOccurrence, normalisePeriod, occurrencesFor } from '../../src/tasks/occurrences.js';

const recurring = (cadence: Cadence, year: number) => occurrencesFor({ deadlineText: '贯穿全年', cadence, year });

describe('occurrencesFor: recurring cadences over a full year', () => {
  it('monthly: 12 periods YYYY-MM ending on the last day of each month (leap February)', () => {
    const occ = recurring('monthly', 2028);
    expect(occ.map((o) => o.period)).toEqual(Array.from({ length: 12 }, (_, i) => `2028-${String(i + 1).padStart(2, '0')}`));
    expect(occ.map((o) => o.dueDate)).toEqual([
      '2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30', '2028-05-31', '2028-06-30',
      '2028-07-31', '2028-08-31', '2028-09-30', '2028-10-31', '2028-11-30', '2028-12-31',
    ]);
    expect(occ[1]).toEqual({ period: '2028-02', start: '2028-02-01', dueDate: '2028-02-29' });
  });

  it('twice_monthly (「每月两次」, task 21): 上 runs 1st–15th, 下 runs 16th–last day', () => {
    const occ = recurring('twice_monthly', 2027);
    expect(occ).toHaveLength(24);
    expect(occ.slice(2, 4)).toEqual([
      { period: '2027-02-上', start: '2027-02-01', dueDate: '2027-02-15' },
      { period: '2027-02-下', start: '2027-02-16', dueDate: '2027-02-28' },
    ]);
    expect(occ[23]).toEqual({ period: '2027-12-下', start: '2027-12-16', dueDate: '2027-12-31' });
  });

  it('quarterly: Q1–Q4 end on the quarter ends', () => {
    expect(recurring('quarterly', 2027)).toEqual([
      { period: '2027-Q1', start: '2027-01-01', dueDate: '2027-03-31' },
      { period: '2027-Q2', start: '2027-04-01', dueDate: '2027-06-30' },
      { period: '2027-Q3', start: '2027-07-01', dueDate: '2027-09-30' },
      { period: '2027-Q4', start: '2027-10-01', dueDate: '2027-12-31' },
    ]);
  });

  it('bimonthly (「以全年为周期，每两月1期」, task 23): B1 = Jan–Feb … B6 = Nov–Dec', () => {
    expect(recurring('bimonthly', 2028)).toEqual([
      { period: '2028-B1', start: '2028-01-01', dueDate: '2028-02-29' },
      { period: '2028-B2', start: '2028-03-01', dueDate: '2028-04-30' },
      { period: '2028-B3', start: '2028-05-01', dueDate: '2028-06-30' },
      { period: '2028-B4', start: '2028-07-01', dueDate: '2028-08-31' },
      { period: '2028-B5', start: '2028-09-01', dueDate: '2028-10-31' },
      { period: '2028-B6', start: '2028-11-01', dueDate: '2028-12-31' },
    ]);
  });

  it('yearly: one period, the year, due 31 December', () => {
    expect(recurring('yearly', 2027)).toEqual([{ period: '2027', start: '2027-01-01', dueDate: '2027-12-31' }]);
  });

  for (const cadence of CADENCES) {
    for (const year of [2027, 2028]) {
      it(`${cadence} ${year}: periods tile the year without gaps or overlaps`, () => {
        const occ = cadenceOccurrences(cadence, year);
        expect(occ[0]?.start).toBe(`${year}-01-01`);
        expect(occ[occ.length - 1]?.dueDate).toBe(`${year}-12-31`);
        for (let i = 1; i < occ.length; i++) expect(occ[i]?.start).toBe(addDays(occ[i - 1]?.dueDate ?? '', 1));
        expect(new Set(occ.map((o) => o.period)).size).toBe(occ.length);
      });
    }
  }
});

describe('occurrencesFor: dated tasks and invalid combinations', () => {
  it('a dated task has one occurrence, the year', () => {
    expect(occurrencesFor({ deadlineText: '2月底', cadence: null, year: 2028 })).toEqual([{ period: '2028', start: '2028-01-01', dueDate: '2028-02-29' }]);
  });

  it('rejects a cadence on a dated task and a recurring task without cadence', () => {
    expect(() => occurrencesFor({ deadlineText: '5月底', cadence: 'monthly', year: 2027 })).toThrow(UserError);
    expect(() => occurrencesFor({ deadlineText: '贯穿全年', cadence: null, year: 2027 })).toThrow(/周期/);
  });
});

describe('the plan’s cadences follow each item’s wording', () => {
  it('每月 → monthly, 每月两次 → twice_monthly, 每季度 → quarterly, 每两月1期 → bimonthly, 年度内1场 / 全年6次 / 制定手册 → yearly, 「定期」 and duties without a frequency → periodic', () => {
    const plan = loadPlan();
    const cadenceOf = Object.fromEntries(plan.tasks.filter((t) => t.cadence !== null).map((t) => [t.seq, t.cadence]));
    expect(cadenceOf).toEqual({
      // 7: 规范开展组织生活 — monthly (主题党日 each month); 8: 「每月开展」; 9: 「每季度」.
      7: 'monthly', 8: 'monthly', 9: 'quarterly',
      // 16, 18: 「定期」; 17: 设置“微家服务岗” with no frequency — the office sets it.
      16: 'periodic', 17: 'periodic', 18: 'periodic',
      // 21: 「每月两次」; 22: 「制定…手册」 is one deliverable; 23: 「每两月1期」; 24: 「全年6次」 is a count for
      // the year (recorded as progress), not a rhythm; 25: 「年度内…1场」.
      21: 'twice_monthly', 22: 'yearly', 23: 'bimonthly', 24: 'yearly', 25: 'yearly',
    });
    expect(plan.tasks.find((t) => t.seq === 24)?.target?.metrics).toEqual([{ key: 'sessions', label: '专题培训、工作坊、经验交流会次数', min: 6, unit: '次' }]);
  });

  it('「定期」 without a frequency is checked in monthly until the office sets one: 12 check-ins, shown as 「定期（未设频次）」', () => {
    const periodic = occurrencesFor({ deadlineText: '贯穿全年', cadence: 'periodic', year: 2026 });
    expect(periodic).toEqual(occurrencesFor({ deadlineText: '贯穿全年', cadence: 'monthly', year: 2026 }));
    expect(periodic).toHaveLength(12);
    expect(CADENCE_NAMES_ZH.periodic).toBe('定期（未设频次）');
  });

  it('「制定社工站社会组织入驻及管理手册」 is one deadline (the year’s end), not twelve', () => {
    expect(occurrencesFor({ deadlineText: '贯穿全年', cadence: 'yearly', year: 2026 })).toEqual([{ period: '2026', start: '2026-01-01', dueDate: '2026-12-31' }]);
  });
});

describe('period ids', () => {
  it('normalises typed variants', () => {
    expect(normalisePeriod('2026-03a')).toBe('2026-03-上');
    expect(normalisePeriod('2026-03B')).toBe('2026-03-下');
    expect(normalisePeriod('2026-03-上')).toBe('2026-03-上');
    expect(normalisePeriod('2026-q2')).toBe('2026-Q2');
    expect(normalisePeriod('2026-b6')).toBe('2026-B6');
    expect(normalisePeriod(' 2026-03 ')).toBe('2026-03');
  });

  it('an unknown period is an error listing the valid ones', () => {
    try {
      findOccurrence({ seq: 9, deadlineText: '贯穿全年', cadence: 'quarterly', year: 2026 }, '2026-03');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).field).toBe('--period');
      expect((err as UserError).message).toContain('2026-Q1, 2026-Q2, 2026-Q3, 2026-Q4');
    }
    expect(findOccurrence({ deadlineText: '贯穿全年', cadence: 'twice_monthly', year: 2026 }, '2026-04b').dueDate).toBe('2026-04-30');
  });
});

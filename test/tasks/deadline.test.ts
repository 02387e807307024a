import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load-plan.js';
import { parseDeadline, parseSmallNumber } from '../../src/tasks/deadline.js';
import { errorOf } from '../support/errors.js';

function dateOf(phrase: string, year: number): string {
  const d = parseDeadline(phrase, year);
  if (d.kind !== 'date') throw new Error(`expected a date for ${phrase}`);
  return d.date;
}


describe('parseDeadline: the plan’s phrases (Annex 3)', () => {
  const cases: Array<[string, string, string]> = [
    // phrase, ordinary year 2027, leap year 2028
    ['2月底', '2027-02-28', '2028-02-29'],
    ['5月底', '2027-05-31', '2028-05-31'],
    ['6月底', '2027-06-30', '2028-06-30'],
    // A bare month (「3月」「5月」「6月」) is read as within that month: its last day.
    ['3月', '2027-03-31', '2028-03-31'],
    ['5月', '2027-05-31', '2028-05-31'],
    ['6月', '2027-06-30', '2028-06-30'],
    // 「3月初」: 初 = the first ten days (上旬), due on the 10th.
    ['3月初', '2027-03-10', '2028-03-10'],
    // 「6月前」: before June, i.e. by the end of May.
    ['6月前', '2027-05-31', '2028-05-31'],
  ];
  for (const [phrase, ordinary, leap] of cases) {
    it(`「${phrase}」 → ${ordinary} in 2027 and ${leap} in 2028`, () => {
      expect(dateOf(phrase, 2027)).toBe(ordinary);
      expect(dateOf(phrase, 2028)).toBe(leap);
    });
  }

  it('「贯穿全年」 is a recurring duty', () => {
    expect(parseDeadline('贯穿全年', 2027)).toEqual({ kind: 'recurring' });
  });

  it('parses every deadline written in the built-in plan, recurring exactly for the items with a cadence', () => {
    const plan = loadPlan();
    for (const task of plan.tasks) {
      for (const year of [2027, 2028]) {
        const d = parseDeadline(task.deadlineText, year);
        expect(d.kind === 'recurring', `task ${task.seq}`).toBe(task.cadence !== null);
      }
    }
  });
});

describe('parseDeadline: phrases the office types', () => {
  it('「X月X日」 and 「X月X号」 give that day', () => {
    expect(dateOf('5月20日', 2027)).toBe('2027-05-20');
    expect(dateOf('12月1号', 2027)).toBe('2027-12-01');
    expect(dateOf('2月29日', 2028)).toBe('2028-02-29');
  });

  it('上旬 / 中旬 / 下旬 are the 10th, 20th and last day', () => {
    expect(dateOf('2月上旬', 2028)).toBe('2028-02-10');
    expect(dateOf('2月中旬', 2028)).toBe('2028-02-20');
    expect(dateOf('2月下旬', 2028)).toBe('2028-02-29');
    expect(dateOf('2月下旬', 2027)).toBe('2027-02-28');
    expect(dateOf('11月下旬', 2027)).toBe('2027-11-30');
  });

  it('年底 / 年末 / 上半年 / 下半年', () => {
    expect(dateOf('年底', 2027)).toBe('2027-12-31');
    expect(dateOf('年末', 2027)).toBe('2027-12-31');
    expect(dateOf('上半年', 2027)).toBe('2027-06-30');
    expect(dateOf('下半年', 2027)).toBe('2027-12-31');
  });

  it('quarters end on 31 Mar, 30 Jun, 30 Sep and 31 Dec', () => {
    expect(dateOf('第1季度', 2027)).toBe('2027-03-31');
    expect(dateOf('第二季度', 2027)).toBe('2027-06-30');
    expect(dateOf('3季度末', 2027)).toBe('2027-09-30');
    expect(dateOf('第四季度末', 2027)).toBe('2027-12-31');
  });

  it('an ISO date in the task’s year', () => {
    expect(dateOf('2027-07-15', 2027)).toBe('2027-07-15');
  });

  it('tolerates full-width digits, spaces, Chinese numerals and a matching year prefix', () => {
    expect(dateOf('６月底', 2027)).toBe('2027-06-30');
    expect(dateOf(' 6 月 底 ', 2027)).toBe('2027-06-30');
    expect(dateOf('十二月上旬', 2027)).toBe('2027-12-10');
    expect(dateOf('三月二十一日', 2027)).toBe('2027-03-21');
    expect(dateOf('2027年5月20日', 2027)).toBe('2027-05-20');
  });

  it('reads Chinese small numbers', () => {
    expect([parseSmallNumber('三'), parseSmallNumber('十'), parseSmallNumber('十二'), parseSmallNumber('二十一'), parseSmallNumber('三十')]).toEqual([3, 10, 12, 21, 30]);
    expect(parseSmallNumber('二三')).toBeUndefined();
  });
});

describe('parseDeadline: errors name the phrase, never a silent default', () => {
  const bad: Array<[string, number]> = [
    ['下个月', 2027],
    ['尽快', 2027],
    ['', 2027],
    ['13月底', 2027],
    ['2月29日', 2027],
    ['4月31日', 2028],
    ['第5季度', 2027],
    ['1月前', 2027],
    ['2026-05-20', 2027],
    ['2027-02-30', 2027],
    ['2026年5月20日', 2027],
    ['6月底前后', 2027],
  ];
  for (const [phrase, year] of bad) {
    it(`rejects 「${phrase}」 for ${year}`, () => {
      const err = errorOf(() => parseDeadline(phrase, year));
      expect(err.code).toBe('bad_argument');
      expect(err.field).toBe('--deadline');
      expect(err.message).toContain(`「${phrase}」`);
    });
  }
});
